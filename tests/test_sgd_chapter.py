"""The chapter "SGD as stochastic approximation": its code, its figures, its exercise checks.

The closed forms it uses are tested against simulation in test_theory.py. Here: the
chapter's own simulator (run from the notebook's source) agrees with them, its stability
measurement agrees with the second-moment map of descent.theory, and every exercise check
accepts the solution's answer and names the likely slips. What every chapter must be (glued
numbers, figures shown with a description at a readable size, exercises quoting their
checks as the cells call them) is checked in test_notebooks.py.
"""

from __future__ import annotations

import ast
import doctest
import re

import numpy as np
import pytest

import descent.exercises.sgd as ex
import chapters
from descent import theory


@pytest.fixture(scope="module")
def notebook():
    return chapters.read("sgd")


# ---------------------------------------------------------------------------------------
# The notebook's form.


def test_cross_references_point_back_to_the_stability_proposition(notebook):
    text = chapters.markdown(notebook)
    assert "{prf:ref}`prop-lvo-sgd-stability`" in text
    assert "{doc}`learning-vs-optimization`" in text
    code = chapters.cell(notebook, "sgd-stability").source
    assert "theory.sgd_mean_square_stability_limit" in code  # Reused, not re-derived.


def test_explorer_cell(notebook):
    cell = chapters.cell(notebook, "sgd-explorer")
    assert cell.source.lstrip().startswith("#") is False  # Committed uncommented.
    tree = ast.parse(cell.source)
    assert isinstance(tree.body[0], ast.ImportFrom)
    assert tree.body[0].module == "descent.explorers"
    last = tree.body[-1]
    assert isinstance(last, ast.Expr) and last.value.func.id == "NoisyQuadraticExplorer"


def test_seven_static_figures(notebook):
    """Each shown with a description at a readable size: test_notebooks.py."""
    assert len(chapters.figure_cells(notebook)) >= 7


# ---------------------------------------------------------------------------------------
# The chapter's code, run from its source.


def _namespace(notebook, *cell_ids):
    """Execute the import cell (without IPython magics) and the given cells."""
    imports = chapters.cell(notebook, "sgd-imports").source
    source = "\n".join(line for line in imports.splitlines()
                       if not line.startswith("%") and "limit_memory()" not in line)
    namespace: dict = {}
    exec(compile(source, "sgd-imports", "exec"), namespace)
    for cell_id in cell_ids:
        exec(compile(chapters.cell(notebook, cell_id).source, cell_id, "exec"), namespace)
    return namespace


def test_the_chapters_simulator_agrees_with_the_exact_moments(notebook):
    ns = _namespace(notebook, "sgd-simulator")
    lam = np.array([1.0, 10.0])
    R = np.asarray(ns["descent"].problems.rotation(np.pi / 6))
    problem = ns["quadratic"](lam, angle=np.pi / 6, init=R @ np.array([3.0, 2.0]))
    noise = theory.noisy_quadratic_noise_variances(lam, 1.0, 2)
    T, runs, burn = 60, 8000, 10
    rates = 0.15 * 20 / (np.arange(T) + 20.0)  # A decaying schedule, to test any α_t.
    sim = ns["sgd_runs"](problem, noise, rates, key=ns["jax"].random.key(5), runs=runs,
                         average_from=burn)
    mean, var = theory.noisy_quadratic_moments(lam, noise, rates, [3.0, 2.0])
    weights = (np.arange(T + 1) >= burn).astype(float)
    a_mean, a_var = theory.averaged_iterate_moments(lam, noise, rates, [3.0, 2.0],
                                                    weights=weights)
    assert sim["mean"].shape == (T + 1, 2) and sim["paths"].shape == (T + 1, 3, 2)
    for k in (1, 5, 20, 60):
        se = np.sqrt(var[k] / runs)
        assert np.all(np.abs(sim["mean"][k] - mean[k]) < 4.5 * se), k
        assert np.all(np.abs(sim["var"][k] / var[k] - 1) < 4.5 * np.sqrt(2 / runs)), k
    assert np.all(np.isnan(sim["avg_mean"][:burn]))
    for k in (burn, 30, 60):
        se = np.sqrt(a_var[k] / runs)
        assert np.all(np.abs(sim["avg_mean"][k] - a_mean[k]) < 4.5 * se), k
        assert np.all(np.abs(sim["avg_var"][k] / a_var[k] - 1) < 4.5 * np.sqrt(2 / runs)), k


def test_the_chapters_stability_measurement_follows_the_second_moment_map(notebook):
    """The measured factor per step is the spectral radius of T_α (replace=True)."""
    source = chapters.cell(notebook, "sgd-stability").source
    head = source[: source.index("sizes = ")]  # The data and mean_square_factor only.
    ns = _namespace(notebook)
    exec(compile(head, "sgd-stability", "exec"), ns)
    X = ns["X_ls"]
    alphas = np.array([0.2, 0.35, 0.5])
    factor = ns["mean_square_factor"](alphas, 2, batches=4000, steps=16)
    radius = [np.max(np.abs(np.linalg.eigvals(theory.sgd_second_moment_map(X, a, 2))))
              for a in alphas]
    np.testing.assert_allclose(factor, radius, rtol=0.03)


# ---------------------------------------------------------------------------------------
# The exercises and their checks.


def test_doctests():
    result = doctest.testmod(ex)
    assert result.failed == 0 and result.attempted >= 3


@pytest.mark.parametrize("check, kwargs, right", [
    (ex.check_noise_ball_variance, dict(learning_rate=0.1, eigenvalue=2.0, noise_variance=0.5),
     0.0139),
    (ex.check_robbins_monro_threshold, dict(strong_convexity=0.1), 5),
    (ex.check_robbins_monro_exponent, dict(c=1.0, strong_convexity=0.1), 0.2),
    (ex.check_robbins_monro_exponent, dict(c=10.0, strong_convexity=0.1), 1),
    (ex.check_floor_halving_batch_size, dict(batch_size=8), 16),
    (ex.check_floor_halving_learning_rate, dict(learning_rate=0.5, eigenvalue=2.0), 1 / 3),
    (ex.check_floor_halving_learning_rate, dict(learning_rate=0.5, eigenvalue=2.0), 0.3333),
    (ex.check_averaged_variance, dict(eigenvalue=0.5, noise_variance=1.0, steps=1000), 0.004),
    (ex.check_best_bound_constant, dict(distance=3.0, gradient_bound=2.0), 1.5),
])
def test_right_answers_are_accepted(check, kwargs, right):
    verdict = check(**kwargs, answer=right)
    assert verdict.right is True, repr(verdict)


@pytest.mark.parametrize("check, kwargs, answer, says", [
    (ex.check_noise_ball_variance, dict(learning_rate=0.1, eigenvalue=2.0, noise_variance=0.5),
     0.0125, "small-α approximation"),
    (ex.check_noise_ball_variance, dict(learning_rate=0.1, eigenvalue=2.0, noise_variance=0.5),
     0.139, "factor α is missing"),
    (ex.check_noise_ball_variance, dict(learning_rate=0.1, eigenvalue=2.0, noise_variance=0.5),
     0.005, "a single step"),
    (ex.check_robbins_monro_threshold, dict(strong_convexity=0.1), 10, "sufficient condition"),
    (ex.check_robbins_monro_threshold, dict(strong_convexity=0.1), 20, "too large"),
    (ex.check_robbins_monro_exponent, dict(c=1.0, strong_convexity=0.1), 0.1, "of the mean"),
    (ex.check_robbins_monro_exponent, dict(c=1.0, strong_convexity=0.1), 1, "only when"),
    (ex.check_floor_halving_batch_size, dict(batch_size=8), 32, "standard error"),
    (ex.check_floor_halving_learning_rate, dict(learning_rate=0.5, eigenvalue=2.0), 0.25,
     "first order"),
    (ex.check_averaged_variance, dict(eigenvalue=0.5, noise_variance=1.0, steps=1000), 0.002,
     "divided by λ"),
    (ex.check_averaged_variance, dict(eigenvalue=0.5, noise_variance=1.0, steps=1000), 4e-6,
     "correlated"),
    (ex.check_best_bound_constant, dict(distance=3.0, gradient_bound=2.0), 2 / 3, "upside down"),
    (ex.check_best_bound_constant, dict(distance=3.0, gradient_bound=2.0), 2.25, "balances"),
])
def test_checks_name_the_likely_slips(check, kwargs, answer, says):
    verdict = check(**kwargs, answer=answer)
    assert verdict.right is False and repr(verdict).startswith("Not quite:")
    assert says in repr(verdict)


def test_wrong_answers_are_rejected_and_none_asks_for_one():
    assert ex.check_noise_ball_variance(0.1, 2.0, 0.5, 0.02).right is False
    assert ex.check_robbins_monro_threshold(0.1, 7).right is False
    assert ex.check_averaged_variance(0.5, 1.0, 1000, None).right is None
    with pytest.raises(ValueError, match="αλ"):
        ex.check_noise_ball_variance(1.0, 2.0, 0.5, 0.1)
    with pytest.raises(ValueError, match="positive"):
        ex.check_best_bound_constant(-1.0, 2.0, 0.5)


CHECKS = [name for name in ex.__all__ if name.startswith("check_")]


@pytest.mark.parametrize("name", CHECKS)
def test_every_check_is_imported_and_called(notebook, name):
    """Called as the text quotes it: test_notebooks.py."""
    chapters.check_call(notebook, name)  # Raises if no cell calls it.
    assert name in chapters.cell(notebook, "sgd-imports").source


def test_at_least_four_exercises_each_with_a_solution(notebook):
    text = chapters.markdown(notebook)
    labels = re.findall(r"```\{exercise\}\n:label: (\S+)", text)
    assert len(labels) >= 4
    for label in labels:
        assert re.search(r"```\{solution\} " + re.escape(label) + r"\n:class: dropdown", text)


@pytest.mark.parametrize("name, stated", [
    ("check_noise_ball_variance", "0.0139"),
    ("check_robbins_monro_threshold", "= 5$"),
    ("check_robbins_monro_exponent", "= 0.2$"),
    ("check_floor_halving_batch_size", "$B = 16$"),
    ("check_floor_halving_learning_rate", "= 1/3$"),
    ("check_averaged_variance", "= 0.004$"),
    ("check_best_bound_constant", "c = D/G = 1.5$"),
])
def test_the_solutions_state_what_the_checks_accept(notebook, name, stated):
    """Each solution's number is in its text, and its check accepts it."""
    assert stated in chapters.markdown(notebook), stated
    value = re.search(r"(\d+(?:\.\d+)?(?:/\d+)?)\$?$", stated).group(1)
    number = eval(value)  # "1/3" or "0.0139".
    check = getattr(ex, name)
    assert check(**chapters.check_call(notebook, name), answer=number).right is True
