r"""The optimizer race: one protocol for comparing optimizers on Fashion-MNIST, and its runs.

The protocol is the one of a well-known page that races optimizers on MNIST; the book
keeps every detail of it, quirks included, so that its numbers can be set beside the
page's:

- the network: a multilayer perceptron 784-512-512-10 with ReLU (:data:`HIDDEN`), Flax's
  default initialization (LeCun normal weights, zero biases);
- the pixels: raw, 0 to 255, not scaled to [0, 1];
- the loss: the mean of −log softmax × one-hot over the batch *and the 10 classes*, that is
  the cross-entropy divided by 10 (:func:`race_loss`);
- the batches: :data:`BATCH` = 256 examples drawn uniformly *with replacement*;
- the measure: the loss on a fixed sample of :data:`VALIDATION` = 1,024 validation images,
  after every step; a run's score is the first step at which it falls below
  :data:`THRESHOLD` = 0.15 (:func:`steps_to_target`).

Fashion-MNIST stands in for MNIST (same format, harder). The validation images are the last
1,024 of the 60,000 training images, and are never trained on; training draws from the
other 58,976. The test split (10,000 images) is used only to measure generalization at the
end of a run.

:func:`race` runs one optimizer on this protocol for a grid of learning rates and seeds, all
runs side by side under ``jax.vmap``: one compiled program per optimizer, a
``jax.lax.scan`` over the steps of each chunk, a progress bar over the chunks. A seed fixes
the initial weights and the batches; every learning rate and every optimizer sees the same
ones (common random numbers), so differences between them are not differences of luck.

>>> import numpy as np
>>> data = race_data()                                           # doctest: +SKIP
>>> runs = race("adam", [1e-3], seeds=[0], steps=60, data=data)  # doctest: +SKIP
>>> steps_to_target(runs.validation)[0, 0]                       # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from descent import optimizers
from descent.optimizers import apply_updates
from descent.problems import MLP, Batch

__all__ = [
    "BATCH",
    "HIDDEN",
    "LEARNING_RATE",
    "OPTIMIZERS",
    "THRESHOLD",
    "VALIDATION",
    "RaceData",
    "RaceRuns",
    "accuracy",
    "cross_entropy",
    "initial_params",
    "load_grid",
    "race",
    "race_data",
    "race_loss",
    "state_size",
    "steps_to_target",
]

HIDDEN = (512, 512)  # The hidden widths: 784-512-512-10.
BATCH = 256  # Examples per step, drawn with replacement.
VALIDATION = 1024  # Validation images: the last 1,024 of the training split.
THRESHOLD = 0.15  # The target, in the protocol's loss (cross-entropy / 10).
LEARNING_RATE = 1e-3  # The one learning rate the page gives every optimizer.
CLASSES = 10

# The optimizers of the race: a factory of descent.optimizers and the arguments it gets
# besides the learning rate. The first four are the page's, with its variants reproduced
# through arguments: its AdaGrad adds 1e-3 inside the square root, 1/√(1e-3 + Σg²), which is
# descent's adagrad started from v = 1e-3 with a negligible ε (its ε is added outside the
# root); its Adam uses ε = 1e-6. The rest keep their papers' defaults, the Adam family with
# the page's ε = 1e-6 so that it differs from Adam only in what makes it what it is.
OPTIMIZERS: dict[str, tuple[Callable, dict[str, Any]]] = {
    "sgd": (optimizers.sgd, {}),
    "adagrad": (optimizers.adagrad, {"initial_accumulator_value": 1e-3, "eps": 1e-30}),
    "momentum": (optimizers.momentum, {"momentum": 0.9}),
    "adam": (optimizers.adam, {"eps": 1e-6}),
    "nesterov": (optimizers.nesterov, {"momentum": 0.9}),
    "rmsprop": (optimizers.rmsprop, {"decay": 0.9, "eps": 1e-6}),
    "adadelta": (optimizers.adadelta, {"rho": 0.95, "eps": 1e-6}),
    "nadam": (optimizers.nadam, {"eps": 1e-6}),
    "amsgrad": (optimizers.amsgrad, {"eps": 1e-6}),
    "adamw": (optimizers.adamw, {"eps": 1e-6, "weight_decay": 1e-4}),
}

_MODEL = MLP(hidden=HIDDEN, classes=CLASSES)


class RaceData(NamedTuple):
    """The protocol's three sets of images, pixels as uint8 (turned into 0.0 … 255.0 by the loss).

    Attributes:
        train: the first 58,976 training images, the ones batches are drawn from.
        validation: the last 1,024 training images, on which the target is measured.
        test: the 10,000 test images (None if not loaded).
    """

    train: Batch
    validation: Batch
    test: Batch | None


class RaceRuns(NamedTuple):
    """The runs of one optimizer over a grid: axis 0 the learning rates, axis 1 the seeds.

    Attributes:
        optimizer: its name in :data:`OPTIMIZERS`.
        learning_rates: α, shape (A,).
        seeds: shape (S,).
        validation: the protocol's loss on the validation images before step 1 and after
            each step t = 1, …, T; shape (A, S, T + 1). NaN once a run has overflowed.
        train: the loss of each step's batch, before the step; shape (A, S, T).
        final: the loss (cross-entropy / 10), the cross-entropy and the accuracy at the end
            on the training images, the validation images and the test images, as a dict
            of arrays of shape (A, S) with keys like ``"test_accuracy"`` (absent for the
            test set if it was not loaded). NaN for runs that overflowed.
        seconds: the wall time of the steps, compilation excluded.
        compile_seconds: the time spent compiling the program.
        state_floats: the optimizer's state per run, counted in floats from its pytree
            (the step counter included).
        parameters: the number of parameters of the network.
    """

    optimizer: str
    learning_rates: np.ndarray
    seeds: np.ndarray
    validation: np.ndarray
    train: np.ndarray
    final: dict[str, np.ndarray]
    seconds: float
    compile_seconds: float
    state_floats: int
    parameters: int


def race_data(test: bool = True) -> RaceData:
    """The protocol's training, validation and test images (Fashion-MNIST, uint8 pixels).

    Args:
        test: load the test split too (False: ``test`` is None).
    """
    from descent.problems import fashion_mnist

    train = fashion_mnist("train", scaled=False)
    cut = len(train.labels) - VALIDATION
    split = RaceData(
        train=jax.tree.map(lambda a: a[:cut], train),
        validation=jax.tree.map(lambda a: a[cut:], train),
        test=fashion_mnist("test", scaled=False) if test else None,
    )
    return split


GRID_PATH = "data/race-grid.json"  # The full grid's results, from a chapter's folder (book/).
_REPOSITORY_FILE = "https://raw.githubusercontent.com/{owner}/{name}/{revision}/book/data/race-grid.json"


def load_grid(path: str | Path = GRID_PATH) -> dict:
    """The full grid's results (``experiments/race_grid.py``'s file), as a dict.

    Read from ``path`` (relative to the working directory: a chapter runs in ``book/``, and
    the reader's edition and ``make lab`` keep the file beside the chapters). Where it is not
    there, as on Colab, which opens a chapter without the repository, the file is downloaded
    from the repository at the revision ``descent`` was installed from (its pip metadata), or
    its main branch, and checked to be the results file.

    Raises:
        FileNotFoundError: the file is neither there nor downloadable; the message says
            where it was looked for and what to do.
    """
    path = Path(path)
    if path.is_file():
        return json.loads(path.read_text())
    url = _grid_url()
    try:
        import pooch

        downloaded = pooch.retrieve(url, known_hash=None, fname="race-grid.json",
                                    path=pooch.os_cache("descent") / "race", progressbar=False)
        grid = json.loads(Path(downloaded).read_text())
    except Exception as error:  # noqa: BLE001 - any failure is the same advice to the reader
        raise FileNotFoundError(
            f"load_grid: no results file at {path.resolve()}, and downloading {url} failed "
            f"({type(error).__name__}: {error}). Run the chapter from the book/ folder of the "
            "repository, put book/data/race-grid.json there, or rerun the grid with "
            "experiments/race_grid.py.") from error
    if not isinstance(grid, dict) or "optimizers" not in grid:
        raise FileNotFoundError(f"load_grid: {url} is not the race's results file")
    return grid


def _grid_url() -> str:
    """The results file in the repository that ``descent`` was installed from."""
    from importlib import metadata

    owner, name, revision = "descent-book", "descent", "main"
    try:
        distribution = metadata.distribution("descent-book")
        for entry in distribution.metadata.get_all("Project-URL") or []:
            url = entry.split(",", 1)[-1].strip()
            if url.startswith("https://github.com/"):
                owner, name = url.removeprefix("https://github.com/").strip("/").split("/")[:2]
        installed = json.loads(distribution.read_text("direct_url.json") or "{}")
        revision = installed.get("vcs_info", {}).get("commit_id", revision)
    except (metadata.PackageNotFoundError, ValueError):
        pass
    return _REPOSITORY_FILE.format(owner=owner, name=name, revision=revision)


def _logits(params, inputs):
    return _MODEL.apply({"params": params}, inputs.astype(jnp.float32))  # Raw pixels, 0 … 255.


def race_loss(params, batch: Batch) -> jax.Array:
    r"""The protocol's loss: −log softmax × one-hot, averaged over the batch and the 10 classes.

    .. math:: \ell(\theta; B) = -\frac{1}{10\,|B|} \sum_{(x, y) \in B} \log \operatorname{softmax}(f_\theta(x))_y

    which is the mean cross-entropy divided by 10 (the nine zero entries of each one-hot row
    count in the mean). Its gradient is a tenth of the cross-entropy's.
    """
    log_p = jax.nn.log_softmax(_logits(params, batch.inputs))
    return -jnp.mean(log_p * jax.nn.one_hot(batch.labels, CLASSES))


def cross_entropy(params, batch: Batch) -> jax.Array:
    """The mean cross-entropy in nats: ten times :func:`race_loss`."""
    log_p = jax.nn.log_softmax(_logits(params, batch.inputs))
    return -jnp.mean(jnp.take_along_axis(log_p, batch.labels[:, None], axis=1))


def accuracy(params, batch: Batch) -> jax.Array:
    """The fraction of the batch classified right."""
    return jnp.mean(jnp.argmax(_logits(params, batch.inputs), axis=-1) == batch.labels)


def initial_params(seed: int | jax.Array):
    """θ₀ of a seed: Flax's initialization of the 784-512-512-10 network."""
    key = jax.random.fold_in(jax.random.key(0), seed)
    return _MODEL.init(jax.random.fold_in(key, 0), jnp.zeros((1, 28 * 28)))["params"]


def _batch(seed, t, n):
    """The examples of step t of a seed: BATCH indices drawn with replacement from n."""
    key = jax.random.fold_in(jax.random.fold_in(jax.random.key(0), seed), 1)
    return jax.random.randint(jax.random.fold_in(key, t), (BATCH,), 0, n)


def steps_to_target(validation: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """The first step t ≥ 1 at which the validation loss is below ``threshold``.

    Args:
        validation: losses before step 1 and after each step, along the last axis
            (``RaceRuns.validation``).
        threshold: the target.

    Returns:
        An array of the leading shape, float: the step, or NaN where a run never got there
        (NaN, an overflowed run, never counts as below).
    """
    below = np.asarray(validation)[..., 1:] < threshold
    if below.shape[-1] == 0:  # Only θ₀: no step taken, none below.
        return np.full(below.shape[:-1], np.nan)
    first = np.argmax(below, axis=-1) + 1.0
    return np.where(below.any(axis=-1), first, np.nan)


def state_size(optimizer: str) -> tuple[int, int]:
    """The optimizer's state, counted in floats from its pytree, and the parameters' count.

    Measured by building the state of the race's network (shapes only, nothing computed).
    """
    factory, fixed = _factory(optimizer)
    params = jax.eval_shape(initial_params, 0)
    state = jax.eval_shape(factory(LEARNING_RATE, **fixed).init, params)
    count = sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(state))
    return count, sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(params))


def _factory(optimizer: str) -> tuple[Callable, dict[str, Any]]:
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"race: no optimizer named {optimizer!r}; choose one of {list(OPTIMIZERS)}")
    return OPTIMIZERS[optimizer]


def race(
    optimizer: str,
    learning_rates,
    seeds,
    steps: int,
    data: RaceData,
    *,
    chunk: int = 50,
    stop_below: bool = False,
    progress: bool = True,
    evaluate: bool = True,
) -> RaceRuns:
    """Run ``optimizer`` on the protocol for every learning rate and seed, side by side.

    Args:
        optimizer: a name in :data:`OPTIMIZERS` (its fixed arguments are taken from there).
        learning_rates: α, a 1-D sequence of positive numbers.
        seeds: non-negative integers; each fixes θ₀ and the batches.
        steps: T, the most steps to take.
        data: :func:`race_data`.
        chunk: steps per call of the compiled program (the progress bar moves by chunks);
            ``steps`` must be a multiple of it.
        stop_below: stop after the first chunk in which every run has gone below
            :data:`THRESHOLD` (the validation curves then end there: shorter than T + 1).
        progress: show a progress bar (tqdm) over the chunks.
        evaluate: measure every run at the end on the three sets (``RaceRuns.final``; an
            empty dict with False, which saves a pass over the 58,976 training images per run).

    Returns:
        A :class:`RaceRuns`.

    Raises:
        ValueError: an unknown optimizer, a learning rate that is not positive and finite,
            no seeds, a negative seed, or ``steps`` not a positive multiple of ``chunk``.
    """
    factory, fixed = _factory(optimizer)
    alphas = np.asarray(learning_rates, dtype=np.float64).ravel()
    if alphas.size == 0 or not np.all(np.isfinite(alphas) & (alphas > 0)):
        raise ValueError(f"race: learning rates must be positive and finite, got {learning_rates!r}")
    seeds = np.asarray(seeds).ravel()
    if seeds.size == 0 or not np.issubdtype(seeds.dtype, np.integer) or np.any(seeds < 0):
        raise ValueError(f"race: seeds must be non-negative integers, got {seeds!r}")
    if (isinstance(steps, bool) or isinstance(chunk, bool) or int(steps) != steps
            or int(chunk) != chunk or int(chunk) < 1 or int(steps) < 1 or int(steps) % int(chunk)):
        raise ValueError(f"race: steps ({steps!r}) must be a positive multiple of chunk ({chunk!r})")
    steps, chunk = int(steps), int(chunk)

    program = _program(optimizer, chunk)
    alphas32 = jnp.asarray(alphas, jnp.float32)
    seeds32 = jnp.asarray(seeds, jnp.int32)
    params, states, first = _start(optimizer)(alphas32, seeds32, data.validation)

    start = time.perf_counter()
    arguments = (alphas32, seeds32, params, states, jnp.int32(0), data.train, data.validation)
    compiled = program.lower(*arguments).compile()
    compile_seconds = time.perf_counter() - start

    validation, train = [np.asarray(first)[..., None]], []
    bar = _progress_bar(steps, f"{optimizer} ({alphas.size} α × {seeds.size} seeds)", progress)
    seconds = 0.0
    for t0 in range(0, steps, chunk):
        start = time.perf_counter()
        params, states, losses, values = compiled(
            alphas32, seeds32, params, states, jnp.int32(t0), data.train, data.validation)
        values = np.asarray(values)
        seconds += time.perf_counter() - start
        validation.append(np.moveaxis(values, 0, -1))
        train.append(np.moveaxis(np.asarray(losses), 0, -1))
        bar.update(chunk)
        if stop_below and np.all((np.concatenate(validation, axis=-1)[..., 1:] < THRESHOLD).any(-1)):
            break
    bar.close()
    validation = np.concatenate(validation, axis=-1).astype(np.float64)
    train = np.concatenate(train, axis=-1).astype(np.float64)
    final = _evaluate(params, data) if evaluate else {}
    state_floats, parameters = state_size(optimizer)
    return RaceRuns(optimizer=optimizer, learning_rates=alphas, seeds=seeds, validation=validation,
                    train=train, final=final, seconds=seconds, compile_seconds=compile_seconds,
                    state_floats=state_floats, parameters=parameters)


def _progress_bar(total, description, show):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="step", disable=not show, leave=False)


@functools.cache
def _start(optimizer: str):
    """θ₀ of every (α, seed), the optimizer's state and the validation loss: one program."""
    factory, fixed = _factory(optimizer)

    def start(alphas, seeds, validation):
        params = jax.vmap(initial_params)(seeds)
        params = jax.tree.map(lambda a: jnp.broadcast_to(a, (alphas.size,) + a.shape), params)
        states = jax.vmap(jax.vmap(lambda a, p: factory(a, **fixed).init(p)))(
            jnp.broadcast_to(alphas[:, None], (alphas.size, seeds.size)), params)
        first = jax.vmap(jax.vmap(race_loss, in_axes=(0, None)), in_axes=(0, None))(
            params, validation)
        return params, states, first

    return jax.jit(start)


@functools.cache
def _program(optimizer: str, chunk: int):
    """The compiled chunk of ``chunk`` steps for every (α, seed), vmapped: one per optimizer."""
    factory, fixed = _factory(optimizer)

    def one_run(alpha, seed, params, state, t0, train, validation):
        transformation = factory(alpha, **fixed)
        n = train.labels.shape[0]

        def step(carry, t):
            params, state = carry
            batch = jax.tree.map(lambda a: a[_batch(seed, t, n)], train)  # B_t, with replacement.
            loss, grads = jax.value_and_grad(race_loss)(params, batch)
            updates, state = transformation.update(grads, state, params)
            params = apply_updates(params, updates)
            return (params, state), (loss, race_loss(params, validation))

        (params, state), (losses, values) = jax.lax.scan(
            step, (params, state), t0 + jnp.arange(chunk))
        return params, state, losses, values

    over_seeds = jax.vmap(one_run, in_axes=(None, 0, 0, 0, None, None, None))
    over_grid = jax.vmap(over_seeds, in_axes=(0, None, 0, 0, None, None, None))

    def program(alphas, seeds, params, states, t0, train, validation):
        params, states, losses, values = over_grid(alphas, seeds, params, states, t0, train,
                                                   validation)
        # Steps on the leading axis: (chunk, A, S).
        return params, states, jnp.moveaxis(losses, -1, 0), jnp.moveaxis(values, -1, 0)

    return jax.jit(program, donate_argnums=(2, 3))


_EVAL_CHUNK = 2048  # Images per forward pass in the final evaluation.


@jax.jit
def _measures(params, batch: Batch):
    """Summed cross-entropy and number right over a batch, for one run."""
    log_p = jax.nn.log_softmax(_logits(params, batch.inputs))
    nll = -jnp.take_along_axis(log_p, batch.labels[:, None], axis=1)[:, 0]
    return jnp.sum(nll), jnp.sum(jnp.argmax(log_p, axis=-1) == batch.labels)


def _evaluate(params, data: RaceData) -> dict[str, np.ndarray]:
    """Loss, cross-entropy and accuracy of every run on each set, one run at a time."""
    shape = jax.tree.leaves(params)[0].shape[:2]
    sets = {"train": data.train, "validation": data.validation, "test": data.test}
    final = {}
    for name, batch in sets.items():
        if batch is None:
            continue
        n = len(batch.labels)
        ce = np.empty(shape)
        right = np.empty(shape)
        for index in np.ndindex(*shape):
            p = jax.tree.map(lambda a: a[index], params)
            totals = [_measures(p, jax.tree.map(lambda a: a[i:i + _EVAL_CHUNK], batch))
                      for i in range(0, n, _EVAL_CHUNK)]
            ce[index] = sum(float(s) for s, _ in totals) / n
            right[index] = sum(int(r) for _, r in totals) / n
        finite = np.isfinite(ce)
        final[f"{name}_cross_entropy"] = ce
        final[f"{name}_loss"] = ce / CLASSES
        final[f"{name}_accuracy"] = np.where(finite, right, np.nan)
    return final
