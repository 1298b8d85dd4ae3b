r"""Symmetries of a multilayer perceptron: moving its weights without changing its function.

A network's weights are not identifiable: permuting the units of a hidden layer (with
their incoming and outgoing weights) or rescaling a ReLU unit's incoming weights by c > 0
and its outgoing ones by 1/c leaves the function it computes unchanged. So a loss over
weights has many copies of each of its minima, and flat valleys joining them.
:func:`descent.theory.equivalent_networks` counts the discrete copies.

>>> import jax, jax.numpy as jnp
>>> from descent.problems import MLP
>>> model = MLP(hidden=(3,), classes=2)
>>> x = jnp.ones((1, 4))
>>> params = model.init(jax.random.key(0), x)["params"]
>>> moved = permute_hidden_units(params, 0, [2, 0, 1])
>>> bool(jnp.allclose(model.apply({"params": params}, x), model.apply({"params": moved}, x)))
True
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

__all__ = ["permute_hidden_units", "rescale_hidden_units"]

Params = Any  # A pytree of arrays.


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
