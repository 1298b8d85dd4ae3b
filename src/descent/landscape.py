r"""What makes a deep-learning loss landscape hard: cliffs, symmetries, curvature, powers.

The chapter "Why deep-learning optimization is hard" shows each difficulty on something
you can run; the pieces a second chapter would reuse live here.

- :func:`cliff`: a 2-D loss with a cliff, whose gradient on the cliff face is huge.
- :func:`permute_hidden_units`, :func:`rescale_hidden_units`: move a network's parameters
  without changing the function it computes (the non-identifiability of its weights);
  :func:`equivalent_networks` counts the permutations and sign flips.
- :func:`curvature_along_gradient`: gᵀg and gᵀHg, the first- and second-order terms of
  :math:`L(\theta - \alpha g) \approx L(\theta) - \alpha g^\top g + \tfrac12 \alpha^2 g^\top H g`.
- :func:`power_norms`: ‖Wᵗv‖ for t = 0, …, T, the vanishing and exploding products of a
  recurrent network.

>>> import jax.numpy as jnp
>>> loss = lambda theta: 0.5 * (theta[0] ** 2 + 10 * theta[1] ** 2)
>>> gg, gHg = curvature_along_gradient(loss, jnp.array([1.0, 1.0]))
>>> print(float(gg), float(gHg))  # g = (1, 10): gᵀg = 101, gᵀHg = 1 + 1000.
101.0 1001.0
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from jax.tree_util import Partial
from jax.typing import ArrayLike

from descent.problems import Problem

__all__ = [
    "cliff",
    "permute_hidden_units",
    "rescale_hidden_units",
    "equivalent_networks",
    "curvature_along_gradient",
    "power_norms",
]

Params = Any  # A pytree of arrays.


# ---------------------------------------------------------------------------------------
# A cliff.


def _cliff_loss(height, sharpness, theta):
    x, y = theta
    bowl = 0.5 * (0.1 * (x - 2.0) ** 2 + y**2)  # A gentle bowl around (2, 0).
    edge = x - 0.3 * y  # The cliff runs along the line x = 0.3 y.
    return bowl + height * jax.nn.sigmoid(-sharpness * edge)  # A drop of `height`.


def cliff(height: float = 10.0, sharpness: float = 50.0,
          init: ArrayLike = (-3.0, 1.0)) -> Problem:
    r"""A high plateau, a sudden drop, and a bowl at its foot.

    .. math::
        L(x, y) = \tfrac12\left(0.1\,(x - 2)^2 + y^2\right)
                  + h\,\sigma\!\left(-k\,(x - 0.3\,y)\right)

    with σ the logistic function. Left of the line x = 0.3y the loss is about h higher;
    across the line it drops by h within a width of about 4/k. On the cliff face the
    gradient reaches hk/4 (about 125 for the defaults), thousands of times its size on
    the plateau, so a learning rate that is careful on the plateau takes one enormous
    step there. The minimum lies near (2, 0), just below the cliff.

    Args:
        height: h > 0, the height of the drop.
        sharpness: k > 0; the steepest slope of the cliff face is hk/4.
        init: θ₀, on the plateau by default.
    """
    if not (height > 0 and sharpness > 0):
        raise ValueError(f"cliff: height and sharpness must be > 0, got {height}, {sharpness}")
    init = np.asarray(init, dtype=float)
    if init.shape != (2,) or not np.all(np.isfinite(init)):
        raise ValueError(f"cliff: init must be 2 finite numbers, got {init.tolist()!r}")
    return Problem(
        name=f"cliff h = {height:g}, k = {sharpness:g}",
        loss=Partial(_cliff_loss, jnp.float32(height), jnp.float32(sharpness)),
        init=jnp.asarray(init, dtype=jnp.float32),
        minimum=None,  # Near (2, 0), not in closed form.
        window=(-4.0, 4.0, -2.5, 2.5),
        note="A plateau ends in a cliff; on its face the gradient is huge.",
    )


# ---------------------------------------------------------------------------------------
# Symmetries of a multilayer perceptron.


def _dense(params: Params, index: int) -> dict:
    name = f"Dense_{index}"
    if name not in params:
        raise ValueError(f"no layer {name} in the parameters (layers: {sorted(params)})")
    return params[name]


def permute_hidden_units(params: Params, layer: int, permutation: ArrayLike) -> Params:
    """Reorder the units of hidden layer ``layer`` of a :class:`descent.problems.MLP`.

    Unit i of the new network is unit ``permutation[i]`` of the old one: its incoming
    weights (a column of ``Dense_{layer}``'s kernel), its bias, and its outgoing weights
    (a row of ``Dense_{layer + 1}``'s kernel) move together, so the network computes the
    same function.

    Args:
        params: the parameters of an MLP, ``{"Dense_0": {"kernel", "bias"}, ...}``.
        layer: which hidden layer, 0 for the first.
        permutation: a permutation of 0, …, width − 1.

    Returns:
        The permuted parameters (a new dict; ``params`` is unchanged).
    """
    into, out = _dense(params, layer), _dense(params, layer + 1)
    permutation = np.asarray(permutation)
    width = into["bias"].shape[0]
    if sorted(permutation.tolist()) != list(range(width)):
        raise ValueError(f"permutation must reorder 0, …, {width - 1}, got {permutation}")
    new = dict(params)
    new[f"Dense_{layer}"] = {"kernel": into["kernel"][:, permutation],
                             "bias": into["bias"][permutation]}
    new[f"Dense_{layer + 1}"] = {"kernel": out["kernel"][permutation, :], "bias": out["bias"]}
    return new


def rescale_hidden_units(params: Params, layer: int, scales: ArrayLike) -> Params:
    """Multiply the incoming weights of each ReLU unit by c > 0 and its outgoing ones by 1/c.

    Since ReLU(c·z) = c·ReLU(z) for c > 0, the network computes the same function. With a
    negative c this would hold for an odd activation such as tanh only when c = −1.

    Args:
        params: the parameters of an MLP with ReLU hidden units.
        layer: which hidden layer, 0 for the first.
        scales: c, one positive number per unit.
    """
    into, out = _dense(params, layer), _dense(params, layer + 1)
    scales = jnp.asarray(scales, dtype=into["bias"].dtype)
    if scales.shape != into["bias"].shape or not bool(jnp.all(scales > 0)):
        raise ValueError(f"scales must be {into['bias'].shape[0]} positive numbers")
    new = dict(params)
    new[f"Dense_{layer}"] = {"kernel": into["kernel"] * scales, "bias": into["bias"] * scales}
    new[f"Dense_{layer + 1}"] = {"kernel": out["kernel"] / scales[:, None], "bias": out["bias"]}
    return new


def equivalent_networks(hidden: Sequence[int], sign_flips: bool = False) -> int:
    r"""How many weight settings compute the same function by permuting and flipping units.

    Each hidden layer of width n can be permuted in n! ways. With an odd activation
    (tanh: tanh(−z) = −tanh(z)) each unit can also flip the sign of its incoming
    weights, bias and outgoing weights, 2ⁿ times as many. The count, :math:`\prod_\ell n_\ell!\,(2^{n_\ell})`, ignores the continuous
    rescalings of ReLU units, which make infinitely many more.

    >>> equivalent_networks([3])
    6
    >>> equivalent_networks([3, 2], sign_flips=True)
    384
    """
    count = 1
    for width in hidden:
        width = int(width)
        if width < 0:
            raise ValueError(f"hidden widths must be ≥ 0, got {width}")
        count *= math.factorial(width) * (2**width if sign_flips else 1)
    return count


# ---------------------------------------------------------------------------------------
# Curvature along the gradient, and powers of a matrix.


def curvature_along_gradient(loss: Callable, params: Params, *args) -> tuple[jax.Array, jax.Array]:
    r"""gᵀg and gᵀHg at ``params``, with g = ∇L and H the Hessian of L there.

    The Taylor expansion of a gradient step is
    :math:`L(\theta - \alpha g) \approx L(\theta) - \alpha g^\top g + \tfrac12\alpha^2 g^\top H g`.
    H is never formed: gᵀHg is one Hessian-vector product (``jax.jvp`` of ``jax.grad``).

    Args:
        loss: L, called as ``loss(params, *args)`` (e.g. ``args = (batch,)``).
        params: θ, a pytree.
        *args: further arguments of ``loss``, held fixed.
    """

    def grad(p):
        return jax.grad(loss)(p, *args)

    g = grad(params)
    _, Hg = jax.jvp(grad, (params,), (g,))  # H g, without forming H.
    g_flat, Hg_flat = ravel_pytree(g)[0], ravel_pytree(Hg)[0]
    return g_flat @ g_flat, g_flat @ Hg_flat


def power_norms(W: ArrayLike, v: ArrayLike, steps: int) -> np.ndarray:
    """‖Wᵗv‖ for t = 0, 1, …, ``steps``: shape (steps + 1,).

    In a linear recurrent network h_t = W h_{t−1}, this is how far a signal (and, with
    Wᵀ, a gradient) carries after t steps.
    """
    W, v = jnp.asarray(W), jnp.asarray(v)

    def step(u, _):
        u = W @ u
        return u, jnp.linalg.norm(u)

    _, norms = jax.lax.scan(step, v, length=int(steps))
    return np.concatenate([[float(jnp.linalg.norm(v))], np.asarray(norms)])
