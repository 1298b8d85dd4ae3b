"""The chapter "Why deep-learning optimization is hard": its claims, its figures, its checks.

The measurements of the ill-conditioning section rest on four facts tested here on small
problems against trusted references: the minibatch decomposition
E‖g_B‖² = ‖∇L‖² + tr Σ/B (against sampling), the second-order term of a minibatch step,
E g_BᵀHg_B = gᵀHg + tr(HΣ)/B (against sampling), the Rayleigh quotient gᵀHg/gᵀg as a lower
bound on λ_max, and ``descent.curvature.sharpness`` (against ``numpy.linalg.eigvalsh`` of
the full Hessian). The rest reads the notebook's source: the corrections of issue 9 and of
the line-by-line review stay made, the figures' descriptions name their line styles, and
every exercise's numbers tell the right formula from the likely wrong ones. What every
chapter must be (glued numbers, figures shown with a description at a readable size,
exercises quoting their checks as the cells call them) is checked in test_notebooks.py.
"""

import ast
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import chapters
import descent.exercises.why_hard as hard
from chapters import check_call as _exercise_call
from chapters import code_cells as _code
from chapters import figure_cells as _figure_cells
from chapters import flat as _flat
from chapters import markdown as _markdown
from descent.curvature import curvature_along_gradient, sharpness
from descent.gradient_noise import gradient_statistics, minibatch_gradient
from descent.problems import MLP


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


@pytest.mark.parametrize("replace", [True, False])
def test_minibatch_second_order_term_includes_the_noise(replace):
    """E g_BᵀHg_B = gᵀHg + tr(HΣ)/B (times (N − B)/(N − 1) without replacement).

    The second-order term of a minibatch step, ½α² g_BᵀHg_B, is on average larger than the
    exact gradient's ½α² gᵀHg: the chapter's reading of the slow SGD progress rests on it.
    """
    loss, w, data = _regression()
    n, batch_size, samples = 64, 8, 40_000
    w = jnp.array([0.3, 0.1, -0.2])
    hessian = jax.hessian(loss)(w, data)
    per_example = jax.vmap(lambda x, y: jax.grad(loss)(w, (x[None], y[None])))(*data)
    g = per_example.mean(axis=0)
    covariance = (per_example - g).T @ (per_example - g) / n  # Σ, per example.
    keys = jax.random.split(jax.random.key(3), samples)
    if replace:
        indices = jax.vmap(lambda k: jax.random.randint(k, (batch_size,), 0, n))(keys)
    else:
        indices = jax.vmap(lambda k: jax.random.permutation(k, n)[:batch_size])(keys)
    quadratic = jax.vmap(lambda i: (lambda gb: gb @ hessian @ gb)(
        minibatch_gradient(loss, w, data, i)))(indices)
    factor = 1 if replace else (n - batch_size) / (n - 1)
    predicted = float(g @ hessian @ g + factor * jnp.trace(hessian @ covariance) / batch_size)
    standard_error = float(jnp.std(quadratic)) / math.sqrt(samples)
    assert abs(float(jnp.mean(quadratic)) - predicted) < 4 * standard_error
    assert abs(float(jnp.mean(quadratic)) - float(g @ hessian @ g)) > 20 * standard_error


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
    return chapters.read("why-hard")


@pytest.mark.parametrize("phrase", [
    "more than halves",  # The loss falls by about 40 % after step 500, not more than half.
    "the only cures",  # Iterate averaging and interpolation are other ways.
    "each a different minimum",  # The trained point is not a minimum.
    "after 500 steps",  # A checkpoint chosen for its low gradient norm.
    "because the curvature grows",  # The minibatch norm grows with the noise tr Σ/B.
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


def test_seven_static_figures(notebook):
    """Each shown with a description at a readable size: test_notebooks.py."""
    assert len(_figure_cells(notebook)) >= 7


# ---------------------------------------------------------------------------------------
# The exercise checks tell the right formula from the likely wrong ones.


@pytest.mark.parametrize("check, kwargs, answer, says", [
    (hard.check_saddle_escape_steps, dict(learning_rate=0.1, y0=1e-6), 75, "one step later"),
    (hard.check_saddle_escape_steps, dict(learning_rate=0.1, y0=1e-6), 70, "ln(1 + 2α) ≈ 2α"),
    (hard.check_saddle_escape_steps, dict(learning_rate=0.1, y0=1e-6), 145, "1 + α"),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 2], H=[[1, 0], [0, 10]]), 0.2,
     "2/λ_max"),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 2], H=[[1, 0], [0, 10]]), 0.1,
     "1/λ_max"),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 2], H=[[1, 0], [0, 10]]), 8.2,
     "inverse"),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 2], H=[[1, 0], [0, 10]]), 0.244,
     "half of it"),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 2], H=[[1, 0], [0, 10]]), 0.182,
     "2/(λ_min + λ_max)"),
    (hard.check_equivalent_networks, dict(hidden=[3, 2], sign_flips=True), 12, "orderings only"),
    (hard.check_equivalent_networks, dict(hidden=[3, 2], sign_flips=True), 56, "multiply"),
    (hard.check_noise_floor, dict(eigenvalues=[2, 10], learning_rate=0.05, noise=2), 0.1,
     "small-α approximation"),
    (hard.check_noise_floor, dict(eigenvalues=[2, 10], learning_rate=0.05, noise=2), 0.239,
     "twice the loss"),
    (hard.check_noise_floor, dict(eigenvalues=[2, 10], learning_rate=0.05, noise=2), 0.066,
     "E‖θ‖²"),
    (hard.check_noise_floor, dict(eigenvalues=[2, 10], learning_rate=0.05, noise=2), 0.0596,
     "σ²"),
])
def test_checks_name_the_likely_slips(check, kwargs, answer, says):
    verdict = check(**kwargs, answer=answer)
    assert verdict.right is False and repr(verdict).startswith("Not quite: that")
    assert says in repr(verdict)


@pytest.mark.parametrize("check, kwargs, right", [
    (hard.check_saddle_escape_steps, dict(learning_rate=0.1, y0=1e-6), 76),
    (hard.check_optimal_step_along_gradient, dict(g=[1, 2], H=[[1, 0], [0, 10]]), 0.122),
    # Here α* = 2/(λ_min + λ_max): the slip of that name must not reject the right answer.
    (hard.check_optimal_step_along_gradient, dict(g=[1, 1], H=[[1, 0], [0, 10]]), 0.182),
    (hard.check_equivalent_networks, dict(hidden=[3, 2], sign_flips=True), 384),
    (hard.check_noise_floor, dict(eigenvalues=[2, 10], learning_rate=0.05, noise=2), 0.119),
    (hard.check_noise_floor, dict(eigenvalues=[2, 10], learning_rate=0.05, noise=1), 0.0298),
])
def test_right_answers_are_not_taken_for_slips(check, kwargs, right):
    assert check(**kwargs, answer=right).right is True


@pytest.mark.parametrize("name", ["check_optimal_step_along_gradient", "check_noise_floor",
                                  "check_saddle_escape_steps", "check_equivalent_networks"])
def test_each_exercise_has_its_check_cell(notebook, name):
    """Called as the text quotes it: test_notebooks.py."""
    _exercise_call(notebook, name)  # Raises if no cell calls it.


def test_optimal_step_exercise_tells_the_formulas_apart(notebook):
    """α* = gᵀg/gᵀHg must differ from 2/(λ_min + λ_max), 1/λ_max, 2/λ_max, 1/λ_min by far.

    With g = (1, 1) and H = diag(1, 10), α* = 2/11 = 2/(λ_min + λ_max): the check accepted
    the best constant rate of gd-quadratic, a formula that ignores g.
    """
    kwargs = _exercise_call(notebook, "check_optimal_step_along_gradient")
    right = hard.optimal_step_along_gradient(**kwargs)
    lo, top = np.linalg.eigvalsh(np.asarray(kwargs["H"], dtype=float))[[0, -1]]
    for wrong in (2 / (lo + top), 1 / top, 2 / top, 1 / lo):
        assert abs(wrong / right - 1) > 10 * hard.RTOL, (wrong, right)
    verdict = hard.check_optimal_step_along_gradient(**kwargs, answer=2 / (lo + top))
    assert verdict.right is False and "2/(λ_min + λ_max)" in repr(verdict)
    assert hard.check_optimal_step_along_gradient(**kwargs, answer=round(right, 3)).right


def test_noise_floor_exercise_tells_the_formulas_apart(notebook):
    """Every likely slip lies far outside the check's 1 % tolerance (E‖θ‖² was 1.8 % off)."""
    kwargs = _exercise_call(notebook, "check_noise_floor")
    lam = np.asarray(kwargs["eigenvalues"], dtype=float)
    alpha, sigma = kwargs["learning_rate"], kwargs["noise"]
    right = hard.noise_floor(lam, alpha, sigma)
    slips = {
        "small-α approximation": lam.size * alpha * sigma**2 / 4,
        "twice the loss": 2 * right,
        "E‖θ‖²": float(np.sum(alpha * sigma**2 / (lam * (2 - alpha * lam)))),
        "σ²": hard.noise_floor(lam, alpha, math.sqrt(sigma)),
    }
    for says, wrong in slips.items():
        assert abs(wrong / right - 1) > 0.05, (says, wrong, right)
        verdict = hard.check_noise_floor(**kwargs, answer=float(f"{wrong:.3g}"))
        assert verdict.right is False and says in repr(verdict), (says, verdict)
    assert hard.check_noise_floor(**kwargs, answer=float(f"{right:.3g}")).right


# ---------------------------------------------------------------------------------------
# The line-by-line review: each correction stays made.


@pytest.mark.parametrize("phrase", [
    "drawn independently",  # train draws B distinct images, without replacement.
    r"N = 2\,000",  # N is the number of training examples, 60 000.
    "Every step stays safe",  # Said of exact-gradient steps; SGD's noise takes back the gain.
    r"d\alpha\sigma^2",  # The dimension is n.
    "the gradient norm does not shrink",  # The full gradient's does (1.70 → 0.48).
    "points along directions of curvature",  # A Rayleigh quotient is an average curvature.
    "a few steps remove it",  # The measurement says within 20 steps.
    r"L(\theta_t; B_t)",  # B is the batch size; the batch is \mathcal B_t.
    "because their sums are taken in another order",  # Only the permuted network's reason.
    "The curvature grows",  # λ_max levels off after 1 500 steps.
    "near λ_max",  # 21.5 of 32.9.
])
def test_review_corrections_stay_made(notebook, phrase):
    text = _flat(_markdown(notebook) + "\n".join(c.source for c in _code(notebook)))
    assert phrase not in text


def test_the_noise_formula_names_the_sampling_and_the_set(notebook):
    text = _flat(_markdown(notebook))
    assert "distinct images" in text and r"\frac{N-B}{N-1}" in text
    assert "{glue:text}`hard_N`" in text and "{glue:text}`hard_wor_factor`" in text
    assert "whole training set" in text
    code = "\n".join(c.source for c in _code(notebook))
    assert "n_train = len(data.labels)" in code  # N from the data SGD draws from.
    assert 'train(mlp, "sgd", data,' in code
    assert "(n_train - batch_size) / (n_train - 1)" in code


def test_sgd_steps_are_not_called_safe_by_the_exact_gradient_proposition(notebook):
    text = _flat(_markdown(notebook))
    assert r"\operatorname{tr}(H\Sigma)/B" in text
    assert "A full-batch step from any checkpoint would be safe" in text
    assert "{glue:text}`hard_sgd_drop_last`" in text and "{glue:text}`hard_calm_drop`" in text


def test_the_decomposition_is_checked_on_the_windows_the_text_names(notebook):
    text = _flat(_markdown(notebook))
    assert "Over the 100 steps around each checkpoint after the first (the 50 before it at " \
           "the last)" in text
    code = "\n".join(c.source for c in _code(notebook))
    assert "norms[max(s - 50, 0):s + 50]" in code


def test_the_summary_and_heading_name_the_minibatch_gradient(notebook):
    text = _flat(_markdown(notebook))
    heading = next(line for line in _markdown(notebook).splitlines()
                   if line.startswith("### Ill-conditioning in a real run"))
    assert heading.endswith("the minibatch gradient does not shrink"), heading
    assert "the *minibatch* gradient norm grows while the loss falls" in text


def test_the_curvature_is_said_to_level_off(notebook):
    text = _flat(_markdown(notebook))
    assert "levels off" in text and "{glue:text}`hard_sharp_level_step`" in text
    assert "{glue:text}`hard_rayleigh_peak_step`" in text
    # Not "rises from 2.5 to 21.5": the Rayleigh quotient peaks at step 3 500 first.
    assert not re.search(r"hard_rayleigh_start`[^.]{0,40}to \{glue:text\}`hard_rayleigh_end",
                         text)


def test_the_noise_floor_proof_does_not_reuse_adams_v(notebook):
    text = _markdown(notebook)
    start = text.index(":label: prop-hard-noise-floor")
    proof = text[text.index("{prf:proof}", start):]
    proof = proof[:proof.index("```", 3)]
    assert "v_" not in proof and "v =" not in proof


def test_noise_floor_covariance_is_tied_to_the_per_example_one(notebook):
    text = _flat(_markdown(notebook))
    start = text.index(":label: prop-hard-noise-floor")
    statement = text[start:text.index("```", start)]
    assert "per-example" in statement and r"\Sigma/B" in statement
    assert r"(times $(N-B)/(N-1)$ when the $B$ examples are distinct)" in text


def test_other_review_wording(notebook):
    text = _flat(_markdown(notebook))
    assert "average curvature of {glue:text}`hard_calm_r100`" in text
    assert "much as in the model of {prf:ref}`prop-hard-noise-floor`" in text
    assert "within 20 steps" in text
    assert "the order of the minibatches" in text
    assert r"$\mathcal B_t$" in text


def _alt(cell):
    call = ast.parse(cell.source).body[-1].value
    alt = next(k.value for k in call.keywords if k.arg == "alt")
    return ast.unparse(alt)


@pytest.mark.parametrize("style, word", [('ls="--"', "dashed"), ('ls=":"', "dotted")])
def test_line_styles_are_named_in_the_description(notebook, style, word):
    """A figure that draws dashed or dotted lines says which ones in its alt text."""
    for cell in _figure_cells(notebook):
        if style in cell.source:
            assert word in _alt(cell), cell.id


def test_the_saddle_figure_says_which_run_is_dashed(notebook):
    cell = next(c for c in _figure_cells(notebook) if "Stalling near the saddle" in c.source)
    assert re.search(r"title=f\"Stalling near the saddle[^\"]*dashed: with noise", cell.source)
