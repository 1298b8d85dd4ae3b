r"""Curvature along the gradient: gᵀg and gᵀHg, measured with one Hessian-vector product.

A gradient step changes the loss by
:math:`L(\theta - \alpha g) \approx L(\theta) - \alpha g^\top g + \tfrac12 \alpha^2 g^\top H g`,
so the Rayleigh quotient gᵀHg / gᵀg is the curvature the step meets. It lies between
λ_min and λ_max of H: a lower bound on the sharpness λ_max, not the sharpness itself.
:func:`sharpness` estimates λ_max by power iteration, with Hessian-vector products too.

>>> import jax.numpy as jnp
>>> loss = lambda theta: 0.5 * (theta[0] ** 2 + 10 * theta[1] ** 2)
>>> gg, gHg = curvature_along_gradient(loss, jnp.array([1.0, 1.0]))
>>> print(float(gg), float(gHg))  # g = (1, 10): gᵀg = 101, gᵀHg = 1 + 1000.
101.0 1001.0
>>> print(round(float(sharpness(loss, jnp.array([1.0, 1.0]), key=jax.random.key(0))), 4))
10.0
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

__all__ = ["curvature_along_gradient", "sharpness"]

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


def sharpness(loss: Callable, params: Params, *args, key: jax.Array,
              iterations: int = 20) -> jax.Array:
    r"""λ_max of the Hessian H of L at ``params``, estimated by power iteration.

    From a random unit vector v, ``iterations`` times :math:`v \leftarrow Hv / \lVert Hv\rVert`,
    each Hv one Hessian-vector product; the estimate is the Rayleigh quotient
    :math:`v^\top H v` of the last v. A Rayleigh quotient lies between λ_min and λ_max, so the
    estimate is a lower bound on λ_max after any number of iterations; it converges to the
    eigenvalue of largest modulus, at the rate :math:`\lvert\lambda_2/\lambda_1\rvert` per
    iteration (λ₁, λ₂ the two largest in modulus). If that eigenvalue is negative (a saddle
    steeper downwards than upwards) the estimate goes to it, not to λ_max.

    Args:
        loss: L, called as ``loss(params, *args)``.
        params: θ, a pytree.
        *args: further arguments of ``loss``, held fixed (e.g. a batch).
        key: a ``jax.random.key`` that draws the starting vector.
        iterations: the number of power-iteration steps.
    """
    flat, unravel = ravel_pytree(params)

    def grad(q):
        return ravel_pytree(jax.grad(loss)(unravel(q), *args))[0]

    def hvp(v):  # H v, without forming H.
        return jax.jvp(grad, (flat,), (v,))[1]

    def step(_, v):
        w = hvp(v)
        return w / jnp.linalg.norm(w)  # v ← Hv / ‖Hv‖.

    v = jax.random.normal(key, flat.shape, flat.dtype)
    v = jax.lax.fori_loop(0, int(iterations), step, v / jnp.linalg.norm(v))
    return v @ hvp(v)  # The Rayleigh quotient vᵀHv, ‖v‖ = 1.
