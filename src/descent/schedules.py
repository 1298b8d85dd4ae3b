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
from jax.typing import ArrayLike

from descent.optimizers import _check

__all__ = ["constant", "step_decay", "exponential_decay", "cosine_decay", "warmup_cosine"]

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
