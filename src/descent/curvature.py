r"""Curvature along the gradient: gᵀg and gᵀHg, measured with one Hessian-vector product.

A gradient step changes the loss by
:math:`L(\theta - \alpha g) \approx L(\theta) - \alpha g^\top g + \tfrac12 \alpha^2 g^\top H g`,
so the Rayleigh quotient gᵀHg / gᵀg is the curvature the step meets. It lies between
λ_min and λ_max of H: a lower bound on the sharpness λ_max, not the sharpness itself.

>>> import jax.numpy as jnp
>>> loss = lambda theta: 0.5 * (theta[0] ** 2 + 10 * theta[1] ** 2)
>>> gg, gHg = curvature_along_gradient(loss, jnp.array([1.0, 1.0]))
>>> print(float(gg), float(gHg))  # g = (1, 10): gᵀg = 101, gᵀHg = 1 + 1000.
101.0 1001.0
"""

from __future__ import annotations

from typing import Any, Callable

import jax
from jax.flatten_util import ravel_pytree

__all__ = ["curvature_along_gradient"]

Params = Any  # A pytree of arrays.


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
