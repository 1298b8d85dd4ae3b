r"""Every optimizer of the book, written from scratch in JAX and equal to optax.

An optimizer is a pair of pure functions over pytrees of parameters, exactly as in optax::

    state = optimizer.init(params)
    updates, state = optimizer.update(grads, state, params)
    params = apply_updates(params, updates)

so ``optax.adam(1e-3)`` drops into any loop written for ``adam(1e-3)``, and the tests run
the two side by side. Each update is written out in full, one line per equation of its
paper and in the same order, with the book's symbols: θ the parameters (``params``), g the
gradient, α the learning rate, β the momentum, β₁ and β₂ (``b1``, ``b2``) the decay rates
of the moment estimates m and v, and ε (``eps``). An update is the step u that is added to
the parameters, θ ← θ + u, so it carries the minus sign of descent.

A learning rate is a number or a schedule (see :mod:`descent.schedules`): a function of the
step count t = 0, 1, 2, …, which every optimizer keeps in its state. Hyperparameters may be
traced JAX values, so a jitted run can take them as arguments and moving a slider never
recompiles; concrete values are checked when the optimizer is built, and a value outside
its range raises a ``ValueError`` that names it.

Each docstring says where the book's form differs from optax's default, and how to
configure optax to match, or where it follows optax rather than the letter of the paper:

- Adagrad and RMSProp add ε to √v, outside the square root, as Duchi et al. and Adam do;
  optax adds it inside by default. Adagrad's sum starts at 0, optax's at 0.1.
- Adadelta's default ρ is Zeiler's 0.95; optax's is 0.9.
- Nesterov is Sutskever et al.'s form followed at its look-ahead point, which is
  ``optax.sgd(nesterov=True)``.
- Nadam keeps β₁ constant (Dozat allows a schedule), as optax does.
- AMSGrad keeps Adam's bias corrections, as optax does; the paper's Algorithm 2 has none.
- AdamW multiplies the weight decay λ by α, as optax and PyTorch do; the paper by the
  schedule multiplier only.

Example: minimise L(θ) = ‖θ‖² with Adam.

>>> import jax, jax.numpy as jnp
>>> from descent.optimizers import adam, apply_updates
>>> loss = lambda params: jnp.sum(params**2)
>>> params = jnp.array([1.0, -2.0])
>>> optimizer = adam(learning_rate=0.1)
>>> @jax.jit
... def step(params, state):
...     updates, state = optimizer.update(jax.grad(loss)(params), state, params)
...     return apply_updates(params, updates), state
>>> state = optimizer.init(params)
>>> for _ in range(200):
...     params, state = step(params, state)
>>> print(f"{loss(params):.4f}")
0.0000
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from jax.typing import ArrayLike

__all__ = [
    "GradientTransformation",
    "apply_updates",
    "chain",
    "clip_by_global_norm",
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adadelta",
    "adam",
    "nadam",
    "amsgrad",
    "adamw",
    "precondition",
]

Params = Any  # A pytree of arrays: a dict, a tuple, a single array…
Updates = Any  # A pytree with the structure of the parameters.
Schedule = Callable[[ArrayLike], ArrayLike]  # The step count t ↦ a value.
ScalarOrSchedule = Union[ArrayLike, Schedule]


class GradientTransformation(NamedTuple):
    """An optimizer: a pair of pure functions over pytrees, optax's design.

    ``init(params) -> state`` builds the first state; ``update(grads, state, params=None)
    -> (updates, state)`` turns gradients into the step to add to the parameters.
    """

    init: Callable[[Params], Any]
    update: Callable[..., tuple[Updates, Any]]


# ---------------------------------------------------------------------------------------
# Shared pieces: checking hyperparameters, the learning rate at a step, per-leaf updates.


def _check(where: str, name: str, value: Any, interval: str, integer: bool = False) -> None:
    """Raise a ValueError unless every entry of ``value`` lies in ``interval``.

    ``interval`` is written as in the text, e.g. ``"[0, 1)"`` or ``"(0, inf)"``; a bound may
    be ``inf``, never included. A traced value has no number yet and is not checked: the
    optimizer can be built inside ``jax.jit`` with its hyperparameters as arguments.
    """
    if isinstance(value, jax.core.Tracer):
        return
    try:
        x = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}") from None
    low, high = (float(bound) for bound in interval[1:-1].split(","))
    above = x >= low if interval[0] == "[" else x > low
    below = x <= high if interval[-1] == "]" else x < high
    whole = x == np.round(x) if integer else True
    if not np.all(np.isfinite(x) & above & below & whole):
        kind = "an integer " if integer else ""
        raise ValueError(f"{where}: {name} must be {kind}in {interval}, got {value}")


def _check_learning_rate(where: str, learning_rate: ScalarOrSchedule) -> None:
    """A number in [0, inf); a schedule checks its own arguments (descent.schedules)."""
    if not callable(learning_rate):
        _check(where, "learning_rate", learning_rate, "[0, inf)")


def _check_momentum(where: str, momentum: ScalarOrSchedule) -> None:
    """A number in [0, 1); a schedule checks its own arguments (descent.schedules)."""
    if not callable(momentum):
        _check(where, "momentum", momentum, "[0, 1)")


def _at(learning_rate: ScalarOrSchedule, count: jax.Array) -> ArrayLike:
    """The learning rate α at step ``count``: the number itself, or the schedule's value."""
    return learning_rate(count) if callable(learning_rate) else learning_rate


def _per_leaf(step: Callable[..., tuple], *trees: Any) -> tuple:
    """Apply ``step`` to matching leaves of ``trees``; return one tree per output of ``step``.

    This lets each update rule be written for a single array of parameters, as in the
    paper, and run on a whole pytree.
    """
    leaves, treedef = jax.tree.flatten(trees[0])
    columns = [leaves] + [treedef.flatten_up_to(tree) for tree in trees[1:]]
    outputs = [step(*arrays) for arrays in zip(*columns)]
    return tuple(treedef.unflatten(list(output)) for output in zip(*outputs))


def _zeros_like(params: Params) -> Updates:
    return jax.tree.map(jnp.zeros_like, params)


def _count() -> jax.Array:
    return jnp.zeros([], jnp.int32)


# ---------------------------------------------------------------------------------------
# Applying updates, and the transforms that compose with any optimizer.


def apply_updates(params: Params, updates: Updates) -> Params:
    r"""Take the step: :math:`\theta \leftarrow \theta + u`, keeping each parameter's dtype.

    >>> import jax.numpy as jnp
    >>> print(apply_updates({"w": jnp.array([1.0, 2.0])}, {"w": jnp.array([-0.5, 0.5])}))
    {'w': Array([0.5, 2.5], dtype=float32)}
    """
    return jax.tree.map(
        lambda theta, u: jnp.asarray(theta + u).astype(jnp.result_type(theta)), params, updates
    )


class EmptyState(NamedTuple):
    """The state of a transform that remembers nothing."""


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply ``transforms`` one after the other, each to the updates of the one before.

    The state is the tuple of their states.

    >>> import jax.numpy as jnp, numpy as np
    >>> optimizer = chain(clip_by_global_norm(1.0), sgd(learning_rate=0.1))
    >>> params = jnp.zeros(2)
    >>> updates, state = optimizer.update(jnp.array([3.0, 4.0]), optimizer.init(params))
    >>> with np.printoptions(precision=4):
    ...     print(updates)  # The gradient clipped to norm 1, then times −α.
    [-0.06 -0.08]
    """

    def init(params):
        return tuple(transform.init(params) for transform in transforms)

    def update(grads, state, params=None):
        updates, new_state = grads, []
        for transform, transform_state in zip(transforms, state):
            updates, transform_state = transform.update(updates, transform_state, params)
            new_state.append(transform_state)
        return updates, tuple(new_state)

    return GradientTransformation(init, update)


def clip_by_global_norm(max_norm: ArrayLike) -> GradientTransformation:
    r"""Rescale the gradient so its norm over all parameters is at most ``max_norm``.

    .. math::
        g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g \rVert}\right)

    The direction is kept and only the length is capped, so a rare huge gradient cannot
    throw the parameters far away. Equal to ``optax.clip_by_global_norm``.

    Args:
        max_norm: c, the largest allowed norm, in (0, inf).

    Example:

    >>> import jax.numpy as jnp
    >>> clip = clip_by_global_norm(max_norm=1.0)
    >>> grads = {"a": jnp.array([3.0]), "b": jnp.array([4.0])}  # ‖g‖ = 5.
    >>> clipped, _ = clip.update(grads, clip.init(grads))
    >>> print(clipped["a"], clipped["b"])
    [0.6] [0.8]

    Reference: Pascanu, Mikolov and Bengio, On the difficulty of training recurrent neural
    networks, ICML 2013.
    """
    _check("clip_by_global_norm", "max_norm", max_norm, "(0, inf)")

    def init(params):
        del params
        return EmptyState()

    def update(grads, state, params=None):
        del params
        norm = jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree.leaves(grads)))  # ‖g‖, all of it.
        scale = jnp.minimum(1.0, max_norm / norm)  # min(1, c / ‖g‖).
        return jax.tree.map(lambda g: scale * g, grads), state

    return GradientTransformation(init, update)


# ---------------------------------------------------------------------------------------
# Gradient descent and momentum.


class SGDState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().


def sgd(learning_rate: ScalarOrSchedule) -> GradientTransformation:
    r"""Gradient descent: step against the gradient.

    .. math::
        \theta \leftarrow \theta - \alpha g

    Stochastic when g is the gradient on a minibatch. Equal to ``optax.sgd(learning_rate)``.

    Args:
        learning_rate: α, a number in [0, inf) or a schedule of the step count.

    Example:

    >>> import jax.numpy as jnp
    >>> optimizer = sgd(learning_rate=0.1)
    >>> params = jnp.array([1.0, -2.0])
    >>> updates, state = optimizer.update(jnp.array([2.0, -4.0]), optimizer.init(params))
    >>> print(updates)
    [-0.2  0.4]

    Reference: Robbins and Monro, A stochastic approximation method, 1951.
    """
    _check_learning_rate("sgd", learning_rate)

    def init(params):
        del params
        return SGDState(count=_count())

    def update(grads, state, params=None):
        del params
        alpha = _at(learning_rate, state.count)  # α at this step.
        updates = jax.tree.map(lambda g: -alpha * g, grads)  # θ ← θ − α g.
        return updates, SGDState(count=state.count + 1)

    return GradientTransformation(init, update)


class MomentumState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().
    v: Updates  # Velocity: the decaying sum of past gradients.


def momentum(
    learning_rate: ScalarOrSchedule, momentum: ScalarOrSchedule = 0.9
) -> GradientTransformation:
    r"""Gradient descent with heavy-ball momentum (Polyak).

    .. math::
        v \leftarrow \beta v + g, \qquad \theta \leftarrow \theta - \alpha v

    With a constant α this is Polyak's heavy ball,
    :math:`\theta_{t+1} = \theta_t - \alpha g_t + \beta(\theta_t - \theta_{t-1})`, and also
    Polyak's form with the velocity in units of θ, :math:`v' \leftarrow \beta v' - \alpha g`,
    :math:`\theta \leftarrow \theta + v'` (take :math:`v' = -\alpha v`). Under a schedule the
    two differ: here the current α scales the whole velocity, as in optax and PyTorch.
    Equal to ``optax.sgd(learning_rate, momentum=momentum)``.

    Args:
        learning_rate: α, a number in [0, inf) or a schedule of the step count.
        momentum: β, in [0, 1), or a schedule of the step count (β_t at step t, which
            keeps Polyak's form: :math:`\theta_{t+1} = \theta_t - \alpha g_t +
            \beta_t(\theta_t - \theta_{t-1})`). β = 0 is gradient descent.

    Example: a constant gradient accelerates, by 1 + β on the second step and towards
    1/(1 − β) = 10 times the gradient-descent step.

    >>> import jax.numpy as jnp
    >>> optimizer = momentum(learning_rate=0.1, momentum=0.9)
    >>> params, g = jnp.zeros(1), jnp.ones(1)
    >>> state = optimizer.init(params)
    >>> for _ in range(3):
    ...     updates, state = optimizer.update(g, state)
    ...     print(updates)
    [-0.1]
    [-0.19]
    [-0.271]

    Reference: Polyak, Some methods of speeding up the convergence of iteration methods, 1964.
    """
    _check_learning_rate("momentum", learning_rate)
    _check_momentum("momentum", momentum)

    def init(params):
        return MomentumState(count=_count(), v=_zeros_like(params))

    def update(grads, state, params=None):
        del params
        alpha = _at(learning_rate, state.count)  # α at this step.
        beta = _at(momentum, state.count)  # β at this step.

        def step(g, v):
            v = beta * v + g  # Velocity: v ← βv + g.
            return -alpha * v, v  # θ ← θ − α v.

        updates, v = _per_leaf(step, grads, state.v)
        return updates, MomentumState(count=state.count + 1, v=v)

    return GradientTransformation(init, update)


class NesterovState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().
    v: Updates  # Velocity: the decaying sum of past gradients.


def nesterov(
    learning_rate: ScalarOrSchedule, momentum: ScalarOrSchedule = 0.9
) -> GradientTransformation:
    r"""Nesterov's accelerated gradient, in the form used for deep learning.

    .. math::
        v \leftarrow \beta v + g, \qquad \theta \leftarrow \theta - \alpha (g + \beta v)

    Sutskever et al. (2013) write Nesterov's method with the gradient taken at the
    look-ahead point, :math:`v' \leftarrow \beta v' - \alpha \nabla L(\theta' + \beta v')`,
    :math:`\theta' \leftarrow \theta' + v'`. Following the look-ahead point instead,
    :math:`\theta = \theta' + \beta v'` and :math:`v' = -\alpha v`, gives the rule above,
    which needs only the gradient at the current parameters. With a constant α both forms
    visit the same points (the tests check this on a quadratic). Equal to
    ``optax.sgd(learning_rate, momentum=momentum, nesterov=True)``.

    Args:
        learning_rate: α, a number in [0, inf) or a schedule of the step count.
        momentum: β, in [0, 1), or a schedule of the step count. β = 0 is gradient
            descent. Under a schedule μ_t, Sutskever's form with μ_t at step t (both in
            the look-ahead and in the velocity) becomes, at the look-ahead point,
            :math:`v \leftarrow \beta_t v + g`, :math:`\theta \leftarrow \theta - \alpha(g +
            \beta_{t+1} v)` with β_t = μ_t: the step looks ahead with the next step's
            momentum (optax's ``inject_hyperparams`` would use β_t in both places). With :func:`descent.schedules.nesterov_momentum` and α = 1/L this is
            Nesterov's 1983 method for smooth convex losses (see
            :func:`descent.theory.nesterov_convex_bound`).

    Example: the first step already looks one step ahead, 1 + β times gradient descent's.

    >>> import jax.numpy as jnp
    >>> optimizer = nesterov(learning_rate=0.1, momentum=0.9)
    >>> params, g = jnp.zeros(1), jnp.ones(1)
    >>> updates, state = optimizer.update(g, optimizer.init(params))
    >>> print(updates)
    [-0.19]

    References: Nesterov, A method for solving the convex programming problem with
    convergence rate O(1/k²), 1983. Sutskever, Martens, Dahl and Hinton, On the importance
    of initialization and momentum in deep learning, ICML 2013.
    """
    _check_learning_rate("nesterov", learning_rate)
    _check_momentum("nesterov", momentum)

    def init(params):
        return NesterovState(count=_count(), v=_zeros_like(params))

    def update(grads, state, params=None):
        del params
        alpha = _at(learning_rate, state.count)  # α at this step.
        beta = _at(momentum, state.count)  # β at this step,
        beta_next = _at(momentum, state.count + 1)  # and at the next (the same if constant).

        def step(g, v):
            v = beta * v + g  # Velocity: v ← βv + g.
            return -alpha * (g + beta_next * v), v  # θ ← θ − α (g + βv): a step past the velocity.

        updates, v = _per_leaf(step, grads, state.v)
        return updates, NesterovState(count=state.count + 1, v=v)

    return GradientTransformation(init, update)


# ---------------------------------------------------------------------------------------
# Adaptive learning rates: a step size per coordinate.


class AdagradState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().
    v: Updates  # The sum of all squared gradients so far.


def adagrad(
    learning_rate: ScalarOrSchedule,
    initial_accumulator_value: ArrayLike = 0.0,
    eps: ArrayLike = 1e-8,
) -> GradientTransformation:
    r"""Adagrad: divide each coordinate's step by the root of its summed squared gradients.

    .. math::
        v \leftarrow v + g^2, \qquad
        \theta \leftarrow \theta - \frac{\alpha}{\sqrt{v} + \epsilon}\, g

    (element-wise). Coordinates with large gradients so far take small steps, rare ones
    large steps; since v only grows, every step size shrinks, roughly as 1/√t.

    Differs from optax's default: Duchi et al. add ε to √v (their δI + diag(G)^{1/2}) and
    start from v = 0; ``optax.adagrad`` adds ε inside the square root, 1/√(v + ε), and
    starts from v = 0.1. The two agree as ε → 0: ``adagrad(α, v0, eps=ε)`` equals
    ``optax.adagrad(α, initial_accumulator_value=v0, eps=ε)`` up to a relative ε/√v.

    Args:
        learning_rate: α, a number in [0, inf) or a schedule of the step count.
        initial_accumulator_value: v at the start, in [0, inf).
        eps: ε, in (0, inf); keeps the first step finite when a gradient is zero.

    Example: the first step is α in every coordinate, whatever the size of its gradient;
    the same gradient again gives α/√2.

    >>> import jax.numpy as jnp, numpy as np
    >>> optimizer = adagrad(learning_rate=0.1)
    >>> params, g = jnp.zeros(2), jnp.array([0.01, 100.0])
    >>> state = optimizer.init(params)
    >>> for _ in range(2):
    ...     updates, state = optimizer.update(g, state)
    ...     with np.printoptions(precision=4):
    ...         print(updates)
    [-0.1 -0.1]
    [-0.0707 -0.0707]

    Reference: Duchi, Hazan and Singer, Adaptive subgradient methods for online learning
    and stochastic optimization, JMLR 2011.
    """
    _check_learning_rate("adagrad", learning_rate)
    _check("adagrad", "initial_accumulator_value", initial_accumulator_value, "[0, inf)")
    _check("adagrad", "eps", eps, "(0, inf)")

    def init(params):
        v = jax.tree.map(lambda theta: jnp.full_like(theta, initial_accumulator_value), params)
        return AdagradState(count=_count(), v=v)

    def update(grads, state, params=None):
        del params
        alpha = _at(learning_rate, state.count)  # α at this step.

        def step(g, v):
            v = v + g**2  # Sum of squared gradients.
            return -alpha * g / (jnp.sqrt(v) + eps), v  # θ ← θ − α g / (√v + ε).

        updates, v = _per_leaf(step, grads, state.v)
        return updates, AdagradState(count=state.count + 1, v=v)

    return GradientTransformation(init, update)


class RMSPropState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().
    v: Updates  # Moving average of squared gradients.


def rmsprop(
    learning_rate: ScalarOrSchedule, decay: ArrayLike = 0.9, eps: ArrayLike = 1e-8
) -> GradientTransformation:
    r"""RMSProp: Adagrad with a moving average of squared gradients instead of their sum.

    .. math::
        v \leftarrow \rho v + (1 - \rho) g^2, \qquad
        \theta \leftarrow \theta - \frac{\alpha}{\sqrt{v} + \epsilon}\, g

    (element-wise, ρ = ``decay``). The average forgets old gradients, so step sizes adapt
    to the recent scale of each coordinate instead of shrinking for ever. There is no bias
    correction: v starts at 0, so the first steps are large, 1/√(1 − ρ) ≈ 3.2 times α.

    Differs from optax's default: ε is added to √v, as in Adam and PyTorch;
    ``optax.rmsprop`` adds it inside the square root unless told otherwise. Equal to
    ``optax.rmsprop(learning_rate, decay=decay, eps=eps, eps_in_sqrt=False)``.

    Args:
        learning_rate: α, a number in [0, inf) or a schedule of the step count.
        decay: ρ, in [0, 1): how much of the average is kept at each step.
        eps: ε, in (0, inf).

    Example:

    >>> import jax.numpy as jnp, numpy as np
    >>> optimizer = rmsprop(learning_rate=0.1, decay=0.9)
    >>> params, g = jnp.zeros(2), jnp.array([0.01, 100.0])
    >>> updates, state = optimizer.update(g, optimizer.init(params))
    >>> with np.printoptions(precision=4):
    ...     print(updates)  # α / √(1 − ρ) in each coordinate.
    [-0.3162 -0.3162]

    Reference: Tieleman and Hinton, Lecture 6.5, rmsprop: divide the gradient by a running
    average of its recent magnitude, COURSERA: Neural Networks for Machine Learning, 2012.
    """
    _check_learning_rate("rmsprop", learning_rate)
    _check("rmsprop", "decay", decay, "[0, 1)")
    _check("rmsprop", "eps", eps, "(0, inf)")
    rho = decay

    def init(params):
        return RMSPropState(count=_count(), v=_zeros_like(params))

    def update(grads, state, params=None):
        del params
        alpha = _at(learning_rate, state.count)  # α at this step.

        def step(g, v):
            v = rho * v + (1 - rho) * g**2  # Moving average of squared gradients.
            return -alpha * g / (jnp.sqrt(v) + eps), v  # θ ← θ − α g / (√v + ε).

        updates, v = _per_leaf(step, grads, state.v)
        return updates, RMSPropState(count=state.count + 1, v=v)

    return GradientTransformation(init, update)


class AdadeltaState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().
    v: Updates  # E[g²]: moving average of squared gradients.
    u: Updates  # E[Δθ²]: moving average of squared steps.


def adadelta(
    learning_rate: ScalarOrSchedule = 1.0, rho: ArrayLike = 0.95, eps: ArrayLike = 1e-6
) -> GradientTransformation:
    r"""Adadelta: RMSProp whose step has the units of θ, with no learning rate to tune.

    .. math::
        \begin{aligned}
        E[g^2] &\leftarrow \rho E[g^2] + (1 - \rho) g^2 \\
        \Delta\theta &= -\frac{\sqrt{E[\Delta\theta^2] + \epsilon}}{\sqrt{E[g^2] + \epsilon}}\, g \\
        E[\Delta\theta^2] &\leftarrow \rho E[\Delta\theta^2] + (1 - \rho) \Delta\theta^2 \\
        \theta &\leftarrow \theta + \alpha \Delta\theta
        \end{aligned}

    (element-wise). The ratio of root mean squares plays the role of the learning rate;
    it starts at √ε / RMS[g], so Adadelta starts slowly. Zeiler's paper has no α (α = 1,
    the default); a different α scales the step taken but not the Δθ that is averaged.

    Equal to ``optax.adadelta(learning_rate, rho=rho, eps=eps)``; optax's default ρ is 0.9,
    the book's is the paper's 0.95.

    Args:
        learning_rate: α, a number in [0, inf) or a schedule of the step count.
        rho: ρ, in [0, 1): how much of the averages is kept at each step.
        eps: ε, in (0, inf); sets the size of the first steps.

    Example:

    >>> import jax.numpy as jnp
    >>> optimizer = adadelta()
    >>> params, g = jnp.zeros(2), jnp.array([0.01, 100.0])
    >>> updates, state = optimizer.update(g, optimizer.init(params))
    >>> print(updates)  # √ε g / √((1 − ρ) g² + ε): about 4.5e-3 when ε ≪ (1 − ρ) g².
    [-0.00408248 -0.00447214]

    Reference: Zeiler, ADADELTA: an adaptive learning rate method, arXiv:1212.5701, 2012.
    """
    _check_learning_rate("adadelta", learning_rate)
    _check("adadelta", "rho", rho, "[0, 1)")
    _check("adadelta", "eps", eps, "(0, inf)")

    def init(params):
        return AdadeltaState(count=_count(), v=_zeros_like(params), u=_zeros_like(params))

    def update(grads, state, params=None):
        del params
        alpha = _at(learning_rate, state.count)  # α at this step.

        def step(g, v, u):
            v = rho * v + (1 - rho) * g**2  # E[g²].
            delta = -jnp.sqrt(u + eps) / jnp.sqrt(v + eps) * g  # Δθ = −RMS[Δθ] / RMS[g] · g.
            u = rho * u + (1 - rho) * delta**2  # E[Δθ²].
            return alpha * delta, v, u  # θ ← θ + α Δθ.

        updates, v, u = _per_leaf(step, grads, state.v, state.u)
        return updates, AdadeltaState(count=state.count + 1, v=v, u=u)

    return GradientTransformation(init, update)


# ---------------------------------------------------------------------------------------
# Adam and its variants: momentum and an adaptive step size together.


class AdamState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().
    m: Updates  # First moment estimate: moving average of gradients.
    v: Updates  # Second moment estimate: moving average of squared gradients.


def adam(
    learning_rate: ScalarOrSchedule = 1e-3,
    b1: ArrayLike = 0.9,
    b2: ArrayLike = 0.999,
    eps: ArrayLike = 1e-8,
) -> GradientTransformation:
    r"""Adam: momentum on the gradient, RMSProp's scale on the step, both bias-corrected.

    .. math::
        \begin{aligned}
        m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        \hat m &= m / (1 - \beta_1^t) \\
        \hat v &= v / (1 - \beta_2^t) \\
        \theta &\leftarrow \theta - \alpha\, \hat m / (\sqrt{\hat v} + \epsilon)
        \end{aligned}

    (element-wise, t = 1, 2, … the step). m and v start at zero; dividing by
    1 − β^t removes that bias, so the first step is α in every coordinate. Equal to
    ``optax.adam(learning_rate, b1=b1, b2=b2, eps=eps)``; the defaults are the paper's.

    Args:
        learning_rate: α, a number in [0, inf) or a schedule of the step count.
        b1: β₁, in [0, 1): decay rate of the first moment. β₁ = 0 is bias-corrected RMSProp.
        b2: β₂, in [0, 1): decay rate of the second moment.
        eps: ε, in (0, inf).

    Example: the first step is −α·sign(g), whatever the size of g.

    >>> import jax.numpy as jnp, numpy as np
    >>> optimizer = adam(learning_rate=0.1)
    >>> params, g = jnp.zeros(2), jnp.array([0.5, -400.0])
    >>> updates, state = optimizer.update(g, optimizer.init(params))
    >>> with np.printoptions(precision=4):
    ...     print(updates)
    [-0.1  0.1]

    Reference: Kingma and Ba, Adam: a method for stochastic optimization, ICLR 2015.
    """
    _check_learning_rate("adam", learning_rate)
    _check("adam", "b1", b1, "[0, 1)")
    _check("adam", "b2", b2, "[0, 1)")
    _check("adam", "eps", eps, "(0, inf)")

    def init(params):
        return AdamState(count=_count(), m=_zeros_like(params), v=_zeros_like(params))

    def update(grads, state, params=None):
        del params
        alpha = _at(learning_rate, state.count)  # α at this step.
        t = state.count + 1  # This is step t = 1, 2, …

        def step(g, m, v):
            m = b1 * m + (1 - b1) * g  # First moment estimate.
            v = b2 * v + (1 - b2) * g**2  # Second moment estimate.
            m_hat = m / (1 - b1**t)  # Bias corrections.
            v_hat = v / (1 - b2**t)
            return -alpha * m_hat / (jnp.sqrt(v_hat) + eps), m, v  # The step.

        updates, m, v = _per_leaf(step, grads, state.m, state.v)
        return updates, AdamState(count=t, m=m, v=v)

    return GradientTransformation(init, update)


class NadamState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().
    m: Updates  # First moment estimate: moving average of gradients.
    v: Updates  # Second moment estimate: moving average of squared gradients.


def nadam(
    learning_rate: ScalarOrSchedule,
    b1: ArrayLike = 0.9,
    b2: ArrayLike = 0.999,
    eps: ArrayLike = 1e-8,
) -> GradientTransformation:
    r"""Nadam: Adam with Nesterov's look-ahead in the first moment.

    .. math::
        \begin{aligned}
        m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        \hat m &= \frac{\beta_1 m}{1 - \beta_1^{t+1}} + \frac{(1 - \beta_1) g}{1 - \beta_1^t} \\
        \hat v &= v / (1 - \beta_2^t) \\
        \theta &\leftarrow \theta - \alpha\, \hat m / (\sqrt{\hat v} + \epsilon)
        \end{aligned}

    As Nesterov steps past the velocity, :math:`\hat m` uses the momentum of the next
    step, β₁m, plus the current gradient's share, each with its own bias correction.

    This is Dozat's Algorithm 2 with a constant β₁ (the paper allows a schedule
    :math:`\mu_t`; PyTorch and Keras use one that warms β₁ up) and without the extra
    factor β₂ in :math:`\hat v`, as in optax. Equal to
    ``optax.nadam(learning_rate, b1=b1, b2=b2, eps=eps)``.

    Args:
        learning_rate: α, a number in [0, inf) or a schedule of the step count.
        b1: β₁, in [0, 1): decay rate of the first moment.
        b2: β₂, in [0, 1): decay rate of the second moment.
        eps: ε, in (0, inf).

    Example: the first step is (1 + β₁/(1 + β₁))·α·sign(g), longer than Adam's α.

    >>> import jax.numpy as jnp, numpy as np
    >>> optimizer = nadam(learning_rate=0.1)
    >>> params, g = jnp.zeros(2), jnp.array([0.5, -400.0])
    >>> updates, state = optimizer.update(g, optimizer.init(params))
    >>> with np.printoptions(precision=4):
    ...     print(updates)
    [-0.1474  0.1474]

    Reference: Dozat, Incorporating Nesterov momentum into Adam, ICLR workshop 2016.
    """
    _check_learning_rate("nadam", learning_rate)
    _check("nadam", "b1", b1, "[0, 1)")
    _check("nadam", "b2", b2, "[0, 1)")
    _check("nadam", "eps", eps, "(0, inf)")

    def init(params):
        return NadamState(count=_count(), m=_zeros_like(params), v=_zeros_like(params))

    def update(grads, state, params=None):
        del params
        alpha = _at(learning_rate, state.count)  # α at this step.
        t = state.count + 1  # This is step t = 1, 2, …

        def step(g, m, v):
            m = b1 * m + (1 - b1) * g  # First moment estimate.
            v = b2 * v + (1 - b2) * g**2  # Second moment estimate.
            m_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)  # Look ahead.
            v_hat = v / (1 - b2**t)  # Bias correction.
            return -alpha * m_hat / (jnp.sqrt(v_hat) + eps), m, v  # The step.

        updates, m, v = _per_leaf(step, grads, state.m, state.v)
        return updates, NadamState(count=t, m=m, v=v)

    return GradientTransformation(init, update)


class AMSGradState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().
    m: Updates  # First moment estimate: moving average of gradients.
    v: Updates  # Second moment estimate: moving average of squared gradients.
    v_max: Updates  # The largest bias-corrected second moment so far.


def amsgrad(
    learning_rate: ScalarOrSchedule,
    b1: ArrayLike = 0.9,
    b2: ArrayLike = 0.999,
    eps: ArrayLike = 1e-8,
) -> GradientTransformation:
    r"""AMSGrad: Adam whose per-coordinate step size never grows.

    .. math::
        \begin{aligned}
        m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        \hat m &= m / (1 - \beta_1^t) \\
        \hat v_{\max} &\leftarrow \max\big(\hat v_{\max},\ v / (1 - \beta_2^t)\big) \\
        \theta &\leftarrow \theta - \alpha\, \hat m / (\sqrt{\hat v_{\max}} + \epsilon)
        \end{aligned}

    Adam can forget a rare large gradient once v has decayed, take a long step and fail
    to converge (Reddi et al. build such a problem); the running maximum keeps the memory.

    Differs from the paper: its Algorithm 2 has no bias correction, taking the maximum of
    the raw v and stepping with the raw m. The book keeps Adam's bias corrections so that
    AMSGrad is Adam with one line changed, as optax does. Equal to
    ``optax.amsgrad(learning_rate, b1=b1, b2=b2, eps=eps)``; the paper's form is
    ``optax.amsgrad(..., bias_correction_mu=False, bias_correction_nu=False)``.

    Args:
        learning_rate: α, a number in [0, inf) or a schedule of the step count.
        b1: β₁, in [0, 1): decay rate of the first moment.
        b2: β₂, in [0, 1): decay rate of the second moment.
        eps: ε, in (0, inf).

    Example: after one large gradient, a small one moves Adam by a lot, AMSGrad by little.

    >>> import jax.numpy as jnp, numpy as np
    >>> params = jnp.zeros(1)
    >>> for optimizer in (adam(learning_rate=0.1, b2=0.5), amsgrad(learning_rate=0.1, b2=0.5)):
    ...     state = optimizer.init(params)
    ...     for g in [100.0] + [1.0] * 10:
    ...         updates, state = optimizer.update(jnp.array([g]), state)
    ...     with np.printoptions(precision=4):
    ...         print(updates)
    [-0.2486]
    [-0.006]

    Reference: Reddi, Kale and Kumar, On the convergence of Adam and beyond, ICLR 2018.
    """
    _check_learning_rate("amsgrad", learning_rate)
    _check("amsgrad", "b1", b1, "[0, 1)")
    _check("amsgrad", "b2", b2, "[0, 1)")
    _check("amsgrad", "eps", eps, "(0, inf)")

    def init(params):
        zeros = _zeros_like(params)
        return AMSGradState(count=_count(), m=zeros, v=zeros, v_max=zeros)

    def update(grads, state, params=None):
        del params
        alpha = _at(learning_rate, state.count)  # α at this step.
        t = state.count + 1  # This is step t = 1, 2, …

        def step(g, m, v, v_max):
            m = b1 * m + (1 - b1) * g  # First moment estimate.
            v = b2 * v + (1 - b2) * g**2  # Second moment estimate.
            m_hat = m / (1 - b1**t)  # Bias correction.
            v_max = jnp.maximum(v_max, v / (1 - b2**t))  # The largest v̂ so far.
            return -alpha * m_hat / (jnp.sqrt(v_max) + eps), m, v, v_max  # The step.

        updates, m, v, v_max = _per_leaf(step, grads, state.m, state.v, state.v_max)
        return updates, AMSGradState(count=t, m=m, v=v, v_max=v_max)

    return GradientTransformation(init, update)


class AdamWState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().
    m: Updates  # First moment estimate: moving average of gradients.
    v: Updates  # Second moment estimate: moving average of squared gradients.


def adamw(
    learning_rate: ScalarOrSchedule,
    b1: ArrayLike = 0.9,
    b2: ArrayLike = 0.999,
    eps: ArrayLike = 1e-8,
    weight_decay: ArrayLike = 1e-4,
) -> GradientTransformation:
    r"""AdamW: Adam with weight decay applied to θ directly, not through the gradient.

    .. math::
        \begin{aligned}
        m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        \hat m &= m / (1 - \beta_1^t) \\
        \hat v &= v / (1 - \beta_2^t) \\
        \theta &\leftarrow \theta - \alpha \big(\hat m / (\sqrt{\hat v} + \epsilon)
            + \lambda \theta\big)
        \end{aligned}

    Adding λ‖θ‖²/2 to the loss would put λθ into g, where Adam divides it by √v̂: heavily
    updated weights would barely be decayed. Decoupled, every weight shrinks at the rate αλ.

    Differs from the paper: Loshchilov and Hutter multiply λ by the schedule multiplier
    η_t only, not by α; here, as in optax and PyTorch, λ is multiplied by α (the paper's
    λ is αλ here). Equal to ``optax.adamw(learning_rate, b1=b1, b2=b2, eps=eps,
    weight_decay=weight_decay)``. ``update`` needs ``params``.

    Args:
        learning_rate: α, a number in [0, inf) or a schedule of the step count.
        b1: β₁, in [0, 1): decay rate of the first moment.
        b2: β₂, in [0, 1): decay rate of the second moment.
        eps: ε, in (0, inf).
        weight_decay: λ, in [0, inf). λ = 0 is Adam.

    Example: with a zero gradient, AdamW only decays the weights, by αλθ.

    >>> import jax.numpy as jnp
    >>> optimizer = adamw(learning_rate=0.1, weight_decay=0.5)
    >>> params = jnp.array([1.0, -2.0])
    >>> updates, state = optimizer.update(jnp.zeros(2), optimizer.init(params), params)
    >>> print(updates)
    [-0.05  0.1 ]

    Reference: Loshchilov and Hutter, Decoupled weight decay regularization, ICLR 2019.
    """
    _check_learning_rate("adamw", learning_rate)
    _check("adamw", "b1", b1, "[0, 1)")
    _check("adamw", "b2", b2, "[0, 1)")
    _check("adamw", "eps", eps, "(0, inf)")
    _check("adamw", "weight_decay", weight_decay, "[0, inf)")

    def init(params):
        return AdamWState(count=_count(), m=_zeros_like(params), v=_zeros_like(params))

    def update(grads, state, params=None):
        if params is None:
            raise ValueError("adamw: update needs the parameters, update(grads, state, params)")
        alpha = _at(learning_rate, state.count)  # α at this step.
        t = state.count + 1  # This is step t = 1, 2, …

        def step(g, m, v, theta):
            m = b1 * m + (1 - b1) * g  # First moment estimate.
            v = b2 * v + (1 - b2) * g**2  # Second moment estimate.
            m_hat = m / (1 - b1**t)  # Bias corrections.
            v_hat = v / (1 - b2**t)
            adam_step = m_hat / (jnp.sqrt(v_hat) + eps)
            return -alpha * (adam_step + weight_decay * theta), m, v  # Step and decay.

        updates, m, v = _per_leaf(step, grads, state.m, state.v, params)
        return updates, AdamWState(count=t, m=m, v=v)

    return GradientTransformation(init, update)


# ---------------------------------------------------------------------------------------
# Preconditioning, for the chapters on quadratics.


class PreconditionState(NamedTuple):
    count: jax.Array  # t, the number of steps taken; int32, shape ().


def precondition(P: ArrayLike, learning_rate: ScalarOrSchedule = 1.0) -> GradientTransformation:
    r"""Gradient descent with a fixed preconditioner: multiply the gradient by a matrix P.

    .. math::
        \theta \leftarrow \theta - \alpha P g

    On a quadratic :math:`L(\theta) = \tfrac12 \theta^\top A \theta`, the step multiplies
    the error by :math:`I - \alpha P A`; with :math:`P = A^{-1}` and α = 1 it is Newton's
    method and lands on the minimum in one step, and P = I is gradient descent. All
    parameters are taken together as one vector of n numbers (for a pytree, in the order of
    ``jax.flatten_util.ravel_pytree``), so P is n × n; ``init`` checks that. optax has no
    counterpart.

    Args:
        P: the preconditioner, a finite n × n matrix.
        learning_rate: α, a number in [0, inf) or a schedule of the step count.

    Example: Newton's step on L(θ) = ½ θᵀAθ.

    >>> import jax, jax.numpy as jnp
    >>> A = jnp.array([[10.0, 0.0], [0.0, 1.0]])
    >>> loss = lambda params: 0.5 * params @ A @ params
    >>> optimizer = precondition(jnp.linalg.inv(A))
    >>> params = jnp.array([1.0, -2.0])
    >>> updates, state = optimizer.update(jax.grad(loss)(params), optimizer.init(params))
    >>> print(apply_updates(params, updates))
    [0. 0.]

    Reference: Nocedal and Wright, Numerical Optimization, 2nd edition, 2006, chapters 3
    and 5.
    """
    _check_learning_rate("precondition", learning_rate)
    shape = jnp.shape(P)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"precondition: P must be a square n × n matrix, got shape {shape}")
    _check("precondition", "P", P, "(-inf, inf)")
    P = jnp.asarray(P)

    def init(params):
        n = ravel_pytree(params)[0].size
        if shape != (n, n):
            raise ValueError(
                f"precondition: P must have shape ({n}, {n}) for parameters with {n} "
                f"numbers, got {shape}"
            )
        return PreconditionState(count=_count())

    def update(grads, state, params=None):
        del params
        alpha = _at(learning_rate, state.count)  # α at this step.
        g, unravel = ravel_pytree(grads)  # Every gradient entry in one vector.
        updates = -alpha * (P @ g)  # θ ← θ − α P g.
        return unravel(updates), PreconditionState(count=state.count + 1)

    return GradientTransformation(init, update)
