r"""The losses the book optimizes: quadratics, classic 2-D test functions, and classifiers.

A problem carries everything a chapter needs to run an optimizer on it and to draw it:
its loss, a starting point, where its minimum is (if it has one) and a window of the
plane where its interesting structure is visible.

>>> import jax
>>> problem = quadratic(eigenvalues=(1.0, 6.0))
>>> print(problem.name, problem.init, problem.minimum)
quadratic λ = (1, 6) [ 9.5 -1. ] [0. 0.]
>>> print(jax.grad(problem.loss)(problem.init))  # ∇L = Qθ.
[ 9.5 -6. ]

The losses of the built-in problems are :class:`jax.tree_util.Partial` objects that hold
their data (Q, Rosenbrock's a and b, the target distribution…) as arrays. They are called
like functions, ``problem.loss(params)``, and :func:`descent.run` passes them into its
compiled loop as arguments: a quadratic with new eigenvalues reuses the compiled run.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from typing import Any, Callable, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax.tree_util import Partial
from jax.typing import ArrayLike

__all__ = [
    "Problem",
    "Quadratic",
    "SoftLabelClassifier",
    "Classifier",
    "Batch",
    "fashion_mnist",
    "MLP",
    "rotation",
    "quadratic",
    "rosenbrock",
    "beale",
    "saddle",
    "monkey_saddle",
    "soft_label_classifier",
    "mlp_classifier",
    "as_batch",
    "loss_grid",
    "cliff",
    "nesterov_worst_case",
    "lessard_counterexample",
]

Params = Any  # A pytree of arrays.
Window = tuple[float, float, float, float]  # (xmin, xmax, ymin, ymax).


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """A loss to minimize, where to start, and what the answer is.

    Attributes:
        name: a short name for titles and legends.
        loss: L, called as ``loss(params)``, or ``loss(params, batch)`` for a problem
            trained on minibatches. :func:`descent.run` compiles one loop per loss
            function: write your own as a named function, or as a
            :class:`~jax.tree_util.Partial` holding its arrays, so that rebuilding the
            problem reuses the loop; a fresh lambda each time compiles anew.
        init: θ₀, the starting point, a pytree of arrays (an array of shape (2,) for a
            2-D problem).
        minimum: θ*, a minimizer, or None when L has no minimum (it is unbounded below,
            or the infimum is approached only at infinity).
        window: (xmin, xmax, ymin, ymax), where a contour plot shows the structure; it
            contains ``init``, ``minimum`` and ``saddle_point``. None unless 2-D.
        minimum_value: L(θ*), or the infimum of L when no θ attains it; None when L is
            unbounded below or the value is unknown.
        saddle_point: the saddle point of a problem built around one, else None.
        note: one sentence on what is special about the minimum, for the reader.
    """

    name: str
    loss: Callable[..., jax.Array]
    init: Params
    minimum: Params | None
    window: Window | None = None
    minimum_value: float | None = None
    saddle_point: jax.Array | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class Quadratic(Problem):
    r"""L(θ) = ½ θᵀQθ with Q = R Λ Rᵀ, so ∇L = Qθ.

    Attributes:
        Q: the Hessian, symmetric n × n.
        eigenvalues: λ₁, …, λₙ, the diagonal of Λ, in the order given.
        eigenvectors: R, whose column i is the eigenvector of λᵢ.
    """

    Q: jax.Array
    eigenvalues: jax.Array
    eigenvectors: jax.Array


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class SoftLabelClassifier(Problem):
    """One example x, logits z = Wx + b, and the KL divergence from a target distribution.

    Attributes:
        x: the example, shape (d,).
        target: the target distribution over the k classes, shape (k,).
        probabilities: ``probabilities(params)``, the softmax of the logits, shape (k,).
    """

    x: jax.Array
    target: jax.Array
    probabilities: Callable[[Params], jax.Array]


class Batch(NamedTuple):
    """A minibatch, or a whole split, of a classification data set.

    The pixels are float32 in [0, 1], or uint8 from 0 to 255 (``fashion_mnist(split,
    scaled=False)``), which the loss and accuracy of an :func:`mlp_classifier` scale to the
    same float32 values.
    """

    inputs: jax.Array  # float32 (or uint8), shape (B, 784): the pixels, flattened.
    labels: jax.Array  # int32, shape (B,).


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class Classifier(Problem):
    """A network trained on minibatches: ``loss(params, batch)``, a mean over the batch.

    Attributes:
        accuracy: ``accuracy(params, batch)``, the fraction of the batch classified right.
        model: the Flax module; ``model.apply({"params": params}, inputs)`` gives logits.
        train_data, test_data: the two splits as :class:`Batch` es (``test_data`` is None
            if the problem was built without one).
    """

    accuracy: Callable[[Params, Batch], jax.Array]
    model: nn.Module
    train_data: Batch
    test_data: Batch | None


# ---------------------------------------------------------------------------------------
# Quadratics.


def _quadratic_loss(Q, theta):
    return 0.5 * theta @ Q @ theta  # L(θ) = ½ θᵀQθ.


def rotation(angle: ArrayLike) -> jax.Array:
    """R, the 2 × 2 rotation by ``angle`` (radians, counter-clockwise)."""
    c, s = jnp.cos(angle), jnp.sin(angle)
    return jnp.array([[c, -s], [s, c]])


def quadratic(
    eigenvalues: ArrayLike, angle: float = 0.0, init: ArrayLike | None = None
) -> Quadratic:
    r"""The quadratic bowl :math:`L(\theta) = \tfrac12 \theta^\top Q \theta`, Q = R Λ Rᵀ.

    In 2-D, R is the rotation by ``angle``, so the eigenvector of λ₁ points along
    (cos angle, sin angle). In n-D, R = I and Q = diag(λ₁, …, λₙ).

    When every λᵢ > 0 the minimizer θ* = 0 is unique. When some λᵢ = 0, θ* = 0 is one of
    a line (or plane) of minimizers. When some λᵢ < 0, 0 is a saddle point (or, when all
    are negative, a maximum): L is unbounded below and ``minimum`` is None.

    Args:
        eigenvalues: λ₁, …, λₙ, finite numbers; n = 2 for a problem you can draw.
        angle: the rotation of the eigenvectors, in radians; only for n = 2.
        init: θ₀, n numbers; (9.5, −1) in 2-D and (1, …, 1) otherwise.

    >>> problem = quadratic((1.0, 6.0), angle=jnp.pi / 4)
    >>> print(problem.Q.round(4))
    [[ 3.5 -2.5]
     [-2.5  3.5]]
    """
    lam = np.asarray(eigenvalues, dtype=float)
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam)):
        raise ValueError(
            "quadratic: eigenvalues must be a non-empty list of finite numbers, "
            f"got {eigenvalues!r}"
        )
    n = lam.size
    if not np.isfinite(angle):
        raise ValueError(f"quadratic: angle must be finite, got {angle!r}")
    if n != 2 and angle != 0:
        raise ValueError(f"quadratic: angle rotates 2-D problems only; got {n} eigenvalues")
    if init is None:
        init = (9.5, -1.0) if n == 2 else np.ones(n)
    init = np.asarray(init, dtype=float)
    if init.shape != (n,) or not np.all(np.isfinite(init)):
        raise ValueError(f"quadratic: init must be {n} finite numbers, got {init.tolist()!r}")

    c, s = math.cos(angle), math.sin(angle)  # rotation(angle), without JAX's dispatch cost.
    R = np.array([[c, -s], [s, c]]) if n == 2 else np.eye(n)
    Q = R @ np.diag(lam) @ R.T
    Q = (Q + Q.T) / 2  # Exactly symmetric despite rounding.

    if np.all(lam > 0):
        minimum, saddle_point, note = np.zeros(n), None, "θ* = 0 is the unique minimizer."
    elif np.all(lam >= 0):
        minimum, saddle_point = np.zeros(n), None
        note = "A zero eigenvalue: θ* = 0 is one of a line of minimizers."
    elif np.all(lam < 0):
        minimum, saddle_point = None, None
        note = "Every eigenvalue is negative: 0 is a maximum and L is unbounded below."
    else:
        minimum, saddle_point = None, np.zeros(n)
        note = "A negative eigenvalue: 0 is a saddle point and L is unbounded below."

    window = None
    if n == 2:
        points = [init, np.zeros(2)]
        if np.all(lam > 0):  # The box around the level set through θ₀, L(θ) = L(θ₀).
            level = 0.5 * init @ Q @ init
            half = np.sqrt(2 * level * np.diag(np.linalg.inv(Q)))
            points += [half, -half]
        else:
            r = np.max(np.abs(init))
            points += [np.array([r, r]), np.array([-r, -r])]
        window = _window(points)

    label = ", ".join(f"{v:g}" for v in lam)
    return Quadratic(
        name=f"quadratic λ = ({label})" + (f", angle {angle:.3g}" if angle else ""),
        loss=Partial(_quadratic_loss, jnp.asarray(Q)),
        init=jnp.asarray(init),
        minimum=None if minimum is None else jnp.asarray(minimum),
        window=window,
        minimum_value=0.0 if minimum is not None else None,
        saddle_point=None if saddle_point is None else jnp.asarray(saddle_point),
        note=note,
        Q=jnp.asarray(Q),
        eigenvalues=jnp.asarray(lam),
        eigenvectors=jnp.asarray(R),
    )


def _window(points, margin: float = 0.1) -> Window:
    """The box around ``points``, widened by ``margin`` of its size on every side."""
    points = np.asarray(points, dtype=float)
    low, high = points.min(axis=0), points.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-3)
    return (
        float(low[0] - pad[0]), float(high[0] + pad[0]),
        float(low[1] - pad[1]), float(high[1] + pad[1]),
    )


# ---------------------------------------------------------------------------------------
# Classic 2-D test functions.


def _rosenbrock_loss(a, b, theta):
    x, y = theta
    return (a - x) ** 2 + b * (y - x**2) ** 2


def rosenbrock(a: float = 1.0, b: float = 100.0, init: ArrayLike = (-1.2, 1.0)) -> Problem:
    r"""Rosenbrock's banana valley, :math:`L(x, y) = (a - x)^2 + b (y - x^2)^2`.

    The minimum θ* = (a, a²), L(θ*) = 0, lies at the bottom of a curved, flat-bottomed
    valley: reaching the valley is easy, following it is slow. The default start
    (−1.2, 1) is Rosenbrock's own.

    Args:
        a, b: finite numbers, b > 0.
        init: θ₀.

    Reference: Rosenbrock, An automatic method for finding the greatest or least value of
    a function, The Computer Journal, 1960.
    """
    if not (np.isfinite(a) and np.isfinite(b) and b > 0):
        raise ValueError(f"rosenbrock: a must be finite and b in (0, inf), got a={a!r}, b={b!r}")
    init = _point("rosenbrock", init)
    minimum = np.array([a, a**2], dtype=float)
    s = max(abs(a), 1.0)
    window = _window([init, minimum, (-2 * s, -(s**2)), (2 * s, 3 * s**2)], margin=0.0)
    return Problem(
        name="Rosenbrock" if (a, b) == (1.0, 100.0) else f"Rosenbrock a = {a:g}, b = {b:g}",
        loss=Partial(_rosenbrock_loss, jnp.asarray(a, float), jnp.asarray(b, float)),
        init=jnp.asarray(init),
        minimum=jnp.asarray(minimum),
        window=window,
        minimum_value=0.0,
        note="The minimum sits at the end of a long, curved, nearly flat valley.",
    )


def _beale_loss(theta):
    x, y = theta
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def beale(init: ArrayLike = (1.0, 1.5)) -> Problem:
    r"""Beale's function, :math:`(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2`.

    The minimum θ* = (3, 0.5), L(θ*) = 0, lies in a narrow valley; steep walls rise at
    large |y|, and a flat plateau near the line x = 0 holds a saddle point at (0, 1).

    Reference: Beale, On an iterative method for finding a local minimum of a function
    of more than one variable, Princeton technical report, 1958.
    """
    init = _point("beale", init)
    return Problem(
        name="Beale",
        loss=Partial(_beale_loss),
        init=jnp.asarray(init),
        minimum=jnp.array([3.0, 0.5]),
        window=_window([init, (-4.5, -4.5), (4.5, 4.5)], margin=0.0),
        minimum_value=0.0,
        note="The minimum lies in a narrow curved valley beside a flat plateau.",
    )


def _saddle_loss(theta):
    x, y = theta
    return x**2 - y**2


def saddle(init: ArrayLike = (-1.5, 0.01)) -> Problem:
    r"""The saddle :math:`L(x, y) = x^2 - y^2`: a minimum along x, a maximum along y.

    L is unbounded below, so there is no minimum; 0 is the saddle point. Started near the
    x-axis, gradient descent slides towards the saddle and lingers there until the tiny y
    component, multiplied by 1 + 2α at every step, carries it away.
    """
    init = _point("saddle", init)
    return Problem(
        name="saddle x² − y²",
        loss=Partial(_saddle_loss),
        init=jnp.asarray(init),
        minimum=None,
        window=_window([init, (-2.0, -2.0), (2.0, 2.0)], margin=0.0),
        minimum_value=None,
        saddle_point=jnp.zeros(2),
        note="No minimum: L is unbounded below, and 0 is a saddle point.",
    )


def _monkey_saddle_loss(theta):
    x, y = theta
    return x**3 - 3 * x * y**2


def monkey_saddle(init: ArrayLike = (1.5, 0.05)) -> Problem:
    r"""The monkey saddle :math:`L(x, y) = x^3 - 3xy^2`: three valleys meet at 0.

    Its Hessian vanishes at 0, so near the saddle point the gradient is tiny in every
    direction and second-order information does not help to escape. L is unbounded below;
    there is no minimum.
    """
    init = _point("monkey_saddle", init)
    return Problem(
        name="monkey saddle x³ − 3xy²",
        loss=Partial(_monkey_saddle_loss),
        init=jnp.asarray(init),
        minimum=None,
        window=_window([init, (-2.0, -2.0), (2.0, 2.0)], margin=0.0),
        minimum_value=None,
        saddle_point=jnp.zeros(2),
        note="No minimum: L is unbounded below, and 0 is a degenerate saddle point.",
    )


def _point(where: str, point: ArrayLike) -> np.ndarray:
    point = np.asarray(point, dtype=float)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"{where}: init must be 2 finite numbers, got {point.tolist()!r}")
    return point


# ---------------------------------------------------------------------------------------
# Classifiers.


def _logits(params, x):
    return params["W"] @ x + params["b"]  # z = Wx + b.


def _soft_label_loss(x, target, params):
    log_p = jax.nn.log_softmax(_logits(params, x))  # log softmax(z).
    log_t = jnp.log(jnp.where(target > 0, target, 1.0))  # 0 log 0 = 0.
    return jnp.sum(target * (log_t - log_p))  # KL(t ‖ p) = Σ t (log t − log p).


def _soft_label_probabilities(x, params):
    return jax.nn.softmax(_logits(params, x))


def soft_label_classifier(
    target: ArrayLike = (0.0, 1.0), x: ArrayLike = (1.0,)
) -> SoftLabelClassifier:
    r"""A linear layer and a softmax fitted to one example: the KL divergence to a target.

    .. math::
        p = \operatorname{softmax}(Wx + b), \qquad
        L(W, b) = \mathrm{KL}(t \,\|\, p) = \sum_i t_i \log \frac{t_i}{p_i}

    which is the cross-entropy :math:`-\sum_i t_i \log p_i` less the target's entropy, so
    L ≥ 0 and the smallest value is 0. The parameters are ``{"W": (k, d), "b": (k,)}`` for
    k classes and an example with d features; they start at 0, where p is uniform.

    When every :math:`t_i > 0` the target is reachable: p = t for any logits
    z = log t + c, and ``minimum`` is the smallest such (W, b). When some :math:`t_i = 0`
    (a one-hot target), p = t needs a logit at −∞: L tends to 0 only as the parameters
    grow without bound, ``minimum`` is None and ``minimum_value`` is the infimum 0.

    Args:
        target: t, a probability distribution over k ≥ 2 classes.
        x: the example, d finite numbers.
    """
    t = np.asarray(target, dtype=float)
    if t.ndim != 1 or t.size < 2 or np.any(t < 0) or not np.isclose(t.sum(), 1.0):
        raise ValueError(
            f"soft_label_classifier: target must be a distribution over k ≥ 2 classes "
            f"(non-negative, summing to 1), got {target!r}"
        )
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"soft_label_classifier: x must be d finite numbers, got {x.tolist()!r}")
    k, d = t.size, x.size

    if np.all(t > 0):
        z = np.log(t) - np.mean(np.log(t))  # The logits of t with the least norm.
        scale = z / (x @ x + 1)  # Row i: the least-norm (wᵢ, bᵢ) with wᵢ·x + bᵢ = zᵢ.
        minimum = {"W": jnp.asarray(np.outer(scale, x)), "b": jnp.asarray(scale)}
        note = "Every target probability is positive: L = 0 is reached, on a whole set of θ."
    else:
        minimum = None
        note = "A zero in the target: L → 0 only as the weights grow without bound."

    label = ", ".join(f"{v:g}" for v in t)
    return SoftLabelClassifier(
        name=f"soft-label classifier, target ({label})",
        loss=Partial(_soft_label_loss, jnp.asarray(x), jnp.asarray(t)),
        init={"W": jnp.zeros((k, d)), "b": jnp.zeros(k)},
        minimum=minimum,
        window=None,
        minimum_value=0.0,
        note=note,
        x=jnp.asarray(x),
        target=jnp.asarray(t),
        probabilities=Partial(_soft_label_probabilities, jnp.asarray(x)),
    )


class MLP(nn.Module):
    """A multilayer perceptron: Dense and ReLU for each hidden width, then Dense to logits."""

    hidden: tuple[int, ...] = (128,)
    classes: int = 10

    @nn.compact
    def __call__(self, inputs):
        h = inputs
        for width in self.hidden:
            h = nn.relu(nn.Dense(width)(h))  # h ← ReLU(W h + b).
        return nn.Dense(self.classes)(h)  # The logits.


@dataclasses.dataclass(frozen=True)
class _ClassifierLoss:
    """Mean softmax cross-entropy of a Flax model; compares equal for equal models."""

    model: nn.Module

    def __call__(self, params, batch):
        logits = self.model.apply({"params": params}, _scaled(batch.inputs))
        log_p = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(log_p, batch.labels[:, None], axis=1))


@dataclasses.dataclass(frozen=True)
class _ClassifierAccuracy:
    model: nn.Module

    def __call__(self, params, batch):
        logits = self.model.apply({"params": params}, _scaled(batch.inputs))
        return jnp.mean(jnp.argmax(logits, axis=-1) == batch.labels)


def as_batch(images: ArrayLike, labels: ArrayLike) -> Batch:
    """Images as uint8 (N, 28, 28) → a :class:`Batch`: float32 in [0, 1], flattened."""
    images = np.asarray(images)
    # The 60 000 training images are 188 MB in float32: divide in place, into a buffer that
    # JAX on CPU can adopt without a copy (64-byte aligned), so the split is held once, and
    # a kernel's peak is not three copies of it (astype, the division, jnp.asarray's copy).
    inputs = _aligned_empty((len(images), math.prod(images.shape[1:])), np.float32)
    np.divide(images.reshape(inputs.shape), np.float32(255.0), out=inputs, dtype=np.float32)
    return Batch(inputs=jax.device_put(inputs), labels=jnp.asarray(labels, dtype=jnp.int32))


#: Each uint8 pixel value p as :func:`as_batch` scales it, the float32 p / 255.
_PIXEL_VALUES = np.arange(256, dtype=np.float32) / np.float32(255.0)


def _scaled(inputs: jax.Array) -> jax.Array:
    """uint8 pixels as float32 in [0, 1], the values :func:`as_batch` gives; others as given."""
    return jnp.asarray(_PIXEL_VALUES)[inputs] if inputs.dtype == jnp.uint8 else inputs


def _aligned_empty(shape: tuple[int, ...], dtype, alignment: int = 64) -> np.ndarray:
    """``np.empty(shape, dtype)`` whose data start at a multiple of ``alignment`` bytes."""
    size = math.prod(shape) * np.dtype(dtype).itemsize
    raw = np.empty(size + alignment, np.uint8)
    start = -raw.ctypes.data % alignment
    return raw[start:start + size].view(dtype).reshape(shape)


# Each split's arrays, held weakly: problems built while a split is alive share it, and once
# nothing uses it (a chapter that has moved on to 500 images), its 188 MB are freed. The key
# is the split and whether its pixels are scaled.
_SPLITS: dict[tuple[str, bool], tuple[weakref.ref, weakref.ref]] = {}


def _held(split: str, scaled: bool = True) -> Batch | None:
    """The split as a :class:`Batch` if something still holds it, else None."""
    refs = _SPLITS.get((split, scaled), (lambda: None, lambda: None))
    inputs, labels = (ref() for ref in refs)
    return None if inputs is None or labels is None else Batch(inputs=inputs, labels=labels)


def _hold(split: str, batch: Batch, scaled: bool = True) -> Batch:
    """Share ``batch`` as the split for as long as anything holds it."""
    _SPLITS[split, scaled] = (weakref.ref(batch.inputs), weakref.ref(batch.labels))
    return batch


def _load(split: str):
    """The split's uint8 images and labels (:func:`descent.data.load_fashion_mnist`).

    keep=False: the data module keeps none of them, so once converted they are freed.
    """
    from descent.data import load_fashion_mnist

    return load_fashion_mnist(split, keep=False)


def fashion_mnist(split: str = "train", *, scaled: bool = True) -> Batch:
    """A split of Fashion-MNIST as one :class:`Batch`: float32 pixels in [0, 1], flattened.

    The split is converted once and shared while anything holds it (this function's
    result, or an :func:`mlp_classifier` built on it); when nothing does, its memory (188 MB
    for the 60 000 training images) is freed.

    Args:
        split: ``"train"`` (60 000 images) or ``"test"`` (10 000).
        scaled: with False, the pixels stay uint8, 0 to 255 (47 MB for the training
            images, a quarter of 188 MB). The loss and accuracy of an
            :func:`mlp_classifier` scale them, to the same float32 values as
            ``scaled=True`` gives, so they train and measure it bit for bit alike; any
            other function of a batch must scale them itself.
    """
    if split not in ("train", "test"):
        raise ValueError(f"fashion_mnist: split must be 'train' or 'test', got {split!r}")
    held = _held(split, scaled)
    if held is not None:
        return held
    images, labels = _load(split)
    if scaled:
        return _hold(split, as_batch(images, labels))
    pixels = jnp.asarray(images.reshape(len(images), -1))  # uint8, flattened.
    return _hold(split, Batch(inputs=pixels, labels=jnp.asarray(labels, jnp.int32)), scaled)


def _split(where: str, name: str, split: str, size: int | None, none_ok: bool = False
           ) -> Batch | None:
    """The first ``size`` examples of a split (all for None; none for 0 if ``none_ok``).

    Fewer than the whole split come in arrays of their own: copied from the split if
    something holds it, else converted from the uint8 images alone, so that the whole
    split (188 MB for the training images) is not converted only to be cut.
    """
    smallest = 0 if none_ok else 1
    if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer))
                             or size < smallest):
        what = "a non-negative integer (0 for none)" if none_ok else "a positive integer"
        raise ValueError(f"{where}: {name} must be {what}, or None for the whole {split} "
                         f"split; got {size!r}")
    if size == 0:
        return None
    held = _held(split)
    source = held if held is not None else _load(split)
    if size is not None and size > len(source.labels):
        raise ValueError(f"{where}: {name} is {size:,}, but the {split} split has only "
                         f"{len(source.labels):,} images")
    if size is None or size == len(source.labels):
        return held if held is not None else _hold(split, as_batch(*source))
    if held is not None:
        return jax.tree.map(lambda a: jnp.array(a[:size]), held)  # A copy: the split can go.
    return as_batch(source.images[:size], source.labels[:size])


def mlp_classifier(
    hidden: tuple[int, ...] = (128,),
    *,
    key: jax.Array,
    train_size: int | None = None,
    test_size: int | None = None,
) -> Classifier:
    r"""A multilayer perceptron that classifies Fashion-MNIST, by mean cross-entropy.

    .. math::
        L(\theta; B) = -\frac{1}{|B|} \sum_{(x, y) \in B} \log \operatorname{softmax}(f_\theta(x))_y

    The network is a Flax module; the optimizers see only its parameters, a plain dict
    of arrays, and the pure functions ``loss(params, batch)`` and
    ``accuracy(params, batch)``. The data come from :func:`descent.data.load_fashion_mnist`
    as :class:`Batch` es (``problem.train_data``, ``problem.test_data``); train on them
    with :func:`descent.train`.

    Args:
        hidden: the width of each hidden layer; (128,) is a 784-128-10 network.
        key: a ``jax.random.key`` that draws the initial weights (LeCun normal, zero
            biases: Flax's defaults).
        train_size: keep only the first this many of the 60 000 training images (all of
            them for None). The problem then holds arrays of those alone (only those are
            converted to float32, unless the split is held already), so a small experiment
            neither builds nor keeps 188 MB of images.
        test_size: the same for the 10 000 test images; 0 for none (``test_data`` is
            None), so that a chapter loads the test split only where it uses it.
    """
    hidden = tuple(int(width) for width in hidden)
    if any(width < 1 for width in hidden):
        raise ValueError(f"mlp_classifier: hidden widths must be positive, got {hidden!r}")
    # The data first: a split cut down to train_size is freed (if nothing else holds it)
    # before the initialization compiles, so the two do not add up in memory.
    train_data = _split("mlp_classifier", "train_size", "train", train_size)
    test_data = _split("mlp_classifier", "test_size", "test", test_size, none_ok=True)
    model = MLP(hidden=hidden)
    params = model.init(key, jnp.zeros((1, 28 * 28), jnp.float32))["params"]
    shape = "-".join(str(width) for width in (784, *hidden, 10))
    return Classifier(
        name=f"MLP {shape} on Fashion-MNIST",
        loss=_ClassifierLoss(model),
        init=params,
        minimum=None,
        window=None,
        minimum_value=None,
        note="A nonconvex loss: many minima, none known in closed form.",
        accuracy=_ClassifierAccuracy(model),
        model=model,
        train_data=train_data,
        test_data=test_data,
    )


# ---------------------------------------------------------------------------------------
# Drawing.


def loss_grid(
    problem: Problem, resolution: int = 200, window: Window | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The loss of a 2-D problem on a grid, for ``ax.contour(x, y, Z)``.

    Computed once, all points at a time (``jax.vmap``); compute it outside a slider
    callback and keep it.

    Args:
        problem: a 2-D problem.
        resolution: the number of grid points along each axis.
        window: (xmin, xmax, ymin, ymax); the problem's window by default.

    Returns:
        x of shape (resolution,), y of shape (resolution,) and Z of shape
        (resolution, resolution) with ``Z[i, j] = L((x[j], y[i]))``.
    """
    window = problem.window if window is None else window
    if window is None:
        raise ValueError(f"loss_grid: {problem.name} is not a 2-D problem; pass a window")
    if int(resolution) < 2:
        raise ValueError(f"loss_grid: resolution must be at least 2, got {resolution!r}")
    xmin, xmax, ymin, ymax = window
    x = jnp.linspace(xmin, xmax, int(resolution))
    y = jnp.linspace(ymin, ymax, int(resolution))
    X, Y = jnp.meshgrid(x, y)
    points = jnp.stack([X, Y], axis=-1)  # Shape (resolution, resolution, 2).
    Z = jax.vmap(jax.vmap(problem.loss))(points)
    return np.asarray(x), np.asarray(y), np.asarray(Z)


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
                  + \frac{h}{1 + e^{k\,(x - 0.3\,y)}}

    (the second term a logistic step; σ is kept for noise in this book). Left of the
    line x = 0.3y the loss is about h higher;
    across the line it drops by h within a width of about 4/k. On the cliff face the
    gradient reaches hk/4 (about 125 for the defaults), about a hundred times its size on
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
# Where momentum is tested: Nesterov's worst case, Lessard et al.'s counterexample.


def _nesterov_worst_case_loss(smoothness, theta):
    # ½θᵀAθ with A = tridiag(−1, 2, −1): ½(θ₁² + Σᵢ (θᵢ − θᵢ₊₁)² + θₙ²), without forming A.
    quadratic_part = 0.5 * (theta[0] ** 2 + jnp.sum(jnp.diff(theta) ** 2) + theta[-1] ** 2)
    return smoothness / 4 * (quadratic_part - theta[0])  # L/4 (½θᵀAθ − θ₁).


def nesterov_worst_case(n: int = 201, smoothness: float = 1.0) -> Problem:
    r"""Nesterov's worst function for first-order methods, :math:`\frac L4\big(\tfrac12\theta^\top A\theta - \theta_1\big)`.

    A is the n × n tridiagonal matrix with 2 on the diagonal and −1 beside it, so the
    loss is a convex quadratic with Hessian (L/4)A, whose eigenvalues
    :math:`L\sin^2\big(\tfrac{i\pi}{2(n+1)}\big)`, i = 1, …, n, lie in (0, L): it is
    L-smooth, and its condition number grows like n². The minimizer solves Aθ = e₁:
    :math:`\theta^\star_i = 1 - \tfrac{i}{n + 1}`, and
    :math:`L^\star = -\tfrac L8\big(1 - \tfrac1{n+1}\big)`. From θ₀ = 0 each gradient reaches
    one coordinate further, so after k steps any method that moves along its gradients has
    touched only the first k coordinates: this is what makes the lower bound
    :func:`descent.theory.first_order_lower_bound` hold (Nesterov's Lectures on Convex
    Optimization, 2018, §2.1.2).

    Args:
        n: the dimension, an integer ≥ 1 (2k + 1 for the lower bound at step k).
        smoothness: L > 0.

    >>> problem = nesterov_worst_case(3, smoothness=8.0)
    >>> print(problem.minimum, problem.minimum_value, problem.loss(problem.minimum))
    [0.75 0.5  0.25] -0.75 -0.75
    """
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"nesterov_worst_case: n must be an integer ≥ 1, got {n!r}")
    if not (np.isfinite(smoothness) and smoothness > 0):
        raise ValueError(f"nesterov_worst_case: smoothness must be in (0, inf), got {smoothness!r}")
    n, L = int(n), float(smoothness)
    minimum = 1 - np.arange(1, n + 1) / (n + 1)  # θ*ᵢ = 1 − i/(n + 1).
    return Problem(
        name=f"Nesterov's worst case, n = {n}" + ("" if L == 1 else f", L = {L:g}"),
        loss=Partial(_nesterov_worst_case_loss, jnp.asarray(L)),
        init=jnp.zeros(n, dtype=jnp.result_type(float)),
        minimum=jnp.asarray(minimum),
        minimum_value=-L / 8 * (1 - 1 / (n + 1)),
        note="Each gradient reaches one coordinate further: k steps see only k of the n.",
    )


# ∇L(x) = 25x, x + 24, 25x − 24 on x < 1, 1 ≤ x < 2, x ≥ 2: continuous, 1 ≤ L'' ≤ 25.
def _lessard_loss(theta):
    x = theta[0]
    return jnp.where(x < 1, 12.5 * x**2,
                     jnp.where(x < 2, 0.5 * x**2 + 24 * x - 12, 12.5 * x**2 - 24 * x + 36))


def lessard_counterexample(init: float = 3.3) -> Problem:
    r"""A strongly convex function on which the optimally tuned heavy ball never converges.

    .. math::
        L(x) = \begin{cases}
            \tfrac{25}{2}x^2 & x < 1\\
            \tfrac12 x^2 + 24x - 12 & 1 \le x < 2\\
            \tfrac{25}{2}x^2 - 24x + 36 & x \ge 2
        \end{cases}

    L and its derivative are continuous (at 1: 12.5 and 25; at 2: 38 and 26) and the
    second derivative is 25, 1 or 25, so L is 1-strongly convex and 25-smooth, with its
    minimum 0 at 0. The heavy ball at Polyak's tuning for κ = 25, α = 1/9 and β = 4/9
    (:func:`descent.theory.heavy_ball_optimal`), converges on every quadratic with
    curvature in [1, 25], yet from the default start (Lessard et al. found the cycle from
    x₀ in [3.07, 3.46]) it settles on the 3-cycle :func:`descent.theory.lessard_cycle`.
    Gradient descent at 2/(L + μ) and Nesterov at
    :func:`descent.theory.nesterov_optimal` converge. The parameters are an array of
    shape (1,).

    Args:
        init: x₀, a finite number.

    Reference: Lessard, Recht and Packard, Analysis and design of optimization algorithms
    via integral quadratic constraints, SIAM J. Optimization, 2016, §4.6.

    >>> problem = lessard_counterexample()
    >>> print(problem.loss(jnp.array([1.0])), problem.loss(jnp.array([2.0])))
    12.5 38.0
    """
    x0 = np.asarray(init, dtype=float)
    if x0.shape not in ((), (1,)) or not np.all(np.isfinite(x0)):
        raise ValueError(f"lessard_counterexample: init must be one finite number, got {init!r}")
    return Problem(
        name="Lessard et al.'s counterexample",
        loss=Partial(_lessard_loss),
        init=jnp.asarray(x0.reshape(1)),
        minimum=jnp.zeros(1),
        minimum_value=0.0,
        note="1-strongly convex and 25-smooth, yet the optimally tuned heavy ball cycles.",
    )


# ---------------------------------------------------------------------------------------
# Per-coordinate step sizes: AdaGrad, RMSProp, Adadelta (the chapter "Adaptive methods").
# (section owned by the adaptive-chapter helper until issue 15 lands)

__all__ += ["SparseRegression", "sparse_features"]


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class SparseRegression(Problem):
    r"""Least squares on features of very different frequencies: ``loss(w, (X, y))``.

    Attributes:
        inputs: X, the N × d design matrix (float32); most entries of a rare column are 0.
        targets: y, the N targets (float32).
        frequencies: p_j, the probability that feature j is active, shape (d,).
        rare: True for the rare features, shape (d,).
        weights: w*, the weights the targets were made with, shape (d,).
        full_loss: ``full_loss(w)``, the loss on all N examples.
    """

    inputs: jax.Array
    targets: jax.Array
    frequencies: jax.Array
    rare: jax.Array
    weights: jax.Array
    full_loss: Callable[[Params], jax.Array]


def _least_squares_loss(w, batch):
    inputs, targets = batch
    return 0.5 * jnp.mean((inputs @ w - targets) ** 2)  # L(w) = ½ mean (xᵀw − y)².


def _full_least_squares_loss(inputs, targets, w):
    return _least_squares_loss(w, (inputs, targets))


def sparse_features(
    n: int = 4000,
    frequent: int = 20,
    rare: int = 10,
    frequent_probability: float = 0.5,
    rare_probability: float = 0.005,
    rare_weight: float = 2.0,
    noise: float = 0.1,
    seed: int = 0,
) -> SparseRegression:
    r"""A linear model whose few rare features carry most of the signal.

    Feature j of example i is :math:`x_{ij} = b_{ij} z_{ij}` with :math:`b_{ij}` a coin
    that comes up 1 with probability :math:`p_j` and :math:`z_{ij}` standard normal: the
    ``frequent`` features are active with probability ``frequent_probability``, the
    ``rare`` ones with ``rare_probability``. The targets are
    :math:`y_i = x_i^\top w^\star + \sigma\xi_i` with :math:`\xi_i` standard normal; the
    frequent weights :math:`w^\star_j` are drawn from N(0, 0.5²) and the rare ones are
    ±``rare_weight``, so a rare feature, when it is active, moves the target most. The
    loss is the mean squared error on all examples (or on a minibatch),
    :math:`L(w) = \tfrac1{2N}\lVert Xw - y\rVert^2`, whose Hessian
    :math:`X^\top X/N` has about :math:`p_j` on its diagonal: the rare coordinates are
    the flat directions. ``minimum`` is the least-squares solution on the N examples
    (computed in float64), which is not w*: a rare weight is fitted from the few
    examples in which its feature is active. Everything is drawn from
    ``jax.random.key(seed)``.

    Args:
        n: N, the number of examples.
        frequent, rare: the number of frequent and of rare features (d = their sum).
        frequent_probability, rare_probability: p for each kind, in (0, 1].
        rare_weight: the size of each rare weight, > 0.
        noise: σ ≥ 0, the standard deviation of the noise on the targets.
        seed: the seed of the draw.

    >>> problem = sparse_features(n=1000, seed=1)
    >>> print(problem.inputs.shape, int(problem.rare.sum()))
    (1000, 30) 10
    """
    where = "sparse_features"
    for name, value in (("n", n), ("frequent", frequent), ("rare", rare)):
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"{where}: {name} must be an integer ≥ 1, got {value!r}")
    for name, value in (("frequent_probability", frequent_probability),
                        ("rare_probability", rare_probability)):
        if not 0 < value <= 1:
            raise ValueError(f"{where}: {name} must be in (0, 1], got {value!r}")
    if not (np.isfinite(rare_weight) and rare_weight > 0):
        raise ValueError(f"{where}: rare_weight must be in (0, inf), got {rare_weight!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"{where}: noise must be in [0, inf), got {noise!r}")
    d = frequent + rare
    p = np.array([frequent_probability] * frequent + [rare_probability] * rare)
    # Two draws, split afterwards: each shape of draw is a program for JAX to compile.
    uniform_key, normal_key = jax.random.split(jax.random.key(seed))
    uniform = np.asarray(jax.random.uniform(uniform_key, (n * d + rare,)), dtype=float)
    normal = np.asarray(jax.random.normal(normal_key, (n * d + frequent + n,)), dtype=float)
    active = uniform[: n * d].reshape(n, d) < p
    X = active * normal[: n * d].reshape(n, d)
    w_star = np.concatenate([0.5 * normal[n * d: n * d + frequent],
                             rare_weight * np.where(uniform[n * d:] < 0.5, -1.0, 1.0)])
    y = X @ w_star + noise * normal[n * d + frequent:]
    X, y = X.astype(np.float32), y.astype(np.float32)
    solution, *_ = np.linalg.lstsq(X.astype(float), y.astype(float), rcond=None)
    residual = X.astype(float) @ solution - y.astype(float)
    inputs, targets = jnp.asarray(X), jnp.asarray(y)
    return SparseRegression(
        name=f"sparse features, {frequent} frequent (p = {frequent_probability:g}) and "
             f"{rare} rare (p = {rare_probability:g})",
        loss=Partial(_least_squares_loss),
        init=jnp.zeros(d, dtype=jnp.float32),
        minimum=jnp.asarray(solution, dtype=jnp.float32),
        minimum_value=float(0.5 * np.mean(residual**2)),
        note="The rare features are the flat directions of the loss and carry the most "
             "signal.",
        inputs=inputs,
        targets=targets,
        frequencies=jnp.asarray(p),
        rare=jnp.asarray(np.arange(d) >= frequent),
        weights=jnp.asarray(w_star),
        full_loss=Partial(_full_least_squares_loss, inputs, targets),
    )


# ---------------------------------------------------------------------------------------
# Adam and its family: bias correction, Reddi et al.'s counterexample, AdamW (the chapter "Adam").
# (section owned by the adam-chapter helper until issue 15 lands)


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class OnlineProblem(Problem):
    """An online problem: a new loss f_t at every step t = 1, 2, …, on a box.

    ``loss(params, t)`` is f_t(θ); the optimizer sees ∇f_t at the point it plays and
    projects its step back onto the box [``lower``, ``upper``].

    Attributes:
        coefficient: ``coefficient(t)``, the slope c_t of a linear f_t(x) = c_t x.
        lower, upper: the bounds of the feasible interval.
    """

    coefficient: Callable[[ArrayLike], jax.Array]
    lower: float
    upper: float


__all__ += ["OnlineProblem", "reddi_counterexample"]


def _reddi_coefficient(C, t):
    # f_t(x) = C x when t mod 3 = 1 (t = 1, 4, 7, …), −x otherwise.
    return jnp.where(jnp.mod(t, 3) == 1, C, -1.0)


def _reddi_loss(C, params, t):
    return _reddi_coefficient(C, t) * params[0]


def reddi_counterexample(C: float = 3.0, init: float = 0.0) -> OnlineProblem:
    r"""Reddi, Kale and Kumar's online problem on which Adam fails to converge.

    .. math::
        f_t(x) = \begin{cases} C x & t \bmod 3 = 1 \\ -x & \text{otherwise} \end{cases}
        \qquad x \in [-1, 1],\ t = 1, 2, \dots,\ C > 2 .

    Over each period of three steps the losses add up to (C − 2)x, so the best fixed point
    in hindsight is x = −1, and x = +1 is the worst. With β₁ = 0 and β₂ = 1/(1 + C²),
    Adam drifts to +1 (the large gradient C is forgotten before it comes back) and its
    average regret tends to 2(C − 2)/3 (:func:`descent.theory.reddi_average_regret`);
    AMSGrad goes to −1. ``loss(params, t)`` is f_t at the point ``params``, an array of
    shape (1,); the steps t start at 1.

    Args:
        C: the large gradient, C > 2.
        init: x₁, the first point played, in [−1, 1].

    Reference: Reddi, Kale and Kumar, On the convergence of Adam and beyond, ICLR 2018, §3.

    >>> problem = reddi_counterexample(C=3.0)
    >>> print([float(problem.coefficient(t)) for t in (1, 2, 3, 4)])
    [3.0, -1.0, -1.0, 3.0]
    """
    C = float(C)
    if not (np.isfinite(C) and C > 2):
        raise ValueError(f"reddi_counterexample: C must be above 2, got {C!r}")
    x0 = float(init)
    if not -1 <= x0 <= 1:
        raise ValueError(f"reddi_counterexample: init must be in [-1, 1], got {init!r}")
    return OnlineProblem(
        name=f"Reddi et al.'s counterexample, C = {C:g}",
        loss=Partial(_reddi_loss, jnp.asarray(C)),
        init=jnp.full((1,), x0),
        minimum=-jnp.ones(1),  # The best fixed point in hindsight.
        minimum_value=None,
        note="The best point in hindsight is −1; Adam with β₂ = 1/(1 + C²) drifts to +1.",
        coefficient=Partial(_reddi_coefficient, jnp.asarray(C)),
        lower=-1.0,
        upper=1.0,
    )


# ---------------------------------------------------------------------------------------
# Hard and soft targets (the case study "Adam on hard and soft targets").
# (section owned by the soft-targets helper until issue 15 lands)
