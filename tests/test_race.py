"""descent.race, the optimizer race's protocol, against references computed independently.

Each protocol detail is computed twice, through ``descent.race`` and through a reference
that does not use it (NumPy in float64, optax, or a plain Python loop), and the two must
agree: the loss and its raw pixels, the network, the optimizers with the page's variants,
the batches drawn with replacement, the split, the score, the state counts, and race()
itself, whose vmapped grid must equal runs done one at a time.

The runs here are tiny (a few steps on a few thousand images); the full grid's numbers are
checked by tests/test_race_grid.py.
"""

from __future__ import annotations

import functools
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from descent import race
from descent.data import load_fashion_mnist
from descent.problems import Batch

PARAMETERS = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10  # 669,706.


# ---------------------------------------------------------------------------------------
# References.


def numpy_logits(params, inputs) -> np.ndarray:
    """The MLP's logits in float64 NumPy: ReLU(x W + b) twice, then x W + b; raw pixels."""
    h = np.asarray(inputs, dtype=np.float64)
    layers = [params[f"Dense_{i}"] for i in range(3)]
    for i, layer in enumerate(layers):
        h = h @ np.asarray(layer["kernel"], np.float64) + np.asarray(layer["bias"], np.float64)
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h


def numpy_log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def numpy_race_loss(params, inputs, labels) -> float:
    """mean(−log softmax × one-hot) over the batch *and* the 10 classes."""
    log_p = numpy_log_softmax(numpy_logits(params, inputs))
    one_hot = np.eye(10)[np.asarray(labels)]
    return float(np.mean(-log_p * one_hot))


def perturbed(params, seed: int):
    """θ₀ of a seed with every entry moved a little: biases no longer zero, a generic network."""
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.random.split(jax.random.key(seed), len(leaves))
    return treedef.unflatten([leaf + 0.02 * jax.random.normal(k, leaf.shape)
                              for leaf, k in zip(leaves, keys)])


@pytest.fixture(scope="module")
def network():
    return perturbed(race.initial_params(3), seed=1)


@pytest.fixture(scope="module")
def pixels():
    """A small batch of uint8 images, pixels 0 … 255, and random labels."""
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, size=(16, 784)).astype(np.uint8),
            rng.integers(0, 10, size=16).astype(np.int32))


@pytest.fixture(scope="module")
def data() -> race.RaceData:
    return race.race_data()


@pytest.fixture(scope="module")
def small(data) -> race.RaceData:
    """A tiny protocol for race(): 5,000 training images (not a multiple of the evaluation's
    chunk of 2,048, so its sums over chunks are tested), 256 validation, 512 test images."""
    cut = lambda a, i, j: jax.tree.map(lambda x: x[i:j], a)  # noqa: E731
    return race.RaceData(train=cut(data.train, 0, 5000), validation=cut(data.validation, 0, 256),
                         test=cut(data.test, 0, 512))


# ---------------------------------------------------------------------------------------
# The loss, the pixels, the network.


def test_race_loss_is_the_mean_over_batch_and_classes(network, pixels):
    inputs, labels = pixels
    batch = Batch(inputs=jnp.asarray(inputs), labels=jnp.asarray(labels))
    expected = numpy_race_loss(network, inputs, labels)
    assert float(race.race_loss(network, batch)) == pytest.approx(expected, rel=1e-5)
    # Cross-entropy / 10: the mean over the classes counts the nine zeros of each one-hot row.
    ce = -np.mean(numpy_log_softmax(numpy_logits(network, inputs))[np.arange(16), labels])
    assert float(race.cross_entropy(network, batch)) == pytest.approx(ce, rel=1e-5)
    assert float(race.race_loss(network, batch)) == pytest.approx(
        float(race.cross_entropy(network, batch)) / 10, rel=1e-6)


def test_accuracy_is_the_fraction_classified_right(network, pixels):
    inputs, _ = pixels
    predicted = np.argmax(numpy_logits(network, inputs), axis=1)
    # The first 11 labels are the network's own predictions, the other 5 are wrong ones.
    labels = np.where(np.arange(16) < 11, predicted, (predicted + 1) % 10).astype(np.int32)
    batch = Batch(inputs=jnp.asarray(inputs), labels=jnp.asarray(labels))
    assert float(race.accuracy(network, batch)) == pytest.approx(11 / 16)


def test_pixels_are_raw_not_scaled(network, pixels):
    inputs, labels = pixels
    as_uint8 = Batch(inputs=jnp.asarray(inputs), labels=jnp.asarray(labels))
    as_float = Batch(inputs=jnp.asarray(inputs.astype(np.float32)), labels=jnp.asarray(labels))
    raw = numpy_race_loss(network, inputs.astype(float), labels)
    scaled = numpy_race_loss(network, inputs / 255.0, labels)
    assert abs(raw - scaled) > 0.1 * raw  # The test can tell the two apart.
    assert float(race.race_loss(network, as_uint8)) == pytest.approx(raw, rel=1e-5)
    assert float(race.race_loss(network, as_float)) == pytest.approx(raw, rel=1e-5)


def test_the_network_is_784_512_512_10_with_flax_initialization():
    params = race.initial_params(0)
    shapes = {name: {k: v.shape for k, v in layer.items()} for name, layer in params.items()}
    assert shapes == {
        "Dense_0": {"kernel": (784, 512), "bias": (512,)},
        "Dense_1": {"kernel": (512, 512), "bias": (512,)},
        "Dense_2": {"kernel": (512, 10), "bias": (10,)},
    }
    assert sum(leaf.size for leaf in jax.tree.leaves(params)) == PARAMETERS == 669_706
    assert race.HIDDEN == (512, 512)
    # Flax's default: LeCun normal weights (variance 1/fan-in), zero biases.
    for layer, fan_in in zip(params.values(), (784, 512, 512)):
        assert np.all(np.asarray(layer["bias"]) == 0)
        assert np.std(np.asarray(layer["kernel"])) * math.sqrt(fan_in) == pytest.approx(1, abs=0.05)


def test_initial_params_are_a_function_of_the_seed():
    same = jax.tree.leaves(race.initial_params(5)), jax.tree.leaves(race.initial_params(5))
    assert all(np.array_equal(a, b) for a, b in zip(*same))
    kernels = [np.asarray(race.initial_params(s)["Dense_0"]["kernel"]) for s in (0, 1, 2)]
    assert not np.array_equal(kernels[0], kernels[1])
    assert not np.array_equal(kernels[1], kernels[2])


# ---------------------------------------------------------------------------------------
# The optimizers: the page's variants, and the rest against optax.


def gradients(steps=30, shape=(4, 6), seed=0):
    """Random gradients whose coordinates range over many scales, 1e-8 to 10, so that an ε of
    1e-6 and one of 1e-8, or an accumulator started at 1e-3 and one at 0, differ."""
    rng = np.random.default_rng(seed)
    scale = 10.0 ** np.linspace(-8, 1, np.prod(shape)).reshape(shape)
    return [(rng.standard_normal(shape) * scale).astype(np.float32) for _ in range(steps)]


def descent_updates(name, learning_rate, gs, params=None):
    factory, fixed = race.OPTIMIZERS[name]
    optimizer = factory(learning_rate, **fixed)
    params = jnp.ones(gs[0].shape) if params is None else params
    state, out = optimizer.init(params), []
    for g in gs:
        updates, state = optimizer.update(jnp.asarray(g), state, params)
        params = params + updates
        out.append(np.asarray(updates))
    return out


def test_adagrad_divides_by_the_root_of_1e3_plus_the_summed_squares():
    alpha, gs = 0.05, gradients()
    total, expected = np.zeros(gs[0].shape), []
    for g in gs:  # The page's AdaGrad: 1/√(1e-3 + Σg²) · α · g.
        total = total + g.astype(np.float64) ** 2
        expected.append(-alpha * g / np.sqrt(1e-3 + total))
    got = descent_updates("adagrad", alpha, gs)
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-12)


# float32 rounding: over 30 steps the two differ by up to 1.5e-4 relative (Nadam, in a
# coordinate whose update nearly cancels); an ε of 1e-8 instead of 1e-6 changes the small
# coordinates' updates by a factor of order 1.
UPDATE_RTOL = 1e-3

# The references are written here, not read from race.OPTIMIZERS: a change of a fixed
# argument there (Adam's ε 1e-6 → 1e-8, say) fails.
OPTAX = {
    "sgd": lambda lr: optax.sgd(lr),
    "momentum": lambda lr: optax.sgd(lr, momentum=0.9),
    "nesterov": lambda lr: optax.sgd(lr, momentum=0.9, nesterov=True),
    "rmsprop": lambda lr: optax.rmsprop(lr, decay=0.9, eps=1e-6, eps_in_sqrt=False),
    "adadelta": lambda lr: optax.adadelta(lr, rho=0.95, eps=1e-6),
    "adam": lambda lr: optax.adam(lr, eps=1e-6),
    "nadam": lambda lr: optax.nadam(lr, eps=1e-6),
    "amsgrad": lambda lr: optax.amsgrad(lr, eps=1e-6),
    "adamw": lambda lr: optax.adamw(lr, eps=1e-6, weight_decay=1e-4),
}


def test_every_optimizer_of_the_race_has_a_reference():
    assert set(OPTAX) | {"adagrad"} == set(race.OPTIMIZERS)


@pytest.mark.parametrize("name", sorted(OPTAX))
def test_optimizer_equals_optax_with_the_page_s_arguments(name):
    alpha, gs = 0.05, gradients()
    reference, params, state, expected = OPTAX[name](alpha), jnp.ones(gs[0].shape), None, []
    state = reference.init(params)
    for g in gs:
        updates, state = reference.update(jnp.asarray(g), state, params)
        params = params + updates
        expected.append(np.asarray(updates))
    got = descent_updates(name, alpha, gs)
    np.testing.assert_allclose(got, expected, rtol=UPDATE_RTOL, atol=1e-10)


def test_adam_s_epsilon_is_visible_to_these_gradients():
    """The comparison above can fail: with ε = 1e-8 Adam's steps differ from ε = 1e-6."""
    gs = gradients()
    run = lambda opt: [np.asarray(u) for u in _optax_run(opt, gs)]  # noqa: E731
    a, b = run(optax.adam(0.05, eps=1e-6)), run(optax.adam(0.05, eps=1e-8))
    assert not np.allclose(a, b, rtol=UPDATE_RTOL, atol=1e-10)


def _optax_run(optimizer, gs):
    params = jnp.ones(gs[0].shape)
    state = optimizer.init(params)
    for g in gs:
        updates, state = optimizer.update(jnp.asarray(g), state, params)
        params = params + updates
        yield updates


# ---------------------------------------------------------------------------------------
# The batches.

N = 58_976  # Training images the batches are drawn from.


def batches(seed, steps, n=N):
    return np.asarray(jax.vmap(lambda t: race._batch(seed, t, n))(jnp.arange(steps)))


def test_batches_hold_256_indices_of_the_training_images():
    b = batches(0, 200)
    assert b.shape == (200, race.BATCH) and race.BATCH == 256
    assert b.min() >= 0 and b.max() < N
    small = batches(0, 50, n=7)  # Every index 0 … n − 1 is drawn, and nothing else.
    assert set(np.unique(small)) == set(range(7))


def test_batches_are_drawn_with_replacement():
    """A batch of 256 from 58,976 with replacement holds a repeated index with probability
    1 − ∏(1 − i/n) ≈ 0.425; without replacement, never."""
    steps = 400
    p = 1 - np.prod(1 - np.arange(race.BATCH) / N)
    repeats = sum(len(np.unique(b)) < race.BATCH for b in batches(1, steps))
    sigma = math.sqrt(steps * p * (1 - p))
    assert abs(repeats - steps * p) < 4 * sigma, (repeats, steps * p)


def test_batches_are_uniform_over_the_images():
    counts = np.bincount(batches(2, 200, n=16).ravel(), minlength=16)
    expected = 200 * race.BATCH / 16
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 < 45  # 15 degrees of freedom: P(χ² > 45) ≈ 7e-5.


def test_batches_are_a_function_of_seed_and_step():
    assert np.array_equal(batches(3, 5), batches(3, 5))
    b = batches(3, 5)
    assert not np.array_equal(b[0], b[1])  # Another step, another batch.
    assert not np.array_equal(batches(3, 5), batches(4, 5))  # Another seed, other batches.


# ---------------------------------------------------------------------------------------
# The data.


def test_race_data_splits_the_training_images(data):
    images, labels = load_fashion_mnist("train", keep=False)
    images = np.asarray(images).reshape(len(images), -1)
    assert race.VALIDATION == 1024
    assert data.train.inputs.shape == (58_976, 784) and data.validation.inputs.shape == (1024, 784)
    for split in (data.train, data.validation, data.test):
        assert split.inputs.dtype == np.uint8
    # Validation: the last 1,024 training images; training: the other 58,976. Disjoint.
    np.testing.assert_array_equal(np.asarray(data.validation.inputs), images[-1024:])
    np.testing.assert_array_equal(np.asarray(data.validation.labels), labels[-1024:])
    np.testing.assert_array_equal(np.asarray(data.train.inputs), images[:-1024])
    np.testing.assert_array_equal(np.asarray(data.train.labels), labels[:-1024])
    assert data.test.inputs.shape == (10_000, 784)
    assert race.race_data(test=False).test is None


# ---------------------------------------------------------------------------------------
# The score.

T = race.THRESHOLD


@pytest.mark.parametrize("curve, expected", [
    ([1.0, 0.2, 0.1, 0.05], 2),  # The first step strictly below.
    ([1.0, 0.2, T, 0.149], 3),  # At the threshold is not below.
    ([0.1, 0.2, 0.14], 2),  # Step 0, the untrained network, never counts.
    ([1.0, np.nan, 0.1], 2),  # NaN never counts as below.
    ([1.0, 0.1, np.nan], 1),
    ([1.0, 0.2, 0.3], np.nan),  # Never below: NaN.
    ([1.0, np.nan, np.nan], np.nan),  # Overflowed: NaN.
])
def test_steps_to_target(curve, expected):
    np.testing.assert_equal(race.steps_to_target(np.array(curve)), expected)


def test_steps_to_target_keeps_the_leading_shape():
    curves = np.full((2, 3, 6), 1.0)
    curves[0, 1, 4:] = 0.1
    curves[1, 2, 1] = 0.1
    expected = np.full((2, 3), np.nan)
    expected[0, 1], expected[1, 2] = 4, 1
    np.testing.assert_equal(race.steps_to_target(curves), expected)
    np.testing.assert_equal(race.steps_to_target(curves, threshold=2.0), np.ones((2, 3)))


# ---------------------------------------------------------------------------------------
# The state.

FLOATS_PER_PARAMETER = {"sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1,
                        "adam": 2, "adadelta": 2, "nadam": 2, "adamw": 2, "amsgrad": 3}


def test_every_optimizer_has_a_state_count():
    assert set(FLOATS_PER_PARAMETER) == set(race.OPTIMIZERS)


@pytest.mark.parametrize("name", sorted(FLOATS_PER_PARAMETER))
def test_state_size_counts_the_state_pytree(name):
    params = race.initial_params(0)
    factory, fixed = race.OPTIMIZERS[name]
    state = factory(1e-3, **fixed).init(params)  # Built, not only its shapes.
    counted = sum(np.size(leaf) for leaf in jax.tree.leaves(state))
    floats, parameters = race.state_size(name)
    assert parameters == PARAMETERS
    assert floats == counted == FLOATS_PER_PARAMETER[name] * PARAMETERS + 1  # + the counter.


# ---------------------------------------------------------------------------------------
# race().


@pytest.mark.parametrize("arguments, message", [
    (("nope", [1e-3], [0], 10), "no optimizer named 'nope'"),
    (("sgd", [0.0], [0], 10), "learning rates must be positive"),
    (("sgd", [1e-3, -1e-3], [0], 10), "learning rates must be positive"),
    (("sgd", [float("nan")], [0], 10), "learning rates must be positive"),
    (("sgd", [float("inf")], [0], 10), "learning rates must be positive"),
    (("sgd", [], [0], 10), "learning rates must be positive"),
    (("sgd", [1e-3], [], 10), "seeds must be non-negative integers"),
    (("sgd", [1e-3], [0, -1], 10), "seeds must be non-negative integers"),
    (("sgd", [1e-3], [0.5], 10), "seeds must be non-negative integers"),
    (("sgd", [1e-3], [0], 7), "must be a positive multiple of chunk"),
    (("sgd", [1e-3], [0], 0), "must be a positive multiple of chunk"),
])
def test_race_rejects_bad_input(small, arguments, message):
    with pytest.raises(ValueError, match=message):
        race.race(*arguments, data=small, chunk=5, progress=False)


@functools.partial(jax.jit, static_argnames="name")
def reference_step(name, alpha, seed, params, state, t, train):
    """Step t of one run as the protocol describes it: the batch race._batch(seed, t, n) of the
    training images, the gradient of the race loss, optax's update."""
    batch = jax.tree.map(lambda a: a[race._batch(seed, t, len(train.labels))], train)
    loss, grads = jax.value_and_grad(race.race_loss)(params, batch)
    updates, state = OPTAX[name](alpha).update(grads, state, params)
    return optax.apply_updates(params, updates), state, loss


def reference_run(name, alpha, seed, steps, data):
    """One run in a plain loop: θ₀ of the seed, then ``steps`` steps; the validation loss
    before the first step and after each."""
    params = race.initial_params(seed)
    state = OPTAX[name](alpha).init(params)
    curve, losses = [float(race.race_loss(params, data.validation))], []
    for t in range(steps):
        params, state, loss = reference_step(name, jnp.float32(alpha), jnp.int32(seed), params,
                                             state, jnp.int32(t), data.train)
        losses.append(float(loss))
        curve.append(float(race.race_loss(params, data.validation)))
    return params, np.array(curve), np.array(losses)


# float32: the (2 α × 2 seeds) vmapped runs and the runs done one at a time (optax, plain
# loop) differ by up to 7e-7 relative at α = 1e-3 and 5e-6 at 3e-3 over these 10 steps
# (measured; the larger step amplifies rounding more). The tolerance leaves a margin of 10;
# another batch, step or loss changes the curve by 1e-2 or more.
CURVE_RTOL = 5e-5


@pytest.fixture(scope="module")
def adam_grid(small):
    return race.race("adam", [1e-3, 3e-3], [0, 2], 10, small, chunk=5, progress=False)


def test_race_grid_equals_runs_one_at_a_time(adam_grid, small):
    runs = adam_grid
    assert runs.validation.shape == (2, 2, 11)  # T + 1: before the first step, after each.
    assert runs.train.shape == (2, 2, 10)
    for i, alpha in enumerate((1e-3, 3e-3)):
        for j, seed in enumerate((0, 2)):
            params, curve, losses = reference_run("adam", alpha, seed, 10, small)
            np.testing.assert_allclose(runs.validation[i, j], curve, rtol=CURVE_RTOL)
            np.testing.assert_allclose(runs.train[i, j], losses, rtol=CURVE_RTOL)
            # The final measures are those of the final parameters, on whole sets.
            for split in ("train", "validation", "test"):
                batch = getattr(small, split)
                ce = float(race.cross_entropy(params, batch))
                assert runs.final[f"{split}_cross_entropy"][i, j] == pytest.approx(ce, rel=CURVE_RTOL)
                assert runs.final[f"{split}_accuracy"][i, j] == pytest.approx(
                    float(race.accuracy(params, batch)), abs=1.5 / len(batch.labels))


def test_race_curve_starts_untrained_and_learns(adam_grid, small):
    runs = adam_grid
    for j, seed in enumerate((0, 2)):
        untrained = float(race.race_loss(race.initial_params(seed), small.validation))
        np.testing.assert_allclose(runs.validation[:, j, 0], untrained, rtol=1e-6)
    assert np.all(runs.validation[..., -1] < runs.validation[..., 0])
    np.testing.assert_array_equal(runs.learning_rates, [1e-3, 3e-3])
    np.testing.assert_array_equal(runs.seeds, [0, 2])


def test_race_final_measures(adam_grid, small):
    final = adam_grid.final
    assert set(final) == {f"{s}_{m}" for s in ("train", "validation", "test")
                          for m in ("loss", "cross_entropy", "accuracy")}
    for split in ("train", "validation", "test"):
        assert final[f"{split}_loss"].shape == (2, 2)
        np.testing.assert_allclose(final[f"{split}_loss"], final[f"{split}_cross_entropy"] / 10)
        assert np.all((final[f"{split}_accuracy"] >= 0) & (final[f"{split}_accuracy"] <= 1))
    # The curve's last point and the final validation loss are the same parameters' loss.
    np.testing.assert_allclose(final["validation_loss"], adam_grid.validation[..., -1], rtol=1e-5)
    floats, parameters = race.state_size("adam")
    assert (adam_grid.state_floats, adam_grid.parameters) == (floats, parameters)
    assert adam_grid.seconds > 0 and adam_grid.compile_seconds > 0


def test_stop_below_stops_after_the_first_chunk_where_every_run_is_below(small, monkeypatch):
    small = small._replace(test=None)  # Without test images: no test measures.
    # α = 1e-12 leaves the network as it was; α = 1e-4 lowers its loss within 5 steps.
    run = functools.partial(race.race, "sgd", [1e-12, 1e-4], [0], 15, small, chunk=5,
                            progress=False)
    full = run()
    assert full.validation.shape == (2, 1, 16) and full.train.shape == (2, 1, 15)
    assert set(full.final) == {f"{s}_{m}" for s in ("train", "validation")
                               for m in ("loss", "cross_entropy", "accuracy")}
    low, high = full.validation[1, 0, 1:6].min(), full.validation[0, 0, 1:].min()
    assert low < high
    monkeypatch.setattr(race, "THRESHOLD", (low + high) / 2)  # One run below, not the other.
    assert run(stop_below=True).validation.shape == (2, 1, 16)
    monkeypatch.setattr(race, "THRESHOLD", 10.0 * high)  # Both below from step 1.
    stopped = run(stop_below=True)
    assert stopped.validation.shape == (2, 1, 6) and stopped.train.shape == (2, 1, 5)
    np.testing.assert_array_equal(stopped.validation, full.validation[..., :6])
    assert run().validation.shape == (2, 1, 16)  # Without stop_below: every step.


# -- The results file, wherever the chapter runs. ----------------------------------------------


def test_load_grid_reads_the_file_beside_the_chapter(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "race-grid.json").write_text('{"optimizers": {"sgd": {}}}')
    monkeypatch.chdir(tmp_path)
    assert race.load_grid() == {"optimizers": {"sgd": {}}}


def test_load_grid_says_what_to_do_when_the_file_is_nowhere(tmp_path, monkeypatch):
    import pooch

    def offline(url, **kwargs):
        raise ConnectionError(f"no network for {url}")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(FileNotFoundError) as error:
        race.load_grid(tmp_path / "missing.json")
    message = str(error.value)
    assert str(tmp_path / "missing.json") in message
    assert "raw.githubusercontent.com" in message and "book/data/race-grid.json" in message
    assert "experiments/race_grid.py" in message


def test_load_grid_downloads_from_the_installed_revision(tmp_path, monkeypatch):
    """On Colab, descent is installed with pip from the repository at a commit: that commit's file."""
    import pooch
    from importlib import metadata

    commit = "0123456789abcdef0123456789abcdef01234567"

    class Installed:
        metadata = {"Project-URL": None}

        def read_text(self, name):
            return json.dumps({"url": "https://github.com/someone/descent",
                               "vcs_info": {"vcs": "git", "commit_id": commit}})

    class Metadata(dict):
        def get_all(self, key):
            return ["Homepage, https://github.com/someone/descent"] if key == "Project-URL" else None

    Installed.metadata = Metadata()
    monkeypatch.setattr(metadata, "distribution", lambda name: Installed())
    asked = []

    def retrieve(url, **kwargs):
        asked.append(url)
        path = tmp_path / "downloaded.json"
        path.write_text('{"optimizers": {}}')
        return str(path)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    assert race.load_grid(tmp_path / "missing.json") == {"optimizers": {}}
    assert asked == [f"https://raw.githubusercontent.com/someone/descent/{commit}/book/data/race-grid.json"]
