r"""SGD on the noisy quadratic: a cloud of runs, its noise ball, and learning-rate schedules.

Kinds ``"noisy"`` (:class:`NoisyQuadraticExplorer`) and ``"schedule"``
(:class:`ScheduleExplorer`) of the explorer contract. Both run R copies of SGD from the
same θ₀ on the noisy quadratic of Zhang et al. (2019):

.. math::
    L(\theta) = \tfrac12 \theta^\top Q\theta, \quad Q = R(\varphi)\,\mathrm{diag}(\lambda_1,
    \lambda_2)\,R(\varphi)^\top, \quad g = Q\theta + \xi, \quad
    \xi \sim \mathcal N(0, \sigma^2 Q / B), \quad \theta \leftarrow \theta - \alpha_t g.

In the eigenbasis of Q, y = Rᵀθ, the noise is independent along each eigenvector with
variance sᵢ = σ²λᵢ/B, and a step is one line per component,

.. math::
    y_i \leftarrow (1 - \alpha_t\lambda_i)\, y_i - \alpha_t \sqrt{s_i}\, z_i, \qquad
    z_i \sim \mathcal N(0, 1),

which is how both languages take it (θ = R y for the picture). Next to the runs stand the
exact moments of :func:`descent.theory.noisy_quadratic_moments` (m ← (1 − αλᵢ)m,
v ← (1 − αλᵢ)²v + α²sᵢ, for any sequence α_t) and the expected loss
E[L_t] = ½ Σᵢ λᵢ (mᵢ² + vᵢ) of :func:`descent.theory.noisy_quadratic_expected_loss`.

**The random numbers.** The normals z come from a generator both languages implement, so
that a page with no kernel draws the very runs a kernel draws. Run r (r = 0, …, R − 1) at
step t (t = 0, …, T − 1) seeds mulberry32 with
``imul(r + 1, 0x9E3779B9) ^ imul(t + 1, 0x85EBCA6B)`` (the generator of
:func:`descent.explorers.minibatch.draws`, seed r) and takes its first two numbers
u₁, u₂ ∈ [0, 1); Box–Muller turns them into

.. math::
    \rho = \sqrt{-2 \ln(1 - u_1)}, \qquad z_1 = \rho \cos(2\pi u_2), \qquad
    z_2 = \rho \sin(2\pi u_2)

(:func:`normals`). The normals depend on neither α nor B nor λ: moving a slider moves
every run, it does not redraw them.

**Leaving the picture.** A run whose component exceeds 10¹⁰⁰ in magnitude has left for
good (it can only grow while α_t λ_max ≥ 2); from that step on it is NaN (null in JSON),
and so are the cloud's means; ``diverged_at`` is the first such step.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from descent import schedules, theory
from descent.explorers.minibatch import draws
from descent.explorers.widget import ExplorerWidget, _json, _number, compiling

__all__ = ["NoisyQuadraticExplorer", "ScheduleExplorer", "normals", "SCHEDULES"]

LEFT = 1e100  # |yᵢ| beyond this: the run has left (see the module's docstring).

SCHEDULES = (
    "constant",
    "step ÷10",
    "exponential",
    "1/t",
    "1/√t",
    "cosine",
    "linear warm-up + cosine",
    "warmup–stable–decay",
)
"""The menu of :class:`ScheduleExplorer`, each drawn by a function of :mod:`descent.schedules`."""

DECAYS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, "off")
"""The positions of :class:`NoisyQuadraticExplorer`'s decay slider: k₀ of α/(1 + t/k₀), or off."""


def _fmt(x: Any) -> str:
    """A value for a message, as the front end's ``fmt`` writes it (3 significant digits)."""
    if x is None:
        return "—"
    if isinstance(x, str):
        return '"' + x + '"'
    try:
        x = float(x)
    except (TypeError, ValueError):
        return repr(x)
    if not math.isfinite(x):
        return "∞" if x > 0 else "—"
    return f"{x:.3g}"


@functools.lru_cache(maxsize=8)
def normals(runs: int, steps: int) -> np.ndarray:
    """The standard normals of every run and step: shape (steps, runs, 2), read-only.

    Entry [t, r] is (z₁, z₂) of run r at step t, by Box–Muller from the first two numbers
    of the shared generator seeded for (r, t) (see the module's docstring).
    """
    z = np.empty((int(steps), int(runs), 2))
    for r in range(int(runs)):
        u = draws(r, steps, 2)
        rho = np.sqrt(-2.0 * np.log(1.0 - u[:, 0]))
        angle = 2 * np.pi * u[:, 1]
        z[:, r, 0] = rho * np.cos(angle)
        z[:, r, 1] = rho * np.sin(angle)
    z.flags.writeable = False
    return z


@jax.jit
def _noisy_sgd(y0, eigenvalues, noise_variances, learning_rates, z):
    """yᵢ ← (1 − α_t λᵢ) yᵢ − α_t √sᵢ zᵢ for every run; y_0, …, y_T, shape (T + 1, R, n).

    α_t, λ and s are traced: a new value of any slider never recompiles.
    """
    kicks = jnp.sqrt(noise_variances) * z  # √sᵢ zᵢ: the noise ξ in the eigenbasis.
    start = jnp.broadcast_to(y0, z.shape[1:])

    def step(y, inputs):
        alpha, kick = inputs
        y = (1 - alpha * eigenvalues) * y - alpha * kick  # θ ← θ − α (Qθ + ξ).
        return y, y

    _, path = jax.lax.scan(step, start, (learning_rates, kicks))
    return jnp.concatenate([start[None], path])


class _NoisyQuadratic(ExplorerWidget):
    """What both explorers share: the problem, the runs, the exact moments."""

    def _setup(self, eigenvalues, angle, init, noise_scale, steps, runs, max_steps=2000):
        name = type(self).__name__
        lam = np.asarray(eigenvalues, dtype=float)
        if lam.shape != (2,) or not np.all(np.isfinite(lam) & (lam > 0)):
            raise ValueError(f"{name}: eigenvalues must be two positive numbers, got {eigenvalues!r}")
        if not (isinstance(angle, (int, float, np.integer, np.floating)) and math.isfinite(angle)):
            raise ValueError(f"{name}: angle must be a number (radians), got {angle!r}")
        theta0 = np.asarray(init, dtype=float)
        if theta0.shape != (2,) or not np.all(np.isfinite(theta0)) or not np.any(theta0):
            raise ValueError(f"{name}: init must be two finite numbers, not both 0, got {init!r}")
        if not (isinstance(noise_scale, (int, float, np.integer, np.floating)) and 0 < noise_scale < math.inf):
            raise ValueError(f"{name}: noise_scale σ² must be a positive number, got {noise_scale!r}")
        if not (isinstance(steps, (int, np.integer)) and 10 <= steps <= max_steps):
            raise ValueError(f"{name}: steps must be an integer in [10, {max_steps}], got {steps!r}")
        if not (isinstance(runs, (int, np.integer)) and 2 <= runs <= 256):
            raise ValueError(f"{name}: runs must be an integer in [2, 256], got {runs!r}")
        c, s = math.cos(angle), math.sin(angle)
        self.R = np.array([[c, -s], [s, c]])  # Column i: λᵢ's eigenvector.
        self.eigenvalues, self.angle, self.init = lam, float(angle), theta0
        self.init_eigen = self.R.T @ theta0  # y₀ = Rᵀθ₀.
        self.noise_scale, self.steps, self.runs = float(noise_scale), int(steps), int(runs)
        with jax.enable_x64(True):
            self._z = jnp.asarray(normals(self.runs, self.steps), jnp.float64)

    def _problem_spec(self) -> dict:
        return {
            "R": self.R.tolist(),
            "angle": math.degrees(self.angle),
            "init": self.init.tolist(),
            "init_eigen": self.init_eigen.tolist(),
            "noise_scale": self.noise_scale,
            "steps": self.steps,
            "runs": self.runs,
            "left": LEFT,
        }

    # -- The runs and their theory -----------------------------------------------------

    def noise_variances(self, eigenvalues: Sequence[float], batch_size: int) -> np.ndarray:
        """sᵢ = σ²λᵢ/B (:func:`descent.theory.noisy_quadratic_noise_variances`)."""
        return theory.noisy_quadratic_noise_variances(eigenvalues, scale=self.noise_scale,
                                                      batch_size=batch_size)

    def runs_in_eigenbasis(self, eigenvalues, batch_size: int, learning_rates) -> np.ndarray:
        """y_t of every run, (T + 1, R, 2), NaN from the step a run has left (|yᵢ| > 10¹⁰⁰)."""
        lam = np.asarray(eigenvalues, dtype=float)
        s = self.noise_variances(lam, batch_size)
        with jax.enable_x64(True), compiling(("noisy", self.runs, self.steps)):
            y = np.array(_noisy_sgd(jnp.asarray(self.init_eigen), jnp.asarray(lam), jnp.asarray(s),
                                    jnp.asarray(learning_rates, jnp.float64), self._z), dtype=float)
        with np.errstate(invalid="ignore"):
            inside = np.all(np.abs(y) <= LEFT, axis=-1)  # NaN is not inside.
        alive = np.logical_and.accumulate(inside, axis=0)
        y[~alive] = np.nan
        return y

    def loss(self, eigenvalues, y: np.ndarray) -> np.ndarray:
        """L = ½ Σᵢ λᵢ yᵢ² per point (y in the eigenbasis, last axis the components)."""
        lam = np.asarray(eigenvalues, dtype=float)
        return 0.5 * (lam[0] * y[..., 0] * y[..., 0] + lam[1] * y[..., 1] * y[..., 1])

    def expected_loss(self, eigenvalues, batch_size: int, learning_rates):
        """E[L_t], t = 0…T, and the exact (mean, variance) of y_t (theory's recursion)."""
        lam = np.asarray(eigenvalues, dtype=float)
        s = self.noise_variances(lam, batch_size)
        with np.errstate(over="ignore", invalid="ignore"):
            mean, variance = theory.noisy_quadratic_moments(lam, s, learning_rates, self.init_eigen)
            finite = np.all(np.isfinite(mean) & np.isfinite(variance), axis=1)
            expected = np.full(len(mean), np.inf)
            expected[finite] = theory.noisy_quadratic_expected_loss(lam, mean[finite], variance[finite])
        return expected, mean, variance

    def floor(self, eigenvalues, batch_size: int, learning_rate: float) -> float:
        r"""E[L] once SGD at a constant α has settled: Σᵢ α sᵢ / (2 (2 − α λᵢ)); ∞ if αλ_max ≥ 2.

        ½ Σᵢ λᵢ vᵢ with vᵢ = α sᵢ / (λᵢ (2 − α λᵢ)) the stationary variance
        (:func:`descent.theory.noise_ball_variance`). With sᵢ = σ²λᵢ/B it is
        Σᵢ α σ² λᵢ / (2 B (2 − α λᵢ)): proportional to α/B for small α.
        """
        lam = np.asarray(eigenvalues, dtype=float)
        v = theory.noise_ball_variance(learning_rate, lam, self.noise_variances(lam, batch_size))
        if not np.all(np.isfinite(v)):
            return math.inf
        return float(theory.noisy_quadratic_expected_loss(lam, np.zeros(2), v))

    def _cloud(self, lam, B, alphas) -> dict:
        """The runs, their mean loss and the exact E[L_t], as JSON-ready arrays."""
        y = self.runs_in_eigenbasis(lam, B, alphas)
        losses = self.loss(lam, y)  # (T + 1, R)
        left = np.flatnonzero(~np.all(np.isfinite(losses), axis=1))
        expected, mean, variance = self.expected_loss(lam, B, alphas)
        return {
            "y": y,
            "mean_loss": losses.mean(axis=1),
            "expected_loss": expected,
            "mean": mean,
            "variance": variance,
            "diverged_at": int(left[0]) if left.size else None,
        }

    def _warm_up_values(self):
        return ()  # The first result compiles the loop; a subclass adds its schedules' ops.


def _is_number(value: Any) -> bool:
    """A JSON number: int or float, not bool (the front end's ``typeof v === "number"``)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive(name: str, label: str, value: Any) -> float:
    """``value`` as a positive finite float, or a ValueError naming the control."""
    if not (_is_number(value) and 0 < value < math.inf):
        raise ValueError(f"{name}: {label} must be a positive number, got {_fmt(value)}")
    return float(value)


def _whole(name: str, label: str, value: Any, low: int, high: int) -> int:
    """``value`` as an integer in [low, high], or a ValueError naming the control."""
    if not (_is_number(value) and math.isfinite(value) and float(value).is_integer() and low <= value <= high):
        raise ValueError(f"{name}: {label} must be a whole number in [{low}, {high}], got {_fmt(value)}")
    return int(value)


class NoisyQuadraticExplorer(_NoisyQuadratic):
    r"""SGD's noise ball on the noisy quadratic: α, B, λ₁, λ₂ and a decay on sliders.

    R runs of SGD (64 by default) start at θ₀ on L(θ) = ½ θᵀQθ with the stochastic
    gradient g = Qθ + ξ, ξ ~ N(0, σ²Q/B) (see :mod:`descent.explorers.noisy`), each step
    θ ← θ − α_t g with α_t = α (decay off) or α_t = α/(1 + t/k₀)
    (:func:`descent.schedules.inverse_time_decay`).

    Panels: the contours of L with the first few runs' paths (faint), every run's θ_T
    (dots), the cloud's mean path (bold) and the predicted ±2σ ellipse; and, on a log
    axis, the runs' mean loss against the exact E[L_t] (dashed) and, for a constant α, the
    floor it settles at,

    .. math::
        \lim_{t\to\infty} \mathbb E[L_t] = \sum_i \frac{\alpha s_i}{2(2 - \alpha\lambda_i)}
        = \sum_i \frac{\alpha\sigma^2\lambda_i}{2B(2 - \alpha\lambda_i)},

    half of Σᵢ λᵢ vᵢ with vᵢ = α sᵢ / (λᵢ (2 − αλᵢ)) the stationary variance of the i-th
    eigencomponent (:meth:`floor`). The ellipse is that stationary noise ball, ±2√vᵢ
    along the i-th eigenvector around θ* = 0, when α is constant; with a decay there is no
    stationary ball, and the ellipse is the exact ±2σ of θ_T around its exact mean. When
    α λ_max ≥ 2 the runs grow along λ_max's eigenvector and the explorer says so.

    Args:
        learning_rate: α, in [0.001, 3].
        batch_size: B, a power of two from 1 to 1024.
        eigenvalues: (λ₁, λ₂), each in [0.1, 10].
        decay: k₀ of α/(1 + t/k₀), one of :data:`DECAYS`; ``"off"`` for a constant α.
        angle: φ, the rotation of the eigenvectors (radians).
        init: θ₀.
        noise_scale: σ².
        steps: T.
        runs: R.
        paths: how many runs' paths the contour panel draws (all runs' θ_T are drawn).

    >>> explorer = NoisyQuadraticExplorer(learning_rate=0.1, batch_size=4, eigenvalues=(1.0, 4.0))
    >>> round(explorer.floor((1.0, 4.0), 4, 0.1), 6)  # 0.1·(1/1.9 + 4/1.6)/8
    0.037829
    >>> result = explorer.set(learning_rate=0.6)  # α λ_max = 2.4: the runs grow ×1.4 a step.
    >>> result["floor"] is None, result["diverged_at"] is None
    (True, True)
    """

    CONTROLS = ("learning_rate", "batch_size", "lambda1", "lambda2", "decay")
    SIZES = tuple(2**k for k in range(11))

    def __init__(self, learning_rate: float = 0.1, batch_size: int = 1,
                 eigenvalues: Sequence[float] = (1.0, 4.0), decay: int | str = "off", *,
                 angle: float = math.pi / 6, init: Sequence[float] = (2.0, 1.5),
                 noise_scale: float = 1.0, steps: int = 200, runs: int = 64, paths: int = 8):
        name = type(self).__name__
        if batch_size not in self.SIZES:
            raise ValueError(f"{name}: batch_size must be one of {list(self.SIZES)}, got {batch_size!r}")
        if isinstance(learning_rate, bool) or not (isinstance(learning_rate, (int, float, np.integer, np.floating))
                                                   and 1e-3 <= learning_rate <= 3):
            raise ValueError(f"{name}: learning_rate must be in [0.001, 3], got {learning_rate!r}")
        if decay not in DECAYS or isinstance(decay, bool):
            raise ValueError(f"{name}: decay must be one of {list(DECAYS)}, got {decay!r}")
        if np.shape(eigenvalues) == (2,) and not all(0.1 <= float(x) <= 10 for x in eigenvalues):
            raise ValueError(f"{name}: eigenvalues must be in [0.1, 10], got {eigenvalues!r}")
        self._setup(eigenvalues, angle, init, noise_scale, steps, runs)
        if not (isinstance(paths, (int, np.integer)) and 0 <= paths <= runs):
            raise ValueError(f"{name}: paths must be an integer in [0, runs], got {paths!r}")
        self.paths = int(paths)
        self.half = 1.15 * float(np.max(np.abs(self.init))) * math.sqrt(2)
        lr = float(learning_rate)
        self.sliders = {
            "learning_rate": {"name": "learning_rate", "label": "learning rate α", "symbol": "α", "type": "log",
                              "min": min(1e-3, lr), "max": 3.0, "step": 0.01},
            "batch_size": {"name": "batch_size", "label": "batch size B", "symbol": "B", "type": "choice",
                           "options": list(self.SIZES)},
            "lambda1": {"name": "lambda1", "label": "eigenvalue λ₁", "symbol": "λ₁", "type": "log",
                        "min": 0.1, "max": 10.0, "step": 0.01},
            "lambda2": {"name": "lambda2", "label": "eigenvalue λ₂", "symbol": "λ₂", "type": "log",
                        "min": 0.1, "max": 10.0, "step": 0.01},
            "decay": {"name": "decay", "label": "decay k₀", "symbol": "k₀", "type": "choice",
                      "options": list(DECAYS)},
        }
        values = {"learning_rate": lr, "batch_size": int(batch_size), "lambda1": float(self.eigenvalues[0]),
                  "lambda2": float(self.eigenvalues[1]), "decay": decay}
        spec = {
            "kind": "noisy",
            "title": f"SGD on the noisy quadratic, {self.runs} runs",
            "controls": list(self.sliders.values()),
            **self._problem_spec(),
            "half": self.half,
            "paths": self.paths,
        }
        super().__init__(spec, values)

    def _warm_up_values(self):
        # The other schedule: its first use compiles jnp's ops (about 0.1 s), done here.
        yield {**self.values, "decay": 10 if self.values["decay"] == "off" else "off"}

    def learning_rates(self, learning_rate: float, decay: int | str) -> np.ndarray:
        """α_0, …, α_{T−1}: α, or α/(1 + t/k₀), drawn by :mod:`descent.schedules`."""
        schedule = (schedules.constant(learning_rate) if decay == "off"
                    else schedules.inverse_time_decay(learning_rate, decay_steps=decay))
        with jax.enable_x64(True):
            return np.asarray(schedule(jnp.arange(self.steps)), dtype=float)

    def compute(self, values: Mapping[str, Any]) -> dict:
        """The cloud, its means and the exact moments for ``values``."""
        name = type(self).__name__
        lr = _positive(name, "learning rate α", values["learning_rate"])
        lam = np.array([_positive(name, "eigenvalue λ₁", values["lambda1"]),
                        _positive(name, "eigenvalue λ₂", values["lambda2"])])
        B, decay = values["batch_size"], values["decay"]
        if not (_is_number(B) and B in self.SIZES):
            raise ValueError(f"{name}: batch size B must be one of 1, 2, 4, …, 1024, got {_fmt(B)}")
        if not ((_is_number(decay) or decay == "off") and decay in DECAYS):
            raise ValueError(f"{name}: decay k₀ must be one of 1, 2, 5, …, 1000 or \"off\", got {_fmt(decay)}")
        alphas = self.learning_rates(lr, decay)
        cloud = self._cloud(lam, int(B), alphas)
        R = self.R
        y = cloud["y"]
        theta = np.stack([R[0, 0] * y[..., 0] + R[0, 1] * y[..., 1],
                          R[1, 0] * y[..., 0] + R[1, 1] * y[..., 1]], axis=-1)  # θ = R y.
        s = self.noise_variances(lam, int(B))
        ball = theory.noise_ball_variance(lr, lam, s)
        return {
            "learning_rates": _json(alphas),
            "mean_path": _json(theta.mean(axis=1)),
            "paths": _json(np.swapaxes(theta[:, : self.paths], 0, 1)),
            "final": _json(theta[-1]),
            "mean_loss": _json(cloud["mean_loss"]),
            "expected_loss": _json(cloud["expected_loss"]),
            "mean_T": _json(cloud["mean"][-1]),
            "variance_T": _json(cloud["variance"][-1]),
            "stationary_variance": _json(ball) if np.all(np.isfinite(ball)) else None,
            "floor": _number(self.floor(lam, int(B), lr)),
            "noise": _json(s),
            "limit": 2 / float(np.max(lam)),
            "diverged_at": cloud["diverged_at"],
        }


class ScheduleExplorer(_NoisyQuadratic):
    r"""A learning-rate schedule and what it does to SGD on the noisy quadratic.

    A menu of schedules (:data:`SCHEDULES`), each drawn by the function of
    :mod:`descent.schedules` the optimizer would call, with sliders for the peak α, the
    warm-up length W and the decay point D; T steps in all. What D means depends on the
    schedule, as the explorer states:

    ============================  ===========================================================
    constant                      ``constant(α)``
    step ÷10                      ``step_decay(α, every=D, factor=0.1)``: α·0.1^⌊t/D⌋
    exponential                   ``exponential_decay(α, 0.1, transition_steps=D)``: α·0.1^(t/D)
    1/t                           ``inverse_time_decay(α, D)``: α/(1 + t/D)
    1/√t                          ``inverse_sqrt_decay(α, D)``: α/√(1 + t/D)
    cosine                        ``cosine_decay(α, T)``
    linear warm-up + cosine       ``warmup_cosine(α, W, T)``
    warmup–stable–decay           ``warmup_stable_decay(α, W, max(D, W), T − max(D, W))``
    ============================  ===========================================================

    Panels: the schedule α_t (log axis), and the loss of R runs of SGD on the noisy
    quadratic (see :mod:`descent.explorers.noisy`): their mean, the exact E[L_t]
    (dashed), and the floor a constant α_t would settle at,
    Σᵢ α_t sᵢ / (2(2 − α_t λᵢ)) (dotted), which the loss follows when α_t moves slowly.

    Args:
        schedule: one of :data:`SCHEDULES`.
        peak: α (the peak, or the start), in [0.001, 3].
        warmup: W, an integer in [0, T/2].
        decay_point: D, an integer in [1, T − 1].
        eigenvalues, batch_size, noise_scale, angle, init: the noisy quadratic (λ₁, λ₂, B,
            σ², φ, θ₀).
        steps: T.
        runs: R.

    >>> explorer = ScheduleExplorer(schedule="step ÷10", peak=0.2, decay_point=100, steps=300)
    >>> rates = explorer.set(peak=0.2)["learning_rates"]
    >>> [round(rates[t], 6) for t in (0, 99, 100, 200)]
    [0.2, 0.2, 0.02, 0.002]
    """

    CONTROLS = ("schedule", "peak", "warmup", "decay_point")
    WARMUP_FOR = ("linear warm-up + cosine", "warmup–stable–decay")
    DECAY_FOR = ("step ÷10", "exponential", "1/t", "1/√t", "warmup–stable–decay")

    def __init__(self, schedule: str = "step ÷10", peak: float = 0.2, warmup: int = 20,
                 decay_point: int = 100, *, eigenvalues: Sequence[float] = (0.5, 4.0),
                 batch_size: int = 1, noise_scale: float = 1.0, angle: float = math.pi / 6,
                 init: Sequence[float] = (2.0, 1.5), steps: int = 300, runs: int = 64):
        name = type(self).__name__
        if schedule not in SCHEDULES:
            raise ValueError(f"{name}: schedule must be one of {list(SCHEDULES)}, got {schedule!r}")
        if isinstance(peak, bool) or not (isinstance(peak, (int, float, np.integer, np.floating)) and 1e-3 <= peak <= 3):
            raise ValueError(f"{name}: peak must be in [0.001, 3], got {peak!r}")
        if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
            raise ValueError(f"{name}: batch_size must be an integer ≥ 1, got {batch_size!r}")
        self._setup(eigenvalues, angle, init, noise_scale, steps, runs)
        T = self.steps
        if not (isinstance(warmup, (int, np.integer)) and 0 <= warmup <= T // 2):
            raise ValueError(f"{name}: warmup must be an integer in [0, {T // 2}] (T/2), got {warmup!r}")
        if not (isinstance(decay_point, (int, np.integer)) and 1 <= decay_point <= T - 1):
            raise ValueError(f"{name}: decay_point must be an integer in [1, {T - 1}] (T − 1), got {decay_point!r}")
        self.batch_size = int(batch_size)
        p = float(peak)
        self.sliders = {
            "schedule": {"name": "schedule", "label": "schedule", "type": "select", "options": list(SCHEDULES)},
            "peak": {"name": "peak", "label": "peak α", "symbol": "α", "type": "log",
                     "min": min(1e-3, p), "max": 3.0, "step": 0.01},
            "warmup": {"name": "warmup", "label": "warm-up W", "symbol": "W", "type": "int",
                       "min": 0, "max": T // 2, "step": 1, "shown_by": "schedule",
                       "shown_for": list(self.WARMUP_FOR)},
            "decay_point": {"name": "decay_point", "label": "decay point D", "symbol": "D", "type": "int",
                            "min": 1, "max": T - 1, "step": 1, "shown_by": "schedule",
                            "shown_for": list(self.DECAY_FOR)},
        }
        values = {"schedule": schedule, "peak": p, "warmup": int(warmup), "decay_point": int(decay_point)}
        spec = {
            "kind": "schedule",
            "title": f"learning-rate schedules on the noisy quadratic, {self.runs} runs",
            "controls": list(self.sliders.values()),
            **self._problem_spec(),
            "eigenvalues": self.eigenvalues.tolist(),
            "batch_size": self.batch_size,
            "noise": self.noise_variances(self.eigenvalues, self.batch_size).tolist(),
        }
        super().__init__(spec, values)

    def _warm_up_values(self):
        # Each schedule's first use compiles jnp's ops (about 0.1 s each), done here.
        for name in SCHEDULES:
            yield {**self.values, "schedule": name}

    def schedule(self, name: str, peak: float, warmup: int, decay_point: int):
        """The :mod:`descent.schedules` function the menu entry ``name`` stands for."""
        T, W, D = self.steps, int(warmup), int(decay_point)
        if name == "constant":
            return schedules.constant(peak)
        if name == "step ÷10":
            return schedules.step_decay(peak, every=D, factor=0.1)
        if name == "exponential":
            return schedules.exponential_decay(peak, decay_rate=0.1, transition_steps=D)
        if name == "1/t":
            return schedules.inverse_time_decay(peak, decay_steps=D)
        if name == "1/√t":
            return schedules.inverse_sqrt_decay(peak, decay_steps=D)
        if name == "cosine":
            return schedules.cosine_decay(peak, decay_steps=T)
        if name == "linear warm-up + cosine":
            return schedules.warmup_cosine(peak, warmup_steps=W, decay_steps=T)
        if name == "warmup–stable–decay":
            start = max(D, W)  # The cool-down cannot start before the warm-up ends.
            return schedules.warmup_stable_decay(peak, warmup_steps=W, decay_start=start, decay_steps=T - start)
        raise ValueError(f"{type(self).__name__}: schedule must be one of {', '.join(SCHEDULES)}; got {_fmt(name)}")

    def learning_rates(self, name: str, peak: float, warmup: int, decay_point: int) -> np.ndarray:
        """α_0, …, α_{T−1} of the schedule, float64."""
        schedule = self.schedule(name, peak, warmup, decay_point)
        with jax.enable_x64(True):
            return np.asarray(schedule(jnp.arange(self.steps)), dtype=float)

    def compute(self, values: Mapping[str, Any]) -> dict:
        """The schedule, the cloud's mean loss and the exact E[L_t] for ``values``."""
        name, T = type(self).__name__, self.steps
        peak = _positive(name, "peak learning rate α", values["peak"])
        W = _whole(name, "warm-up W", values["warmup"], 0, T // 2)
        D = _whole(name, "decay point D", values["decay_point"], 1, T - 1)
        alphas = self.learning_rates(values["schedule"], peak, W, D)
        cloud = self._cloud(self.eigenvalues, self.batch_size, alphas)
        return {
            "learning_rates": _json(alphas),
            "mean_loss": _json(cloud["mean_loss"]),
            "expected_loss": _json(cloud["expected_loss"]),
            "floor": _number(self.floor(self.eigenvalues, self.batch_size, peak)),
            "limit": 2 / float(np.max(self.eigenvalues)),
            "diverged_at": cloud["diverged_at"],
        }
