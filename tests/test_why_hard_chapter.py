"""The chapter "Why deep-learning optimization is hard": its claims, its figures, its checks.

The measurements of the ill-conditioning section rest on three facts tested here on small
problems against trusted references: the minibatch decomposition
E‖g_B‖² = ‖∇L‖² + tr Σ/B (against sampling), the Rayleigh quotient gᵀHg/gᵀg as a lower
bound on λ_max, and ``descent.curvature.sharpness`` (against ``numpy.linalg.eigvalsh`` of
the full Hessian). The rest reads the notebook's source: the corrections of issue 9 stay
made, every figure is shown with a description at a readable size, every glued number is
glued.
"""

import ast
import math
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import nbformat
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import descent.exercises.why_hard as hard
from descent.curvature import curvature_along_gradient, sharpness
from descent.gradient_noise import gradient_statistics, minibatch_gradient
from descent.problems import MLP

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "why-hard.ipynb"


# ---------------------------------------------------------------------------------------
# The mathematics of the measurements.


def _regression():
    """A least-squares problem with N = 64 examples and 3 parameters."""
    x = jax.random.normal(jax.random.key(0), (64, 3))
    y = x @ jnp.array([1.0, -2.0, 0.5]) + jax.random.normal(jax.random.key(1), (64,))
    loss = lambda w, batch: 0.5 * jnp.mean((batch[0] @ w - batch[1]) ** 2)  # noqa: E731
    return loss, jnp.zeros(3), (x, y)


@pytest.mark.parametrize("replace", [True, False])
def test_minibatch_norm_is_full_gradient_plus_noise(replace):
    """E‖g_B‖² = ‖∇L‖² + tr Σ/B, times (N − B)/(N − 1) on tr Σ/B without replacement."""
    loss, w, data = _regression()
    n, batch_size, samples = 64, 8, 40_000
    stats = gradient_statistics(loss, w, data)
    keys = jax.random.split(jax.random.key(2), samples)
    if replace:
        indices = jax.vmap(lambda k: jax.random.randint(k, (batch_size,), 0, n))(keys)
    else:
        indices = jax.vmap(lambda k: jax.random.permutation(k, n)[:batch_size])(keys)
    norms = jax.vmap(lambda i: jnp.sum(minibatch_gradient(loss, w, data, i) ** 2))(indices)
    noise = float(stats.variance) / batch_size * (1 if replace else (n - batch_size) / (n - 1))
    predicted = float(stats.mean @ stats.mean) + noise
    standard_error = float(jnp.std(norms)) / math.sqrt(samples)
    assert abs(float(jnp.mean(norms)) - predicted) < 4 * standard_error
    # The noise term is not negligible here: leaving it out is far off.
    assert abs(float(jnp.mean(norms)) - float(stats.mean @ stats.mean)) > 20 * standard_error


def test_total_variance_from_squared_norms():
    """tr Σ = mean ‖∇ℓᵢ − ∇L‖² = mean ‖∇ℓᵢ‖² − ‖∇L‖², the form the chapter computes."""
    loss, w, data = _regression()
    w = jnp.array([0.3, 0.1, -0.2])
    per_example = jax.vmap(lambda x, y: jax.grad(loss)(w, (x[None], y[None])))(*data)
    g = per_example.mean(axis=0)
    spread = float(jnp.mean(jnp.sum((per_example - g) ** 2, axis=1)))
    squares = float(jnp.mean(jnp.sum(per_example**2, axis=1)) - g @ g)
    assert squares == pytest.approx(spread, rel=1e-5)
    assert float(gradient_statistics(loss, w, data).variance) == pytest.approx(spread, rel=1e-5)


def _rotated_quadratic(eigenvalues, seed=0):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(len(eigenvalues),) * 2))
    hessian = jnp.asarray(q @ np.diag(eigenvalues) @ q.T, dtype=jnp.float32)
    return (lambda theta: 0.5 * theta @ hessian @ theta), hessian  # noqa: E731


def test_sharpness_finds_the_largest_eigenvalue():
    loss, _ = _rotated_quadratic([0.5, 2.0, 3.0, 10.0])
    estimate = sharpness(loss, jnp.ones(4), key=jax.random.key(0), iterations=60)
    assert float(estimate) == pytest.approx(10.0, rel=1e-4)


@pytest.mark.parametrize("iterations", [0, 1, 2, 5])
def test_sharpness_is_a_lower_bound_after_any_number_of_iterations(iterations):
    loss, _ = _rotated_quadratic([0.5, 2.0, 9.0, 10.0])
    estimate = float(sharpness(loss, jnp.ones(4), key=jax.random.key(1),
                               iterations=iterations))
    assert 0.5 - 1e-4 <= estimate <= 10.0 + 1e-4


def test_sharpness_goes_to_the_eigenvalue_of_largest_modulus():
    loss, _ = _rotated_quadratic([1.0, 3.0, -20.0])  # A saddle steeper downwards.
    estimate = sharpness(loss, jnp.ones(3), key=jax.random.key(0), iterations=60)
    assert float(estimate) == pytest.approx(-20.0, rel=1e-4)


def test_sharpness_and_rayleigh_quotient_on_a_network_against_the_full_hessian():
    """On a tiny network: power iteration gives λ_max of jax.hessian; gᵀHg/gᵀg lies below."""
    model = MLP(hidden=(4,), classes=3)
    x = jax.random.normal(jax.random.key(0), (20, 5))
    labels = jax.random.randint(jax.random.key(1), (20,), 0, 3)
    params = model.init(jax.random.key(2), x)["params"]

    def loss(p, batch):
        logits = model.apply({"params": p}, batch[0])
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(len(batch[1])), batch[1]])

    flat, unravel = ravel_pytree(params)
    hessian = np.asarray(jax.hessian(lambda f: loss(unravel(f), (x, labels)))(flat))
    eigenvalues = np.linalg.eigvalsh((hessian + hessian.T) / 2)
    assert eigenvalues[-1] > abs(eigenvalues[0])  # λ_max is the largest in modulus.
    estimate = float(sharpness(loss, params, (x, labels), key=jax.random.key(3),
                               iterations=300))
    assert estimate == pytest.approx(eigenvalues[-1], rel=1e-3)
    gg, gHg = curvature_along_gradient(loss, params, (x, labels))
    assert eigenvalues[0] - 1e-5 <= float(gHg / gg) <= eigenvalues[-1] + 1e-5


# ---------------------------------------------------------------------------------------
# The chapter's text and figures.


@pytest.fixture(scope="module")
def notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def _markdown(notebook):
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def _code(notebook):
    return [c for c in notebook.cells if c.cell_type == "code"]


@pytest.mark.parametrize("phrase", [
    "more than halves",  # The loss falls by about 40 % after step 500, not more than half.
    "the only cures",  # Iterate averaging and interpolation are other ways.
    "each a different minimum",  # The trained point is not a minimum.
    "after 500 steps",  # A checkpoint chosen for its low gradient norm.
    "because the curvature grows",  # The minibatch norm grows with the noise tr Σ/B.
    "a later chapter",  # No promise of chapters that do not exist yet.
    "next chapter",
])
def test_corrected_claims_stay_corrected(notebook, phrase):
    text = _markdown(notebook) + "\n".join(c.source for c in _code(notebook))
    assert phrase not in text


def test_the_rebuilt_section_states_its_limits(notebook):
    text = " ".join(_markdown(notebook).split())
    assert "lower bound" in text  # gᵀHg/gᵀg and the power iteration bound λ_max below.
    assert re.search(r"full-batch gradient descent[^.]*2/\\alpha", text), \
        "the edge-of-stability result must be said to be for full-batch gradient descent"
    assert "minibatch SGD" in text
    assert r"\operatorname{tr}\Sigma/B" in text or r"\frac{\operatorname{tr}\Sigma}{B}" in text
    assert "is not a minimum" in text
    assert "averaging" in text.lower() and "interpolat" in text


def test_sigma_means_noise_only(notebook):
    """σ is the noise scale (Σ = σ²I); the logistic function is not called σ."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for sentence in re.split(r"(?<=\.)\s", cell.source):
            assert not ("logistic" in sentence and r"\sigma" in sentence), sentence


def test_total_variance_is_defined_where_first_used(notebook):
    cells = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    first = next(s for s in cells if r"\operatorname{tr}\Sigma" in s)
    assert "total variance" in first


def test_every_glued_name_is_glued_and_used(notebook):
    used = set(re.findall(r"\{glue:text\}`([^`]+)`", _markdown(notebook)))
    glued = set(re.findall(r'glue\(\s*"([^"]+)"', "\n".join(c.source for c in _code(notebook))))
    assert used <= glued, used - glued
    assert glued <= used, glued - used


def _figure_cells(notebook):
    return [c for c in _code(notebook)
            if "plt.subplots" in c.source or "plt.figure" in c.source]


def test_every_static_figure_ends_with_show_and_a_description(notebook):
    figures = _figure_cells(notebook)
    assert len(figures) >= 7
    for cell in figures:
        last = ast.parse(cell.source).body[-1]
        assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call), cell.id
        call = last.value
        assert getattr(call.func, "id", None) == "show", cell.id
        assert any(k.arg == "alt" for k in call.keywords), cell.id


def test_figures_are_readable_panel_by_panel(notebook):
    """Each panel at most about 5.5 in wide (single panels 6.5 in); no text below 10 pt."""
    for cell in _figure_cells(notebook):
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "fontsize":
                assert ast.literal_eval(node.value) >= 10, cell.id
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "subplots"):
                continue
            size = next(ast.literal_eval(k.value) for k in node.keywords if k.arg == "figsize")
            columns = ast.literal_eval(node.args[1]) if len(node.args) > 1 else 1
            limit = 6.5 if columns == 1 else 5.5
            assert size[0] / columns <= limit, (cell.id, size, columns)


# ---------------------------------------------------------------------------------------
# The exercise checks tell the right formula from the likely wrong ones.


@pytest.mark.parametrize("check, kwargs, answer, says", [
    (hard.check_saddle_escape_steps, dict(learning_rate=0.1, y0=1e-6), 75, "one step later"),
    (hard.check_saddle_escape_steps, dict(learning_rate=0.1, y0=1e-6), 70, "ln(1 + 2α) ≈ 2α"),
    (hard.check_saddle_escape_steps, dict(learning_rate=0.1, y0=1e-6), 145, "1 + α"),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 1], H=[[1, 0], [0, 10]]), 0.2,
     "2/λ_max"),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 1], H=[[1, 0], [0, 10]]), 0.1,
     "1/λ_max"),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 1], H=[[1, 0], [0, 10]]), 5.5,
     "inverse"),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 1], H=[[1, 0], [0, 10]]), 4 / 11,
     "half of it"),
    (hard.check_equivalent_networks, dict(hidden=[3, 2], sign_flips=True), 12, "orderings only"),
    (hard.check_equivalent_networks, dict(hidden=[3, 2], sign_flips=True), 56, "multiply"),
    (hard.check_noise_floor, dict(eigenvalues=[1, 10], learning_rate=0.05, noise=2), 0.1,
     "small-α approximation"),
    (hard.check_noise_floor, dict(eigenvalues=[1, 10], learning_rate=0.05, noise=2), 0.236,
     "twice the loss"),
    (hard.check_noise_floor, dict(eigenvalues=[1, 10], learning_rate=0.05, noise=2), 0.1159,
     "E‖θ‖²"),
    (hard.check_noise_floor, dict(eigenvalues=[1, 10], learning_rate=0.05, noise=2), 0.059,
     "σ²"),
])
def test_checks_name_the_likely_slips(check, kwargs, answer, says):
    verdict = check(**kwargs, answer=answer)
    assert verdict.right is False and repr(verdict).startswith("Not quite: that")
    assert says in repr(verdict)


@pytest.mark.parametrize("check, kwargs, right", [
    (hard.check_saddle_escape_steps, dict(learning_rate=0.1, y0=1e-6), 76),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 1], H=[[1, 0], [0, 10]]), 0.182),
    (hard.check_equivalent_networks, dict(hidden=[3, 2], sign_flips=True), 384),
    (hard.check_noise_floor, dict(eigenvalues=[1, 10], learning_rate=0.05, noise=2), 0.118),
    (hard.check_noise_floor, dict(eigenvalues=[1, 10], learning_rate=0.05, noise=1), 0.0295),
])
def test_right_answers_are_not_taken_for_slips(check, kwargs, right):
    assert check(**kwargs, answer=right).right is True
