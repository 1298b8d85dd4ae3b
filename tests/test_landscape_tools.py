"""Cliffs, network symmetries, curvature along the gradient, powers of a matrix."""

import doctest
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descent.curvature
import descent.symmetries
from descent.curvature import curvature_along_gradient
from descent.problems import cliff
from descent.symmetries import permute_hidden_units, rescale_hidden_units
from descent.theory import equivalent_networks, power_norms
from descent.optimizers import chain, clip_by_global_norm, sgd
from descent.problems import MLP
from descent.runner import run


@pytest.mark.parametrize("module, examples", [(descent.curvature, 5), (descent.symmetries, 7)])
def test_doctests(module, examples):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted >= examples, result


@pytest.fixture(scope="module")
def network():
    model = MLP(hidden=(6, 5), classes=3)
    x = jax.random.normal(jax.random.key(0), (7, 4))
    params = model.init(jax.random.key(1), x)["params"]
    return model, params, x


@pytest.mark.parametrize("layer", [0, 1])
def test_permuting_hidden_units_keeps_the_function(network, layer):
    model, params, x = network
    width = params[f"Dense_{layer}"]["bias"].shape[0]
    permutation = np.roll(np.arange(width), 2)
    moved = permute_hidden_units(params, layer, permutation)
    np.testing.assert_allclose(model.apply({"params": moved}, x),
                               model.apply({"params": params}, x), rtol=1e-5, atol=1e-6)
    assert not np.allclose(moved[f"Dense_{layer}"]["kernel"], params[f"Dense_{layer}"]["kernel"])


def test_rescaling_relu_units_keeps_the_function(network):
    model, params, x = network
    moved = rescale_hidden_units(params, 0, jnp.linspace(0.3, 3.0, 6))
    np.testing.assert_allclose(model.apply({"params": moved}, x),
                               model.apply({"params": params}, x), rtol=1e-5, atol=1e-5)


def test_bad_permutations_and_scales_are_refused(network):
    _, params, _ = network
    with pytest.raises(ValueError, match="permutation"):
        permute_hidden_units(params, 0, [0, 0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="positive"):
        rescale_hidden_units(params, 0, -jnp.ones(6))
    with pytest.raises(ValueError, match="no layer"):
        permute_hidden_units(params, 2, np.arange(3))


def test_equivalent_networks_counts():
    assert equivalent_networks([128]) == math.factorial(128)
    assert equivalent_networks([2, 3], sign_flips=True) == 2 * 4 * 6 * 8
    assert equivalent_networks([]) == 1


def test_curvature_along_gradient_on_a_quadratic():
    Q = jnp.array([[3.0, 1.0], [1.0, 2.0]])
    theta = jnp.array([1.0, -2.0])
    gg, gHg = curvature_along_gradient(lambda t: 0.5 * t @ Q @ t, theta)
    g = Q @ theta
    assert float(gg) == pytest.approx(float(g @ g))
    assert float(gHg) == pytest.approx(float(g @ Q @ g))


def test_power_norms_of_a_scaled_rotation():
    c, s = np.cos(0.3), np.sin(0.3)
    W = 0.9 * np.array([[c, -s], [s, c]])
    norms = power_norms(W, np.array([1.0, 0.0]), 10)
    np.testing.assert_allclose(norms, 0.9 ** np.arange(11), rtol=1e-5)


def test_the_cliff_throws_plain_descent_and_clipping_bounds_the_step():
    problem = cliff()
    plain = np.asarray(run(problem, "sgd", 200, learning_rate=0.1).trajectory)
    clipped = np.asarray(run(problem, chain(clip_by_global_norm(1.0), sgd(0.1)), 200).trajectory)
    assert np.linalg.norm(np.diff(plain, axis=0), axis=1).max() > 5
    assert np.linalg.norm(np.diff(clipped, axis=0), axis=1).max() <= 0.1 + 1e-5
    assert float(problem.loss(jnp.asarray(clipped[-1]))) < 0.1
    with pytest.raises(ValueError):
        cliff(height=-1.0)
