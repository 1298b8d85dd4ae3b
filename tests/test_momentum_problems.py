"""The momentum chapter's problems and optimizer forms: Nesterov's worst case, Lessard et
al.'s counterexample, momentum as a schedule, and the forms of the heavy ball."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from descent import optimizers, problems, schedules, theory
from descent.runner import run


def trajectory(optimizer, grad, theta0, steps):
    """θ₀, …, θ_T of ``optimizer`` on the gradient ``grad``, as a NumPy array."""
    theta, state, path = theta0, optimizer.init(theta0), [np.asarray(theta0)]
    for _ in range(steps):
        updates, state = optimizer.update(grad(theta), state, theta)
        theta = optimizers.apply_updates(theta, updates)
        path.append(np.asarray(theta))
    return np.array(path)


# -- Nesterov's worst case ----------------------------------------------------------------


@pytest.mark.parametrize("n, L", [(1, 1.0), (5, 1.0), (40, 3.0)])
def test_nesterov_worst_case_is_the_tridiagonal_quadratic(n, L):
    with jax.enable_x64(True):
        problem = problems.nesterov_worst_case(n, smoothness=L)
        A = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
        theta = np.random.default_rng(n).normal(size=n)
        expected = L / 4 * (0.5 * theta @ A @ theta - theta[0])
        assert float(problem.loss(jnp.asarray(theta))) == pytest.approx(expected, rel=1e-12)
        hessian = np.asarray(jax.hessian(problem.loss)(problem.init))
        np.testing.assert_allclose(hessian, L / 4 * A, atol=1e-12)
        # The minimum: zero gradient, the stated value, and L-smooth, convex.
        gradient = np.asarray(jax.grad(problem.loss)(problem.minimum))
        np.testing.assert_allclose(gradient, 0, atol=1e-12)
        assert float(problem.loss(problem.minimum)) == pytest.approx(problem.minimum_value,
                                                                     rel=1e-12)
        eigenvalues = np.linalg.eigvalsh(hessian)
        assert 0 < eigenvalues.min() and eigenvalues.max() < L
        np.testing.assert_array_equal(problem.init, np.zeros(n))


def test_nesterov_worst_case_compiles_once_per_size():
    first = problems.nesterov_worst_case(7, smoothness=1.0)
    second = problems.nesterov_worst_case(7, smoothness=2.0)
    assert first.loss.func is second.loss.func  # A Partial of one module-level function.
    with pytest.raises(ValueError, match="n must be"):
        problems.nesterov_worst_case(0)
    with pytest.raises(ValueError, match="smoothness"):
        problems.nesterov_worst_case(5, smoothness=-1.0)


# -- Nesterov's convex method as descent.nesterov with a momentum schedule ----------------


def test_scheduled_nesterov_is_fista():
    """descent.nesterov(1/L, momentum=nesterov_momentum()) holds the y_k of the 1983 method."""
    n, L, K = 51, 1.0, 60
    with jax.enable_x64(True):
        problem = problems.nesterov_worst_case(n, smoothness=L)
        grad = jax.jit(jax.grad(problem.loss))
        result = run(problem, "nesterov", steps=K, learning_rate=1 / L,
                     momentum=schedules.nesterov_momentum())
        # By hand: y₁ = x₀ = θ₀; x_k = y_k − ∇L(y_k)/L; y_{k+1} = x_k + (k−1)/(k+2)(x_k − x_{k−1}).
        x_previous = y = np.zeros(n)
        ys = [y]
        for k in range(1, K + 1):
            x = y - np.asarray(grad(jnp.asarray(y))) / L
            y = x + (k - 1) / (k + 2) * (x - x_previous)
            x_previous = x
            ys.append(y)
    np.testing.assert_allclose(result.trajectory, np.array(ys), rtol=0, atol=1e-10)
    assert np.abs(result.trajectory[-1]).max() > 0.1  # Far from 0: a real comparison.


def test_nesterov_with_a_momentum_schedule_is_sutskevers_form():
    """v' ← μ_t v' − α∇L(θ' + μ_t v'), θ' ← θ' + v', followed at y_t = θ' + μ_t v'."""
    Q = jnp.array([[2.0, 0.5], [0.5, 1.0]])
    mu = lambda t: 0.9 - 0.5 / (1.0 + jnp.asarray(t, dtype=float))  # noqa: E731
    alpha, steps = 0.1, 30
    with jax.enable_x64(True):
        Q = jnp.asarray(Q, dtype=float)
        grad = lambda theta: Q @ theta  # noqa: E731
        theta0 = jnp.array([1.0, -2.0])
        ours = trajectory(optimizers.nesterov(alpha, momentum=mu), grad, theta0, steps)
        theta, v = np.asarray(theta0), np.zeros(2)
        looks = [theta + float(mu(0)) * v]
        for t in range(steps):
            v = float(mu(t)) * v - alpha * np.asarray(grad(jnp.asarray(theta + float(mu(t)) * v)))
            theta = theta + v
            looks.append(theta + float(mu(t + 1)) * v)
    np.testing.assert_allclose(ours, np.array(looks), rtol=1e-12, atol=1e-14)


def test_momentum_with_a_schedule_is_polyaks_form_with_beta_t():
    """θ_{t+1} = θ_t − α g_t + β_t (θ_t − θ_{t−1})."""
    beta = lambda t: 0.3 + 0.6 * jnp.minimum(jnp.asarray(t, dtype=float) / 20, 1.0)  # noqa: E731
    alpha, steps = 0.05, 40
    with jax.enable_x64(True):
        Q = jnp.diag(jnp.array([1.0, 10.0]))
        grad = lambda theta: Q @ theta  # noqa: E731
        theta0 = jnp.array([1.0, 1.0])
        ours = trajectory(optimizers.momentum(alpha, momentum=beta), grad, theta0, steps)
        path = [np.asarray(theta0)] * 2  # θ₋₁ = θ₀: a start from rest.
        for t in range(steps):
            g = np.asarray(grad(jnp.asarray(path[-1])))
            path.append(path[-1] - alpha * g + float(beta(t)) * (path[-1] - path[-2]))
    np.testing.assert_allclose(ours, np.array(path[1:]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("factory", [optimizers.momentum, optimizers.nesterov])
def test_a_constant_momentum_schedule_is_the_constant(factory):
    grad = lambda theta: jnp.array([3.0, 1.0]) * theta  # noqa: E731
    theta0 = jnp.array([1.0, -1.0])
    constant = trajectory(factory(0.1, momentum=0.7), grad, theta0, 20)
    scheduled = trajectory(factory(0.1, momentum=lambda t: 0.7), grad, theta0, 20)
    np.testing.assert_array_equal(constant, scheduled)
    reference = optax.sgd(0.1, momentum=0.7, nesterov=factory is optimizers.nesterov)
    np.testing.assert_allclose(trajectory(reference, grad, theta0, 20), scheduled, rtol=1e-6)


def test_nesterov_momentum_schedule():
    schedule = schedules.nesterov_momentum()
    t = np.arange(200)
    with jax.enable_x64(True):
        values = np.asarray(schedule(jnp.asarray(t)))
    expected = np.maximum(t - 1, 0) / (t + 2)
    np.testing.assert_allclose(values, expected, rtol=1e-15)
    assert np.all((values >= 0) & (values < 1)) and np.all(np.diff(values) >= 0)
    assert schedules.nesterov_momentum() is schedule  # One function: one compiled run.
    assert float(jax.jit(schedule)(3)) == pytest.approx(0.4)


def test_momentum_schedules_are_traced_and_checked():
    with pytest.raises(ValueError, match="momentum must be in"):
        optimizers.nesterov(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="momentum must be in"):
        optimizers.momentum(0.1, momentum=-0.1)
    problem = problems.quadratic((1.0, 10.0))
    a = run(problem, "momentum", steps=30, learning_rate=0.05,
            momentum=schedules.nesterov_momentum())
    assert a.diverged_at is None and a.losses[-1] < a.losses[0]


# -- The forms of the heavy ball ----------------------------------------------------------


def heavy_ball_forms(alpha, beta, grad, theta0, steps, schedule=None):
    """The four forms of the heavy ball, by hand; α_t = schedule(t) when given."""
    at = (lambda t: alpha) if schedule is None else schedule
    theta0 = np.asarray(theta0)
    forms = {}
    # Velocity form: v' ← βv' − α g, θ ← θ + v'.
    theta, v = theta0, np.zeros_like(theta0)
    path = [theta]
    for t in range(steps):
        v = beta * v - at(t) * grad(theta)
        theta = theta + v
        path.append(theta)
    forms["velocity"] = np.array(path)
    # EMA ("dampened") form: m ← βm + (1 − β) g, θ ← θ − α_m m, α_m = α/(1 − β).
    theta, m = theta0, np.zeros_like(theta0)
    path = [theta]
    for t in range(steps):
        m = beta * m + (1 - beta) * grad(theta)
        theta = theta - at(t) / (1 - beta) * m
        path.append(theta)
    forms["ema"] = np.array(path)
    # Polyak: θ_{t+1} = θ_t − α ∇L(θ_t) + β(θ_t − θ_{t−1}), θ₋₁ = θ₀.
    path = [theta0, theta0]
    for t in range(steps):
        path.append(path[-1] - at(t) * grad(path[-1]) + beta * (path[-1] - path[-2]))
    forms["polyak"] = np.array(path[1:])
    return forms


def test_the_forms_of_the_heavy_ball_visit_the_same_points():
    alpha, beta, steps = 0.04, 0.8, 60
    with jax.enable_x64(True):
        Q = np.array([[3.0, 1.0], [1.0, 8.0]])
        grad = lambda theta: Q @ theta  # noqa: E731
        theta0 = np.array([1.0, -2.0])
        trace = trajectory(optimizers.momentum(alpha, momentum=beta),
                           lambda th: jnp.asarray(Q) @ th, jnp.asarray(theta0), steps)
    forms = heavy_ball_forms(alpha, beta, grad, theta0, steps)
    assert np.abs(trace[-1]).max() > 1e-4  # Still far above the tolerance.
    for name, path in forms.items():
        np.testing.assert_allclose(path, trace, rtol=1e-11, atol=1e-14, err_msg=name)


def test_under_a_schedule_the_trace_and_velocity_forms_differ():
    """optax's trace form scales the whole velocity by the current α; the velocity form
    scales each gradient by the α of its own step."""
    beta, steps = 0.9, 40
    schedule = lambda t: 0.05 * 0.9 ** t  # noqa: E731
    with jax.enable_x64(True):
        Q = np.diag([1.0, 4.0])
        grad = lambda theta: Q @ theta  # noqa: E731
        theta0 = np.array([1.0, 1.0])
        trace = trajectory(optimizers.momentum(lambda t: 0.05 * 0.9 ** jnp.asarray(t, float),
                                               momentum=beta),
                           lambda th: jnp.asarray(Q) @ th, jnp.asarray(theta0), steps)
    forms = heavy_ball_forms(None, beta, grad, theta0, steps, schedule=schedule)
    np.testing.assert_allclose(trace[:2], forms["velocity"][:2], rtol=1e-12)  # Step 1 agrees.
    assert np.abs(trace[5:] - forms["velocity"][5:]).max() > 1e-2
    # The EMA form with α_t/(1 − β) on m is the trace form under any schedule.
    np.testing.assert_allclose(forms["ema"], trace, rtol=1e-11, atol=1e-14)


# -- Lessard, Recht and Packard's counterexample ------------------------------------------


def test_lessard_counterexample_is_strongly_convex_and_smooth():
    with jax.enable_x64(True):
        problem = problems.lessard_counterexample()
        f = lambda x: problem.loss(jnp.array([x]))  # noqa: E731
        df = jax.grad(f)
        for knot in (1.0, 2.0):  # L and L' continuous at the knots.
            for h in (1e-6, 1e-9):
                assert float(f(knot - h)) == pytest.approx(float(f(knot)), abs=1e-4 * h ** 0.5 + 40 * h)
                assert float(df(knot - h)) == pytest.approx(float(df(knot)), abs=30 * h)
        x = np.random.default_rng(3).uniform(-4, 5, (2, 2000))
        slopes = (np.asarray(jax.vmap(df)(x[0])) - np.asarray(jax.vmap(df)(x[1]))) / (x[0] - x[1])
        assert slopes.min() >= 1 - 1e-9 and slopes.max() <= 25 + 1e-9  # μ = 1, L = 25.
        assert slopes.min() < 1.01 and slopes.max() > 24.9
        assert float(f(0.0)) == 0.0 and float(df(0.0)) == 0.0
        assert problem.init.shape == (1,) and float(problem.init[0]) == 3.3
    with pytest.raises(ValueError, match="init"):
        problems.lessard_counterexample(init=np.nan)


def test_heavy_ball_cycles_on_lessards_function_where_gd_and_nesterov_converge():
    with jax.enable_x64(True):
        problem = problems.lessard_counterexample()
        alpha, beta = (float(v) for v in theory.heavy_ball_optimal((1.0, 25.0)))
        assert (alpha, beta) == pytest.approx((1 / 9, 4 / 9))
        heavy = run(problem, "momentum", steps=3000, learning_rate=alpha, momentum=beta)
        gd = run(problem, "sgd", steps=400, learning_rate=2 / 26)
        na, nb = (float(v) for v in theory.nesterov_optimal((1.0, 25.0)))
        nag = run(problem, "nesterov", steps=400, learning_rate=na, momentum=nb)
    x = heavy.trajectory[:, 0]
    # A period-3 cycle: x_{t+3} = x_t, with three distinct points, one of them beyond 2.
    np.testing.assert_allclose(x[-300:], x[-303:-3], rtol=1e-12)
    points = np.sort(x[-3:])
    np.testing.assert_allclose(points, [-1.80244898, 0.64653061, 2.11591837], atol=1e-8)
    assert heavy.losses[-3:].min() > 5  # Never near the minimum.
    assert abs(gd.trajectory[-1, 0]) < 1e-10 and abs(nag.trajectory[-1, 0]) < 1e-10
    # On the quadratic with L'' = 25 or 1 alone, the same tuning converges.
    for lam in (1.0, 25.0):
        assert float(theory.momentum_rate(alpha, beta, jnp.array([lam]))) < 1
