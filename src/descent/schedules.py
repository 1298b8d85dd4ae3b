r"""Learning-rate schedules: pure functions of the step count t = 0, 1, 2, …

Each factory checks its arguments and returns a schedule, a function ``t ↦ α_t`` that any
optimizer of :mod:`descent.optimizers` (or of optax) takes as its ``learning_rate``. The
optimizer keeps the count in its state, so nothing is mutated: the value at step t depends
on t alone. Schedules work on a traced step under ``jax.jit`` and on an array of steps,
which draws the whole schedule at once:

>>> import jax.numpy as jnp, numpy as np
>>> schedule = step_decay(init_value=0.1, every=100)
>>> with np.printoptions(precision=4):
...     print(schedule(jnp.array([0, 99, 100, 250])))
[0.1   0.1   0.01  0.001]
"""

from __future__ import annotations

from typing import Callable

import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from descent.optimizers import _check

__all__ = [
    "constant",
    "step_decay",
    "exponential_decay",
    "cosine_decay",
    "warmup_cosine",
    "inverse_time_decay",
    "inverse_sqrt_decay",
    "linear_warmup",
    "warmup_stable_decay",
    "second_moment_samples",
    "nesterov_momentum",
]

Schedule = Callable[[ArrayLike], ArrayLike]


def constant(value: ArrayLike) -> Schedule:
    r"""The same value at every step: :math:`\alpha_t = \alpha_0`.

    Args:
        value: α₀, in [0, inf).

    >>> print(constant(0.1)(1000))
    0.1
    """
    _check("constant", "value", value, "[0, inf)")

    def schedule(t):
        return jnp.full(jnp.shape(t), value, dtype=float)

    return schedule


def step_decay(init_value: ArrayLike, every: int, factor: ArrayLike = 0.1) -> Schedule:
    r"""Multiply by ``factor`` every ``every`` steps: "divide by 10 every k steps".

    .. math::
        \alpha_t = \alpha_0 \, \gamma^{\lfloor t / k \rfloor}

    Equal to ``optax.exponential_decay(init_value, transition_steps=every,
    decay_rate=factor, staircase=True)``, and to ``optax.piecewise_constant_schedule``
    with a boundary every k steps.

    Args:
        init_value: α₀, in [0, inf).
        every: k, the number of steps between drops, an integer in [1, inf).
        factor: γ, in (0, 1].

    >>> schedule = step_decay(init_value=1.0, every=30, factor=0.5)
    >>> print(schedule(29), schedule(30), schedule(60))
    1.0 0.5 0.25

    Reference: He, Zhang, Ren and Sun, Deep residual learning for image recognition,
    CVPR 2016 (α divided by 10 when the error plateaus).
    """
    _check("step_decay", "init_value", init_value, "[0, inf)")
    _check("step_decay", "every", every, "[1, inf)", integer=True)
    _check("step_decay", "factor", factor, "(0, 1]")

    def schedule(t):
        t = jnp.asarray(t, dtype=float)
        return init_value * factor ** jnp.floor(t / every)

    return schedule


def exponential_decay(
    init_value: ArrayLike, decay_rate: ArrayLike, transition_steps: int = 1
) -> Schedule:
    r"""Multiply by ``decay_rate`` every ``transition_steps`` steps, smoothly.

    .. math::
        \alpha_t = \alpha_0 \, \gamma^{t / T}

    With T = 1 (the default) this is :math:`\alpha_0 \gamma^t`; step decay is its
    staircase version. Equal to ``optax.exponential_decay(init_value,
    transition_steps=transition_steps, decay_rate=decay_rate)``; note that optax's
    positional order is (init_value, transition_steps, decay_rate).

    Args:
        init_value: α₀, in [0, inf).
        decay_rate: γ, the factor after T steps, in (0, 1].
        transition_steps: T, an integer in [1, inf).

    >>> schedule = exponential_decay(init_value=1.0, decay_rate=0.5, transition_steps=10)
    >>> print(schedule(5), schedule(10), schedule(20))
    0.70710677 0.5 0.25
    """
    _check("exponential_decay", "init_value", init_value, "[0, inf)")
    _check("exponential_decay", "decay_rate", decay_rate, "(0, 1]")
    _check("exponential_decay", "transition_steps", transition_steps, "[1, inf)", integer=True)

    def schedule(t):
        t = jnp.asarray(t, dtype=float)
        return init_value * decay_rate ** (t / transition_steps)

    return schedule


def cosine_decay(init_value: ArrayLike, decay_steps: int, alpha: ArrayLike = 0.0) -> Schedule:
    r"""Half a cosine from α₀ down to a fraction a of it over T steps, then constant.

    .. math::
        \alpha_t = \alpha_0 \left( a + (1 - a)\, \tfrac12 \big(1 + \cos(\pi \min(t, T) / T)\big)
        \right)

    Equal to ``optax.cosine_decay_schedule(init_value, decay_steps, alpha)``.

    Args:
        init_value: α₀, in [0, inf).
        decay_steps: T, an integer in [1, inf).
        alpha: a, the final value as a fraction of α₀, in [0, 1].

    >>> import jax.numpy as jnp, numpy as np
    >>> schedule = cosine_decay(init_value=1.0, decay_steps=100)
    >>> with np.printoptions(precision=4):
    ...     print(schedule(jnp.array([0, 50, 100, 200])))
    [1.  0.5 0.  0. ]

    Reference: Loshchilov and Hutter, SGDR: stochastic gradient descent with warm
    restarts, ICLR 2017.
    """
    _check("cosine_decay", "init_value", init_value, "[0, inf)")
    _check("cosine_decay", "decay_steps", decay_steps, "[1, inf)", integer=True)
    _check("cosine_decay", "alpha", alpha, "[0, 1]")

    def schedule(t):
        t = jnp.asarray(t, dtype=float)
        progress = jnp.minimum(t, decay_steps) / decay_steps  # min(t, T) / T.
        cosine = 0.5 * (1 + jnp.cos(jnp.pi * progress))  # From 1 down to 0.
        return init_value * (alpha + (1 - alpha) * cosine)

    return schedule


def warmup_cosine(
    peak_value: ArrayLike,
    warmup_steps: int,
    decay_steps: int,
    init_value: ArrayLike = 0.0,
    end_value: ArrayLike = 0.0,
) -> Schedule:
    r"""A linear warmup from α₀ to the peak over W steps, then a cosine decay until step T.

    .. math::
        \alpha_t = \begin{cases}
        \alpha_0 + (\alpha_{\text{peak}} - \alpha_0)\, t / W & t < W \\
        \alpha_{\text{end}} + (\alpha_{\text{peak}} - \alpha_{\text{end}})\,
            \tfrac12 \big(1 + \cos(\pi (t - W) / (T - W))\big) & W \le t \le T \\
        \alpha_{\text{end}} & t > T
        \end{cases}

    T counts the warmup: the decay lasts T − W steps. Equal to
    ``optax.warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps,
    end_value)``.

    Args:
        peak_value: α_peak, in [0, inf).
        warmup_steps: W, an integer in [0, inf).
        decay_steps: T, the total length, an integer larger than W.
        init_value: α₀, in [0, inf).
        end_value: α_end, in [0, inf).

    >>> import jax.numpy as jnp, numpy as np
    >>> schedule = warmup_cosine(peak_value=1.0, warmup_steps=10, decay_steps=110)
    >>> with np.printoptions(precision=4):
    ...     print(schedule(jnp.array([0, 5, 10, 60, 110])))
    [0.  0.5 1.  0.5 0. ]

    Reference: Goyal et al., Accurate, large minibatch SGD: training ImageNet in 1 hour,
    2017 (warmup); Loshchilov and Hutter, SGDR, ICLR 2017 (cosine).
    """
    _check("warmup_cosine", "peak_value", peak_value, "[0, inf)")
    _check("warmup_cosine", "warmup_steps", warmup_steps, "[0, inf)", integer=True)
    _check("warmup_cosine", "decay_steps", decay_steps, f"({warmup_steps}, inf)", integer=True)
    _check("warmup_cosine", "init_value", init_value, "[0, inf)")
    _check("warmup_cosine", "end_value", end_value, "[0, inf)")

    def schedule(t):
        t = jnp.asarray(t, dtype=float)
        warmup = init_value + (peak_value - init_value) * t / max(warmup_steps, 1)
        progress = jnp.clip(t - warmup_steps, 0, decay_steps - warmup_steps)
        cosine = 0.5 * (1 + jnp.cos(jnp.pi * progress / (decay_steps - warmup_steps)))
        decay = end_value + (peak_value - end_value) * cosine
        return jnp.where(t < warmup_steps, warmup, decay)

    return schedule


def inverse_time_decay(init_value: ArrayLike, decay_steps: ArrayLike) -> Schedule:
    r"""Decay as 1/t: the Robbins–Monro step size :math:`c / (t + k_0)`.

    .. math::
        \alpha_t = \frac{\alpha_0}{1 + t / k_0}

    which is :math:`c / (t + k_0)` with :math:`c = \alpha_0 k_0`: the sum of the steps
    diverges and the sum of their squares converges (Robbins and Monro's conditions).
    After :math:`k_0` steps the rate is halved, after :math:`9 k_0` it is divided by ten.

    Args:
        init_value: α₀, the value at t = 0, in [0, inf).
        decay_steps: k₀, the number of steps over which α halves, in (0, inf) (need not
            be an integer).

    >>> import jax.numpy as jnp, numpy as np
    >>> schedule = inverse_time_decay(init_value=1.0, decay_steps=10)
    >>> with np.printoptions(precision=4):
    ...     print(schedule(jnp.array([0, 10, 30, 90])))
    [1.   0.5  0.25 0.1 ]

    Reference: Robbins and Monro, A stochastic approximation method, Ann. Math. Statist.,
    1951.
    """
    _check("inverse_time_decay", "init_value", init_value, "[0, inf)")
    _check("inverse_time_decay", "decay_steps", decay_steps, "(0, inf)")

    def schedule(t):
        t = jnp.asarray(t, dtype=float)
        return init_value / (1 + t / decay_steps)

    return schedule


def inverse_sqrt_decay(init_value: ArrayLike, decay_steps: ArrayLike) -> Schedule:
    r"""Decay as 1/√t, the step size of SGD on convex problems with iterate averaging.

    .. math::
        \alpha_t = \frac{\alpha_0}{\sqrt{1 + t / k_0}}

    After :math:`3 k_0` steps the rate is halved, after :math:`99 k_0` it is divided by ten.

    Args:
        init_value: α₀, the value at t = 0, in [0, inf).
        decay_steps: k₀, in (0, inf) (need not be an integer).

    >>> import jax.numpy as jnp, numpy as np
    >>> schedule = inverse_sqrt_decay(init_value=1.0, decay_steps=10)
    >>> with np.printoptions(precision=4):
    ...     print(schedule(jnp.array([0, 30, 150, 990])))
    [1.   0.5  0.25 0.1 ]

    Reference: Nemirovski, Juditsky, Lan and Shapiro, Robust stochastic approximation
    approach to stochastic programming, SIAM J. Optim., 2009.
    """
    _check("inverse_sqrt_decay", "init_value", init_value, "[0, inf)")
    _check("inverse_sqrt_decay", "decay_steps", decay_steps, "(0, inf)")

    def schedule(t):
        t = jnp.asarray(t, dtype=float)
        return init_value / jnp.sqrt(1 + t / decay_steps)

    return schedule


def linear_warmup(
    schedule: Schedule, warmup_steps: int, init_value: ArrayLike = 0.0
) -> Schedule:
    r"""Put a linear warm-up of W steps in front of any schedule.

    .. math::
        \alpha_t = \begin{cases}
        \alpha_0 + (s(0) - \alpha_0)\, t / W & t < W \\
        s(t - W) & t \ge W
        \end{cases}

    where :math:`s` is the schedule that follows: it starts, at step W, where it would have
    started at step 0, so its whole shape is kept and shifted by W steps. With W = 0 this
    is :math:`s` itself. Equal to ``optax.join_schedules([optax.linear_schedule(init_value,
    s(0), W), s], [W])``.

    Args:
        schedule: s, the schedule after the warm-up (any function of the step).
        warmup_steps: W, an integer in [0, inf).
        init_value: α₀, the value at t = 0, in [0, inf).

    >>> import jax.numpy as jnp, numpy as np
    >>> schedule = linear_warmup(step_decay(1.0, every=100), warmup_steps=10)
    >>> with np.printoptions(precision=4):
    ...     print(schedule(jnp.array([0, 5, 10, 109, 110])))
    [0.  0.5 1.  1.  0.1]

    Reference: Goyal et al., Accurate, large minibatch SGD: training ImageNet in 1 hour,
    2017 (gradual warm-up).
    """
    if not callable(schedule):
        raise TypeError(f"linear_warmup: schedule must be a function of the step, got {schedule!r}")
    _check("linear_warmup", "warmup_steps", warmup_steps, "[0, inf)", integer=True)
    _check("linear_warmup", "init_value", init_value, "[0, inf)")
    after = schedule

    def schedule(t):
        t = jnp.asarray(t, dtype=float)
        start = after(jnp.zeros([], dtype=float))  # s(0), where the warm-up ends.
        warmup = init_value + (start - init_value) * t / max(warmup_steps, 1)
        decay = after(jnp.maximum(t - warmup_steps, 0))  # s(t − W), never at a negative step.
        return jnp.where(t < warmup_steps, warmup, decay)

    return schedule


def warmup_stable_decay(
    peak_value: ArrayLike,
    warmup_steps: int,
    decay_start: int,
    decay_steps: int,
    end_value: ArrayLike = 0.0,
) -> Schedule:
    r"""Warm up, hold the peak, then cool down linearly: warmup–stable–decay (WSD).

    .. math::
        \alpha_t = \begin{cases}
        \alpha_{\text{peak}}\, t / W & t < W \\
        \alpha_{\text{peak}} & W \le t < S \\
        \alpha_{\text{peak}} + (\alpha_{\text{end}} - \alpha_{\text{peak}})\, (t - S) / D
            & S \le t < S + D \\
        \alpha_{\text{end}} & t \ge S + D
        \end{cases}

    The run can stop (or branch off a cool-down) anywhere on the stable phase, which is
    why it is used for training runs whose length is not fixed in advance. Equal to
    ``optax.join_schedules([optax.linear_schedule(0, peak, W), optax.linear_schedule(peak,
    end, D, transition_begin=S - W)], [W])``.

    Args:
        peak_value: α_peak, in [0, inf).
        warmup_steps: W, an integer in [0, inf).
        decay_start: S, the step at which the cool-down starts, an integer in [W, inf).
        decay_steps: D, the length of the cool-down, an integer in [1, inf).
        end_value: α_end, the value after the cool-down, in [0, inf).

    >>> import jax.numpy as jnp, numpy as np
    >>> schedule = warmup_stable_decay(1.0, warmup_steps=10, decay_start=80, decay_steps=20)
    >>> with np.printoptions(precision=4):
    ...     print(schedule(jnp.array([0, 5, 10, 79, 80, 90, 100, 200])))
    [0.  0.5 1.  1.  1.  0.5 0.  0. ]

    Reference: Hu et al., MiniCPM: unveiling the potential of small language models with
    scalable training strategies, 2024; Hägele et al., Scaling laws and compute-optimal
    training beyond fixed training durations, 2024.
    """
    _check("warmup_stable_decay", "peak_value", peak_value, "[0, inf)")
    _check("warmup_stable_decay", "warmup_steps", warmup_steps, "[0, inf)", integer=True)
    _check(
        "warmup_stable_decay", "decay_start", decay_start, f"[{warmup_steps}, inf)", integer=True
    )
    _check("warmup_stable_decay", "decay_steps", decay_steps, "[1, inf)", integer=True)
    _check("warmup_stable_decay", "end_value", end_value, "[0, inf)")

    def schedule(t):
        t = jnp.asarray(t, dtype=float)
        warmup = peak_value * t / max(warmup_steps, 1)  # 0 → peak over [0, W).
        progress = jnp.clip(t - decay_start, 0, decay_steps) / decay_steps  # 0 until S.
        stable_then_decay = peak_value + (end_value - peak_value) * progress
        return jnp.where(t < warmup_steps, warmup, stable_then_decay)

    return schedule


def second_moment_samples(b2: ArrayLike, count: ArrayLike) -> ArrayLike:
    r"""How many squared gradients Adam's :math:`\hat v_t` rests on: its effective sample size.

    After t steps, :math:`\hat v_t = v_t / (1 - \beta_2^t) = \sum_{k=1}^t w_k g_k^2` with
    weights :math:`w_k = (1 - \beta_2)\beta_2^{t-k} / (1 - \beta_2^t)` that sum to 1. For
    gradients drawn independently with one distribution, :math:`\operatorname{Var}\hat v_t
    = \operatorname{Var}(g^2) \sum_k w_k^2`, the variance of a plain mean of

    .. math::
        n_t = \frac{1}{\sum_k w_k^2}
            = \frac{(1 + \beta_2)(1 - \beta_2^t)}{(1 - \beta_2)(1 + \beta_2^t)}

    samples. :math:`n_1 = 1`: the first step divides each gradient by its own size.
    :math:`n_t \approx t` while :math:`t \ll 1/(1 - \beta_2)`, and
    :math:`n_t \to (1 + \beta_2)/(1 - \beta_2)` (1999 for β₂ = 0.999). For Gaussian gradient
    noise of mean zero, :math:`\operatorname{Var}(g^2) = 2 (\mathbb E g^2)^2`, so the relative
    spread of :math:`\hat v_t` is :math:`\sqrt{2 / n_t}`.

    Args:
        b2: β₂, in [0, 1).
        count: t, the number of gradients seen, an integer in [1, inf) (or an array of them).

    Returns:
        n_t, a NumPy float64 array of the shape of ``count`` (concrete values only).

    >>> import numpy as np
    >>> with np.printoptions(precision=2, suppress=True):
    ...     print(second_moment_samples(0.999, np.array([1, 10, 100, 1000, 10**6])))
    [   1.     10.     99.92  924.17 1999.  ]

    Reference: Liu et al., On the variance of the adaptive learning rate and beyond, ICLR
    2020 (the variance of Adam's early steps, and warm-up as its remedy).
    """
    _check("second_moment_samples", "b2", b2, "[0, 1)")
    _check("second_moment_samples", "count", count, "[1, inf)", integer=True)
    b2, count = np.asarray(b2, dtype=np.float64), np.asarray(count, dtype=np.float64)
    decayed = b2**count  # β₂ᵗ, in float64: 1 − β₂ᵗ cancels in float32 for small t.
    return (1 + b2) * (1 - decayed) / ((1 - b2) * (1 + decayed))


def _nesterov_momentum(t):
    t = jnp.asarray(t, dtype=float)
    return jnp.maximum(t - 1, 0) / (t + 2)  # β_t = (t − 1)/(t + 2), and β₀ = 0.


def nesterov_momentum() -> Schedule:
    r"""Nesterov's momentum schedule for smooth convex losses: :math:`\beta_t = \frac{t - 1}{t + 2}`.

    The momentum of Nesterov's 1983 method, in the form of Beck and Teboulle (2009) with
    :math:`t_k = (k + 1)/2`: β₀ = β₁ = 0, then 1/4, 2/5, 1/2, … → 1. Passed as
    ``momentum`` to :func:`descent.optimizers.nesterov` with the learning rate 1/L, it
    makes the optimizer hold the look-ahead points :math:`y_{t+1}` of

    .. math::
        x_k = y_k - \tfrac1L \nabla L(y_k), \qquad
        y_{k+1} = x_k + \frac{k - 1}{k + 2}(x_k - x_{k-1}),

    which guarantee :math:`L(x_k) - L^\star \le 2L\lVert\theta_0 - \theta^\star\rVert^2/(k + 1)^2`
    (:func:`descent.theory.nesterov_convex_bound`). Every call returns the same function,
    so :func:`descent.run` compiles its loop once. β_t < 1 at every step: it is not a
    schedule for a strongly convex loss, where a constant β does better
    (:func:`descent.theory.nesterov_optimal`).

    >>> import jax.numpy as jnp
    >>> print(nesterov_momentum()(jnp.arange(5)))
    [0.   0.   0.25 0.4  0.5 ]

    Reference: Nesterov, A method for solving the convex programming problem with
    convergence rate O(1/k²), 1983; Beck and Teboulle, A fast iterative
    shrinkage-thresholding algorithm for linear inverse problems, SIAM J. Imaging
    Sciences, 2009.
    """
    return _nesterov_momentum
