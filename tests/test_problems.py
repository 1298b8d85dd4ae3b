"""The problems: their minima are minima, their windows show them, their losses are right."""

from __future__ import annotations

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descent.problems
from descent.problems import (
    Batch,
    beale,
    loss_grid,
    mlp_classifier,
    monkey_saddle,
    quadratic,
    rosenbrock,
    saddle,
    soft_label_classifier,
)

TWO_D = {
    "quadratic": lambda: quadratic((1.0, 6.0), angle=np.pi / 16),
    "quadratic, κ = 100": lambda: quadratic((0.1, 10.0), angle=-0.7, init=(2.0, 3.0)),
    "quadratic, zero eigenvalue": lambda: quadratic((0.0, 2.0)),
    "quadratic, saddle": lambda: quadratic((1.0, -2.0), angle=0.3),
    "rosenbrock": rosenbrock,
    "rosenbrock a = 2, b = 10": lambda: rosenbrock(a=2.0, b=10.0),
    "beale": beale,
    "saddle": saddle,
    "monkey saddle": monkey_saddle,
}
WITH_MINIMUM = ["quadratic", "quadratic, κ = 100", "quadratic, zero eigenvalue", "rosenbrock",
                "rosenbrock a = 2, b = 10", "beale"]
SADDLES = ["quadratic, saddle", "saddle", "monkey saddle"]


def nearby(point, radius, count=200, seed=0):
    """``count`` random points within ``radius`` of ``point``, in every direction."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(count, np.size(point)))
    scales = radius * rng.uniform(0.01, 1.0, size=(count, 1))
    points = np.asarray(point) + scales * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    return jnp.asarray(points, dtype=jnp.float32)


def test_doctests():
    result = doctest.testmod(descent.problems)
    assert result.attempted >= 6 and result.failed == 0, result


# ---------------------------------------------------------------------------------------
# Quadratics.


def test_quadratic_is_half_theta_q_theta_with_gradient_q_theta():
    problem = quadratic((1.0, 6.0), angle=np.pi / 16)
    Q = np.asarray(problem.Q)
    for theta in np.asarray(nearby(jnp.zeros(2), 10.0, count=5)):
        np.testing.assert_allclose(problem.loss(theta), 0.5 * theta @ Q @ theta, rtol=1e-5)
        np.testing.assert_allclose(jax.grad(problem.loss)(theta), Q @ theta, rtol=1e-5, atol=1e-5)


def test_quadratic_eigenvectors_are_the_rotated_axes():
    angle = 0.4
    problem = quadratic((2.0, 5.0), angle=angle)
    R, Q, lam = (np.asarray(a) for a in (problem.eigenvectors, problem.Q, problem.eigenvalues))
    np.testing.assert_allclose(R[:, 0], [np.cos(angle), np.sin(angle)], atol=1e-6)
    np.testing.assert_allclose(R.T @ R, np.eye(2), atol=1e-6)
    np.testing.assert_allclose(Q, Q.T)
    for i in range(2):  # Q vᵢ = λᵢ vᵢ, in the order given.
        np.testing.assert_allclose(Q @ R[:, i], lam[i] * R[:, i], atol=1e-5)
    np.testing.assert_allclose(lam, [2.0, 5.0])


def test_quadratic_in_n_dimensions_is_diagonal():
    problem = quadratic((1.0, 2.0, 3.0))
    np.testing.assert_allclose(problem.Q, np.diag([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(problem.init, np.ones(3))
    assert problem.window is None
    assert problem.loss(jnp.array([1.0, 1.0, 1.0])) == pytest.approx(3.0)


def test_quadratic_minimum_or_saddle_is_said():
    assert quadratic((1.0, 6.0)).minimum is not None
    indefinite = quadratic((1.0, -2.0))
    assert indefinite.minimum is None and indefinite.minimum_value is None
    np.testing.assert_array_equal(indefinite.saddle_point, [0.0, 0.0])
    assert "saddle" in indefinite.note
    concave = quadratic((-1.0, -2.0))
    assert concave.minimum is None and concave.saddle_point is None and "maximum" in concave.note
    assert "line of minimizers" in quadratic((0.0, 2.0)).note


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"eigenvalues": (1.0, np.nan)}, "eigenvalues"),
        ({"eigenvalues": (1.0, np.inf)}, "eigenvalues"),
        ({"eigenvalues": ()}, "eigenvalues"),
        ({"eigenvalues": [[1.0, 2.0]]}, "eigenvalues"),
        ({"eigenvalues": (1.0, 2.0, 3.0), "angle": 0.5}, "angle"),
        ({"eigenvalues": (1.0, 2.0), "angle": np.nan}, "angle"),
        ({"eigenvalues": (1.0, 2.0), "init": (1.0, 2.0, 3.0)}, "init"),
        ({"eigenvalues": (1.0, 2.0), "init": (1.0, np.inf)}, "init"),
    ],
)
def test_quadratic_rejects_bad_arguments_by_name(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        quadratic(**kwargs)


# ---------------------------------------------------------------------------------------
# Every 2-D problem.


@pytest.mark.parametrize("name", WITH_MINIMUM)
def test_minimum_is_a_minimum(name):
    problem = TWO_D[name]()
    theta_star = problem.minimum
    np.testing.assert_allclose(jax.grad(problem.loss)(theta_star), [0.0, 0.0], atol=1e-5)
    assert problem.loss(theta_star) == pytest.approx(problem.minimum_value, abs=1e-6)
    around = jax.vmap(problem.loss)(nearby(theta_star, radius=0.1))
    assert np.all(np.asarray(around) >= problem.loss(theta_star) - 1e-6)


@pytest.mark.parametrize("name", SADDLES)
def test_saddle_point_is_a_saddle(name):
    problem = TWO_D[name]()
    assert problem.minimum is None and problem.minimum_value is None
    point = problem.saddle_point
    np.testing.assert_allclose(jax.grad(problem.loss)(point), [0.0, 0.0], atol=1e-6)
    around = np.asarray(jax.vmap(problem.loss)(nearby(point, radius=0.1)))
    assert np.any(around > problem.loss(point)) and np.any(around < problem.loss(point))


@pytest.mark.parametrize("name", TWO_D)
def test_window_contains_start_minimum_and_saddle(name):
    problem = TWO_D[name]()
    xmin, xmax, ymin, ymax = problem.window
    assert xmin < xmax and ymin < ymax
    for point in (problem.init, problem.minimum, problem.saddle_point):
        if point is not None:
            x, y = np.asarray(point)
            assert xmin <= x <= xmax and ymin <= y <= ymax, (point, problem.window)


def test_quadratic_window_holds_the_level_set_through_the_start():
    problem = quadratic((1.0, 6.0), angle=np.pi / 16)
    xmin, xmax, ymin, ymax = problem.window
    level = problem.loss(problem.init)
    angles = np.linspace(0, 2 * np.pi, 400)
    # Points on the ellipse L(θ) = L(θ₀): θ = R diag(√(2L/λ)) (cos φ, sin φ).
    radii = np.sqrt(2 * level / np.asarray(problem.eigenvalues))
    circle = np.array([np.cos(angles), np.sin(angles)])
    ellipse = (np.asarray(problem.eigenvectors) @ (radii[:, None] * circle)).T
    assert np.all((xmin <= ellipse[:, 0]) & (ellipse[:, 0] <= xmax))
    assert np.all((ymin <= ellipse[:, 1]) & (ellipse[:, 1] <= ymax))
    assert xmax < 1.25 * np.abs(ellipse[:, 0]).max()  # Snug: the ellipse fills the window.


def test_known_minima():
    np.testing.assert_allclose(rosenbrock(a=2.0, b=10.0).minimum, [2.0, 4.0])
    np.testing.assert_allclose(beale().minimum, [3.0, 0.5])
    assert rosenbrock().loss(jnp.array([-1.2, 1.0])) == pytest.approx(24.2)
    assert beale().loss(jnp.array([1.0, 1.5])) == pytest.approx(41.25)
    assert saddle().loss(jnp.array([1.0, 2.0])) == pytest.approx(-3.0)
    assert monkey_saddle().loss(jnp.array([1.0, 2.0])) == pytest.approx(1.0 - 12.0)


def test_loss_grid_matches_the_loss():
    problem = rosenbrock()
    x, y, Z = loss_grid(problem, resolution=31)
    assert x.shape == (31,) and y.shape == (31,) and Z.shape == (31, 31)
    xmin, xmax, ymin, ymax = problem.window
    assert (x[0], x[-1], y[0], y[-1]) == pytest.approx((xmin, xmax, ymin, ymax))
    for i, j in [(0, 0), (3, 17), (30, 5)]:  # Z[i, j] is L at (x[j], y[i]).
        assert Z[i, j] == pytest.approx(float(problem.loss(jnp.array([x[j], y[i]]))), rel=1e-5)
    x, y, Z = loss_grid(problem, resolution=5, window=(0.0, 1.0, 2.0, 3.0))
    assert (x[0], x[-1], y[0], y[-1]) == (0.0, 1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match="not a 2-D problem"):
        loss_grid(soft_label_classifier())


# ---------------------------------------------------------------------------------------
# The soft-label classifier.


def test_soft_label_reachable_target_has_minimum_zero():
    problem = soft_label_classifier(target=(0.3, 0.7), x=(1.0, -2.0))
    assert problem.minimum_value == 0.0
    np.testing.assert_allclose(problem.probabilities(problem.minimum), [0.3, 0.7], rtol=1e-5)
    assert problem.loss(problem.minimum) == pytest.approx(0.0, abs=1e-6)
    grads = jax.grad(problem.loss)(problem.minimum)
    assert all(np.allclose(g, 0.0, atol=1e-6) for g in jax.tree.leaves(grads))
    # At θ = 0 the prediction is uniform and L = KL(t ‖ uniform) = log 2 − H(t).
    entropy = -(0.3 * np.log(0.3) + 0.7 * np.log(0.7))
    assert problem.loss(problem.init) == pytest.approx(np.log(2) - entropy, rel=1e-5)


def test_soft_label_one_hot_target_is_approached_only_at_infinity():
    problem = soft_label_classifier(target=(0.0, 1.0))
    assert problem.minimum is None and problem.minimum_value == 0.0
    assert "without bound" in problem.note
    # Along the direction that raises the right logit, the logits are z = (−2s, 2s) and
    # L = log(1 + e^{−4s}): it falls towards 0 but is positive at every finite point.
    direction = {"W": jnp.array([[-1.0], [1.0]]), "b": jnp.array([-1.0, 1.0])}
    scales = np.array([0.0, 0.5, 1.0, 2.0])
    losses = np.array([problem.loss(jax.tree.map(lambda d: s * d, direction)) for s in scales])
    np.testing.assert_allclose(losses, np.log1p(np.exp(-4 * scales)), rtol=1e-4)
    assert np.all(np.diff(losses) < 0) and losses[-1] > 0
    # The gradient never vanishes at a finite point.
    grads = jax.grad(problem.loss)(jax.tree.map(lambda d: 2 * d, direction))
    assert max(float(jnp.abs(g).max()) for g in jax.tree.leaves(grads)) > 1e-4


@pytest.mark.parametrize("target", [(0.5,), (0.5, 0.6), (-0.1, 1.1), [[0.5, 0.5]]])
def test_soft_label_rejects_a_target_that_is_not_a_distribution(target):
    with pytest.raises(ValueError, match="target"):
        soft_label_classifier(target=target)


# ---------------------------------------------------------------------------------------
# The MLP on Fashion-MNIST.


@pytest.fixture(scope="module")
def mlp():
    return mlp_classifier(hidden=(32,), key=jax.random.key(0))


def test_mlp_params_are_a_plain_pytree_drawn_from_the_key(mlp):
    shapes = jax.tree.map(jnp.shape, mlp.init)
    assert shapes == {"Dense_0": {"kernel": (784, 32), "bias": (32,)},
                      "Dense_1": {"kernel": (32, 10), "bias": (10,)}}
    assert isinstance(mlp.init, dict)
    again = mlp.model.init(jax.random.key(0), jnp.zeros((1, 784)))["params"]
    other = mlp.model.init(jax.random.key(1), jnp.zeros((1, 784)))["params"]
    assert all(jax.tree.leaves(jax.tree.map(jnp.array_equal, mlp.init, again)))
    assert not jnp.array_equal(mlp.init["Dense_0"]["kernel"], other["Dense_0"]["kernel"])


def test_mlp_data_come_scaled_and_flattened(mlp):
    train, test = mlp.train_data, mlp.test_data
    assert train.inputs.shape == (60000, 784) and test.inputs.shape == (10000, 784)
    assert train.inputs.dtype == jnp.float32 and train.labels.dtype == jnp.int32
    assert float(train.inputs.min()) == 0.0 and float(train.inputs.max()) == 1.0
    assert set(np.unique(np.asarray(test.labels))) == set(range(10))


def test_mlp_loss_is_mean_cross_entropy_and_accuracy_counts_argmax(mlp):
    import optax

    batch = Batch(mlp.train_data.inputs[:512], mlp.train_data.labels[:512])
    logits = mlp.model.apply({"params": mlp.init}, batch.inputs)
    expected = optax.softmax_cross_entropy_with_integer_labels(logits, batch.labels).mean()
    assert mlp.loss(mlp.init, batch) == pytest.approx(float(expected), rel=1e-5)
    assert float(mlp.accuracy(mlp.init, batch)) == pytest.approx(
        float(np.mean(np.argmax(logits, axis=1) == batch.labels)))


def test_mlp_loss_falls_under_a_few_adam_steps(mlp):
    from descent.runner import train

    # The same call as in test_runner.py, so the session compiles it once.
    result = train(mlp, "adam", mlp.train_data, steps=100, batch_size=128,
                   key=jax.random.key(1), learning_rate=3e-3)
    batch = Batch(mlp.test_data.inputs[:1000], mlp.test_data.labels[:1000])
    assert mlp.loss(result.params, batch) < 0.5 * mlp.loss(mlp.init, batch)
    assert float(mlp.accuracy(result.params, batch)) > 0.7


def test_mlp_rejects_bad_widths():
    with pytest.raises(ValueError, match="hidden"):
        mlp_classifier(hidden=(0,), key=jax.random.key(0))


def test_mlp_train_size_keeps_a_copy_of_the_first_images(mlp):
    small = mlp_classifier(hidden=(32,), key=jax.random.key(0), train_size=500, test_size=5000)
    assert small.train_data.inputs.shape == (500, 784) and small.test_data.labels.shape == (5000,)
    np.testing.assert_array_equal(small.train_data.inputs, mlp.train_data.inputs[:500])
    np.testing.assert_array_equal(small.test_data.labels, mlp.test_data.labels[:5000])
    assert small.train_data.inputs is not mlp.train_data.inputs  # Its own arrays ...
    # ... while the whole split is shared, not copied, and so is a "first 60 000".
    assert mlp_classifier(hidden=(8,), key=jax.random.key(1)).train_data.inputs is mlp.train_data.inputs
    whole = mlp_classifier(hidden=(8,), key=jax.random.key(1), train_size=60_000)
    assert whole.train_data.inputs is mlp.train_data.inputs
    assert all(jax.tree.leaves(jax.tree.map(jnp.array_equal, small.init, mlp.init)))


def test_a_split_nothing_holds_is_freed():
    # In a process of its own: this module's fixture holds both splits.
    import subprocess
    import sys

    script = """
import gc, weakref, jax
import descent.problems as p
data = p.fashion_mnist("train")
assert p.fashion_mnist("train").inputs is data.inputs  # Shared while held.
alive = weakref.ref(data.inputs)
small = p.mlp_classifier(hidden=(8,), key=jax.random.key(0), train_size=500, test_size=10)
del data
gc.collect()
print(alive() is None, small.train_data.inputs.shape)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    # The module kept no strong reference (a functools.cache would), and the 500 images the
    # small problem kept are a copy, so the 60 000 (188 MB) went.
    assert out.stdout.split("\n")[-2] == "True (500, 784)", out.stdout + out.stderr


def test_unscaled_pixels_train_and_measure_the_mlp_bit_for_bit_alike(mlp):
    from descent.runner import train

    pixels = descent.problems.fashion_mnist("train", scaled=False)  # 47 MB, not 188.
    assert pixels.inputs.dtype == jnp.uint8 and pixels.inputs.shape == (60000, 784)
    assert descent.problems.fashion_mnist("train", scaled=False).inputs is pixels.inputs
    np.testing.assert_array_equal(np.asarray(pixels.inputs[:1000]) / np.float32(255),
                                  mlp.train_data.inputs[:1000])
    np.testing.assert_array_equal(pixels.labels, mlp.train_data.labels)
    first = lambda batch: jax.tree.map(lambda a: a[:2000], batch)  # noqa: E731
    as_bytes, as_floats = first(pixels), first(mlp.train_data)
    runs = [train(mlp, "sgd", data, steps=50, batch_size=32, key=jax.random.key(1),
                  learning_rate=0.01) for data in (as_bytes, as_floats)]
    assert all(jax.tree.leaves(jax.tree.map(np.array_equal, runs[0].params, runs[1].params)))
    np.testing.assert_array_equal(runs[0].losses, runs[1].losses)
    assert mlp.loss(runs[0].params, as_bytes) == mlp.loss(runs[0].params, as_floats)
    assert mlp.accuracy(runs[0].params, as_bytes) == mlp.accuracy(runs[0].params, as_floats)


def test_mlp_test_size_0_loads_no_test_split(monkeypatch):
    import descent.data

    loaded = []
    load = descent.data.load_fashion_mnist
    monkeypatch.setattr(descent.data, "load_fashion_mnist",
                        lambda split, **kwargs: loaded.append(split) or load(split, **kwargs))
    small = mlp_classifier(hidden=(8,), key=jax.random.key(0), train_size=100, test_size=0)
    assert small.test_data is None and small.train_data.labels.shape == (100,)
    assert "test" not in loaded  # A chapter loads the test split where it uses it.
    with pytest.raises(ValueError, match="test_size must be a non-negative integer"):
        mlp_classifier(hidden=(8,), key=jax.random.key(0), test_size=-1)


def test_the_first_images_of_a_split_nothing_holds_are_converted_alone():
    # In a process of its own, where nothing holds a split: the 500 images are converted
    # from the uint8 ones, not cut from a float32 copy of all 60 000 (188 MB) made for them.
    import subprocess
    import sys

    script = """
import jax, numpy as np
import descent.problems as p
converted, as_batch = [], p.as_batch
p.as_batch = lambda images, labels: converted.append(len(labels)) or as_batch(images, labels)
small = p.mlp_classifier(hidden=(8,), key=jax.random.key(0), train_size=500, test_size=10)
print(converted)
whole = p.fashion_mnist("train")
print(np.array_equal(small.train_data.inputs, whole.inputs[:500]),
      np.array_equal(small.train_data.labels, whole.labels[:500]))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[-3:-1] == ["[500, 10]", "True True"], out.stdout + out.stderr


@pytest.mark.parametrize("size", [0, -5, 2.5, True, "500"])
def test_mlp_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="train_size must be a positive integer"):
        mlp_classifier(hidden=(8,), key=jax.random.key(0), train_size=size)


def test_mlp_rejects_more_images_than_the_split_has():
    with pytest.raises(ValueError, match="test_size is 20,000, but the test split has only 10,000"):
        mlp_classifier(hidden=(8,), key=jax.random.key(0), test_size=20_000)
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        descent.problems.fashion_mnist("validation")
