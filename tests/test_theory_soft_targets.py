"""The closed forms of the case study "Adam on hard and soft targets" (descent.theory's
section "Hard and soft targets"), each checked against runs.

The runs are float64: NumPy loops of Adam and gradient descent on the four parameters
(W₁, W₂, b₁, b₂) written here from the equations, and descent.runner.run on
descent.problems.soft_label_classifier where the test is about the package's own runs. Each
tolerance is the measured gap between the asymptotic form and the run, with room, and the
reason for the gap is given beside it.
"""

from __future__ import annotations

import doctest
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import descent.theory
from descent import problems, theory
from descent.optimizers import apply_updates, momentum
from descent.runner import run

SOFT, DELTA = (0.3, 0.7), (0.0, 1.0)


def _softmax(z):
    return np.exp(z - np.logaddexp.reduce(z))


def adam_run(target, x=(1.0,), alpha=0.1, b1=0.9, b2=0.999, eps=1e-8, steps=300, gd=False):
    """Adam (or gradient descent) on the classifier, in NumPy float64: losses, gaps, p₁, m̂, v̂."""
    t, x = np.asarray(target, float), np.asarray(x, float)
    W, b = np.zeros((2, x.size)), np.zeros(2)
    m = v = np.zeros(W.size + 2)
    losses, gaps, p1, m_hat, v_hat = [], [], [], [], []
    log_t = np.log(np.where(t > 0, t, 1.0))
    for step in range(1, steps + 2):
        z = W @ x + b
        log_p = z - np.logaddexp.reduce(z)
        losses.append(float(np.sum(t * (log_t - log_p))))
        gaps.append(float(z[1] - z[0]))
        if step == steps + 1:
            break
        p = np.exp(log_p)
        p1.append(p[0])
        g = np.concatenate([np.outer(p - t, x).ravel(), p - t])
        if gd:
            update = -alpha * g
        else:
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            m_hat.append(m[-2] / (1 - b1**step))
            v_hat.append(v[-2] / (1 - b2**step))
            update = -alpha * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + eps)
        W, b = W + update[:-2].reshape(W.shape), b + update[-2:]
    return dict(loss=np.array(losses), gap=np.array(gaps), p1=np.array(p1),
                m_hat=np.array(m_hat), v_hat=np.array(v_hat))


def test_doctests():
    names = ("optimal_logit_gap", "two_class_kl", "logit_gap_curvature", "gd_delta_loss",
             "adam_delta_gradient_sum", "adam_delta_loss", "adam_edge_step")
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner()
    attempted = 0
    for name in names:
        for test in finder.find(getattr(theory, name), name, globs=vars(descent.theory)):
            runner.run(test)
            attempted += len(test.examples)
    assert runner.failures == 0 and attempted >= len(names)
    assert set(names) <= set(theory.__all__)


# ---------------------------------------------------------------------------------------
# Δs*, the loss as a function of the gap, the curvature.


@pytest.mark.parametrize("target", [(0.3, 0.7), (0.2, 0.8), (0.6, 0.4)])
def test_adam_converges_to_the_optimal_gap(target):
    """descent's Adam, float64, lands on log(t₂/t₁); the gap is then known to about
    √(2·rounding/(t₁t₂)) ≈ 3e-8 (the loss is quadratic in it), so 1e-6 is the tolerance."""
    with jax.enable_x64(True):
        model = problems.soft_label_classifier(target)
        result = run(model, "adam", steps=400, learning_rate=0.1)  # β₁ = 0.9: inside its edge.
    W, b = result.trajectory["W"][-1], result.trajectory["b"][-1]
    gap = float(W[1, 0] - W[0, 0] + b[1] - b[0])
    assert gap == pytest.approx(theory.optimal_logit_gap(target), abs=1e-6)
    assert theory.optimal_logit_gap(target) == pytest.approx(math.log(1 / target[0] - 1))
    assert abs(float(theory.two_class_kl(target, theory.optimal_logit_gap(target)))) < 1e-15


def test_the_delta_targets_optimum_is_at_infinity():
    assert theory.optimal_logit_gap(DELTA) == math.inf
    assert theory.optimal_logit_gap((1.0, 0.0)) == -math.inf
    gaps = np.linspace(0, 30, 61)
    loss = theory.two_class_kl(DELTA, gaps)
    assert np.all(np.diff(loss) < 0) and np.all(loss > 0)  # Falls forever, never reaches 0.
    np.testing.assert_allclose(loss, np.log1p(np.exp(-gaps)), rtol=1e-14)
    np.testing.assert_allclose(loss[gaps >= 10], np.exp(-gaps[gaps >= 10]), rtol=5e-5)  # ≈ e^(−Δs).


@pytest.mark.parametrize("target", [SOFT, DELTA, (0.9, 0.1)])
@pytest.mark.parametrize("x", [(1.0,), (0.5, -2.0)])
def test_two_class_kl_is_the_problems_loss(target, x):
    gaps = np.array([-40.0, -3.0, -0.5, 0.0, 0.8473, 2.0, 40.0])
    with jax.enable_x64(True):
        model = problems.soft_label_classifier(target, x=x)
        params = {"W": jnp.zeros((len(gaps), 2, len(x))),
                  "b": jnp.stack([jnp.zeros(len(gaps)), jnp.asarray(gaps)], axis=1)}
        losses = np.asarray(jax.vmap(model.loss)(params))
    np.testing.assert_allclose(theory.two_class_kl(target, gaps), losses, rtol=1e-12, atol=1e-15)


def test_the_quadratic_near_the_optimum():
    star = theory.optimal_logit_gap(SOFT)
    for d in (1e-2, 1e-3, -1e-3):
        exact = float(theory.two_class_kl(SOFT, star + d))
        assert exact == pytest.approx(0.5 * 0.21 * d**2, rel=abs(d))  # Third-order term ∝ d.


@pytest.mark.parametrize("target, x", [(SOFT, (1.0,)), ((0.2, 0.8), (0.5, -2.0)), (SOFT, (3.0,))])
def test_curvature_is_the_hessians_eigenvalue_at_the_minimum(target, x):
    with jax.enable_x64(True):
        model = problems.soft_label_classifier(target, x=x)
        flat, unravel = ravel_pytree(jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), model.minimum))
        hessian = jax.hessian(lambda v: model.loss(unravel(v)))(flat)
    eigenvalues = np.sort(np.linalg.eigvalsh(np.asarray(hessian)))
    assert eigenvalues[-1] == pytest.approx(theory.logit_gap_curvature(target, x), rel=1e-10)
    assert np.all(np.abs(eigenvalues[:-1]) < 1e-12)  # One direction only: u.
    # Anywhere, f'' = p₁p₂ ≤ ¼: the curvature is at most ‖u‖²/4 = (‖x‖² + 1)/2.
    assert theory.logit_gap_curvature((0.5, 0.5), x) == pytest.approx((np.dot(x, x) + 1) / 2)


# ---------------------------------------------------------------------------------------
# Gradient descent on the delta target.


@pytest.mark.parametrize("alpha", [0.1, 1.0])
def test_gd_delta_loss_against_descents_run(alpha):
    """L_T against 1/(cαT) at T = 300: measured 1.021 (α = 0.1; the law drops the +1 and the
    Δs of e^Δs + Δs ≈ 1 + cαt) and 0.993 (α = 1: a long step grows e^Δs by e^(cαp₁) > 1 + cαp₁).
    Tolerance 3 %."""
    with jax.enable_x64(True):
        result = run(problems.soft_label_classifier(DELTA), "sgd", steps=300, learning_rate=alpha)
    assert result.losses[-1] / theory.gd_delta_loss(300, alpha) == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("alpha, x", [(0.1, (1.0,)), (1.0, (1.0,)), (10.0, (1.0,)), (0.05, (0.5, -2.0))])
def test_gd_bound_and_asymptote(alpha, x):
    """e^Δs_t ≥ 1 + cαt/2 at every step, whatever α (the proposition's bound), and
    L_t cαt → 1: within 3 % after 2000 steps (measured ≤ 1.1 %) where cαt has outgrown the
    first step's e^(cα/2) (α ≤ 1; at α = 10 the first step alone takes Δs to 20)."""
    r = adam_run(DELTA, x=x, alpha=alpha, steps=2000, gd=True)
    c = 2 * (np.dot(x, x) + 1)
    t = np.arange(len(r["gap"]))
    assert np.all(np.exp(r["gap"]) >= 1 + c * alpha * t / 2 - 1e-9)
    assert np.all(np.diff(r["gap"]) > 0)  # No step size diverges: the gap only grows.
    if alpha <= 1:
        assert r["loss"][-1] / theory.gd_delta_loss(2000, alpha, x) == pytest.approx(1.0, abs=0.03)


# ---------------------------------------------------------------------------------------
# Adam on the delta target.


def test_adams_first_step_moves_the_gap_by_c_alpha_with_the_one_norm():
    """Every coordinate moves by α (the first step is sign-like), so Δs by 2(‖x‖₁ + 1)α, not
    gradient descent's 2(‖x‖² + 1)α: for x = (0.5, −2), 7α against 10.5α."""
    r = adam_run(DELTA, x=(0.5, -2.0), alpha=0.1, steps=1)
    assert r["gap"][1] == pytest.approx(2 * (2.5 + 1) * 0.1, rel=1e-7)


def test_adam_delta_gradient_sum_against_the_run():
    """S = Σ p₁² of descent's default run: 0.6321; the sign-like estimate 0.6162 (its first
    steps are a little slower than cαs: Δs₅ = 1.91, not 2). Tolerance 4 %."""
    r = adam_run(DELTA)
    S = np.sum(r["p1"] ** 2)
    assert S == pytest.approx(theory.adam_delta_gradient_sum(0.1), rel=0.04)
    assert np.sum(r["p1"][:10] ** 2) / S > 0.99  # The first ten steps set it.
    # Same for x = (0.5, −2), c = 7: measured within 2 %.
    r = adam_run(DELTA, x=(0.5, -2.0), alpha=0.05)
    assert np.sum(r["p1"] ** 2) == pytest.approx(theory.adam_delta_gradient_sum(0.05, (0.5, -2.0)),
                                                  rel=0.04)


def test_the_laws_approximations_on_the_run():
    """m̂/p₁ → 1 (1.04 at t = 300) and v̂_t t/S_t ≈ 1 for t ≪ 1/(1 − β₂) (0.95 at 100, 0.86
    at 300); both make the run a little faster than the law."""
    r = adam_run(DELTA)
    S_t = np.cumsum(r["p1"] ** 2)
    assert 1.0 < r["m_hat"][-1] / r["p1"][-1] < 1.06
    assert 0.93 < r["v_hat"][99] * 100 / S_t[99] < 0.97
    assert 0.84 < r["v_hat"][-1] * 300 / S_t[-1] < 0.88
    assert r["m_hat"][9] / r["p1"][9] > 3  # It fails in the first steps, as the text says.


def test_adam_delta_loss_from_a_start_against_the_run():
    """From (t₀, Δs_t₀) = (50, run's), the law predicts L_300 4.47e-4 where the run has 4.06e-4:
    the run is ahead by the two ratios above. Tolerance: the law 0–15 % above the run."""
    r = adam_run(DELTA)
    S = np.sum(r["p1"] ** 2)
    law = float(theory.adam_delta_loss(300, 0.1, S, start=(50, r["gap"][50])))
    assert 1.0 < law / r["loss"][-1] < 1.15
    # At t = t₀ the law is the run's own loss.
    assert float(theory.adam_delta_loss(50, 0.1, S, start=(50, r["gap"][50]))) == \
        pytest.approx(r["loss"][50], rel=1e-12)


def test_adam_delta_loss_asymptote_with_a_long_memory():
    """β₂ = 1 − 1e-7 keeps v̂ the plain mean for 5000 steps: L_T / (3√S/(2cα) T^(−3/2)) = 0.989
    and the log-log slope over t ≥ 2000 is −1.478 (the head start still fades). Tolerances
    3 % and 0.05."""
    r = adam_run(DELTA, b2=1 - 1e-7, steps=5000)
    S = np.sum(r["p1"] ** 2)
    assert r["loss"][-1] / float(theory.adam_delta_loss(5000, 0.1, S)) == pytest.approx(1.0, abs=0.03)
    t = np.arange(len(r["loss"]))
    slope = np.polyfit(np.log(t[2000:]), np.log(r["loss"][2000:]), 1)[0]
    assert slope == pytest.approx(-1.5, abs=0.05)
    # Gradient descent at the same α falls like 1/t: a slope of −1.
    g = adam_run(DELTA, steps=5000, gd=True)
    assert np.polyfit(np.log(t[2000:]), np.log(g["loss"][2000:]), 1)[0] == pytest.approx(-1.0, abs=0.02)


# ---------------------------------------------------------------------------------------
# The edge of Adam's effective step.


@pytest.mark.parametrize("b1", [0.0, 0.5, 0.9])
def test_adam_edge_step_is_the_heavy_balls_edge(b1):
    """With v̂ fixed, Adam is θ ← θ − η m, m the average of the gradients: descent's
    momentum (trace form) with the step η(1 − β₁). On ½λθ² it converges 1 % inside the edge
    and diverges 1 % outside."""
    lam = 0.84
    edge = theory.adam_edge_step(b1, lam)
    for factor, converges in ((0.99, True), (1.01, False)):
        opt = momentum(learning_rate=factor * edge * (1 - b1), momentum=b1)
        with jax.enable_x64(True):
            theta = jnp.ones(1, jnp.float64)
            state = opt.init(theta)
            for _ in range(5000):
                updates, state = opt.update(lam * theta, state)
                theta = apply_updates(theta, updates)
        assert (abs(float(theta[0])) < 1) == converges, (b1, factor)


def test_adam_without_momentum_leaves_the_floor_only_past_its_edge():
    """The soft target at β₁ = 0: at the rounding floor from step 9; η_t = α/√v̂_t passes
    2/λ at step 30; the loss is back above 1e-6 only later (step 76). With β₁ = 0.9, η_t
    stays below its edge and the loss at the floor."""
    lam = theory.logit_gap_curvature(SOFT)
    r = adam_run(SOFT, b1=0.0)
    eta = 0.1 / (np.sqrt(r["v_hat"]) + 1e-8)
    cross = int(np.argmax(eta > theory.adam_edge_step(0.0, lam))) + 1
    floor = int(np.argmax(r["loss"] < 1e-15))
    back = floor + int(np.argmax(r["loss"][floor:] > 1e-6))
    assert floor < cross < back and np.all(r["loss"][floor:cross + 1] < 1e-14)
    r = adam_run(SOFT, b1=0.9)
    assert np.all(0.1 / np.sqrt(r["v_hat"]) < theory.adam_edge_step(0.9, lam))
    assert np.all(r["loss"][250:] < 1e-12)  # Its last ripples, 2.4e-13 at most.


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="two probabilities"):
        theory.optimal_logit_gap((0.3, 0.3))
    with pytest.raises(ValueError, match="two probabilities"):
        theory.two_class_kl((0.2, 0.3, 0.5), 1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        theory.gd_delta_loss(10, 0.0)
    with pytest.raises(ValueError, match="x must be"):
        theory.logit_gap_curvature(SOFT, [])
    with pytest.raises(ValueError, match="b1"):
        theory.adam_edge_step(1.0, 0.84)
    with pytest.raises(ValueError, match="start"):
        theory.adam_delta_loss(10, 0.1, 0.6, start=(5, math.inf))
