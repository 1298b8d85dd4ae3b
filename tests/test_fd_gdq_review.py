"""Issue 9, the line-by-line review of *A first descent* and *Gradient descent on a
quadratic*: the figure shows what its caption says, the prose claims what the runs show,
and the corrected sentences stay corrected."""

from __future__ import annotations

import math
import re

import matplotlib
import numpy as np
import pytest
from test_explorer_messages import say

import chapters
from chapters import glue_roles as _glue_names

matplotlib.use("Agg")

FIRST_DESCENT = chapters.read("first-descent")
GD_QUADRATIC = chapters.read("gd-quadratic")


def _markdown(notebook) -> str:
    """The chapter's markdown, with every run of whitespace made one space."""
    return chapters.flat(chapters.markdown(notebook))


# First descent: the code and the closed form, as the figure draws them.

@pytest.fixture(scope="module")
def first_descent_figure():
    """Run the chapter's cells up to its first figure; return its namespace and figure."""
    import matplotlib.pyplot as plt

    namespace: dict = {}
    source = "\n".join(line for line in chapters.cell(FIRST_DESCENT, "1d7ec739").source.splitlines()
                       if not line.startswith("%"))  # No IPython magics outside a kernel.
    exec(source, namespace)
    glued, shown = {}, {}
    namespace["glue"] = lambda name, value, display=True: glued.__setitem__(name, value)
    namespace["show"] = lambda fig, alt: shown.update(fig=fig, alt=alt)
    for cell_id in ["aa1915e7", "45b7df57", "b68f65b0"]:
        exec(chapters.cell(FIRST_DESCENT, cell_id).source, namespace)
    yield namespace, glued, shown
    plt.close(shown["fig"])


def test_the_dashed_closed_form_is_not_hidden_under_a_solid_line(first_descent_figure):
    namespace, _, shown = first_descent_figure
    ax_dist = shown["fig"].axes[1]
    runs, closed_form = namespace["runs"], namespace["closed_form"]
    lines = [l for l in ax_dist.get_lines() if len(l.get_ydata()) == len(namespace["steps"])]
    for a in namespace["learning_rates"]:
        code = [l for l in lines if l.get_marker() == "o"
                and np.allclose(l.get_ydata(), np.abs(runs[a]))]
        theory = [l for l in lines if l.get_linestyle() == "--"
                  and np.allclose(l.get_ydata(), np.abs(closed_form[a]), rtol=1e-4)]
        assert len(code) == 1 and len(theory) == 1, a
        assert code[0].get_linestyle() == "None", (
            f"α = {a}: the code is drawn with a line, which hides the dashed theory")
        assert code[0].get_color() == theory[0].get_color()
    proxy = [l for l in ax_dist.get_lines() if l.get_label() == "the code (dots)"]
    assert proxy and proxy[0].get_linestyle() == "None"
    assert "lying on the dashed" not in shown["alt"] and "as dots" in shown["alt"]


def test_the_prose_says_the_dashed_theory_runs_through_the_dots():
    text = _markdown(FIRST_DESCENT)
    assert "lies under the dots" not in text
    assert "the dashed theory runs through the dots" in text
    assert "the dots are the code and the dashed lines the theory" in text


def test_the_gap_between_code_and_closed_form_is_glued(first_descent_figure):
    namespace, glued, _ = first_descent_figure
    text = _markdown(FIRST_DESCENT)
    assert "agree to float32 precision" not in text
    names = _glue_names(text)
    for name in ["fd_worst_gap", "fd_worst_relative", "fd_float32_eps", "fd_steps"]:
        assert name in names and name in glued, name
    assert glued["fd_worst_gap"] == f"{namespace['worst_gap']:.1e}"
    assert glued["fd_steps"] == len(namespace["steps"]) - 1
    # The gap is float32 rounding: a few dozen units of float32 over the run, no more.
    assert namespace["worst_relative"] < 100 * np.finfo(np.float32).eps
    # The site's test reads λ and 2/λ as the first two glued values of the page.
    assert names[:2] == ["fd_curvature", "fd_limit"]


def test_a_factor_multiplies_the_error_and_its_size_the_distance():
    fd, gdq = _markdown(FIRST_DESCENT), _markdown(GD_QUADRATIC)
    assert r"multiplies the distance to the minimum by $1 - \alpha\lambda$" not in fd
    assert r"the distance to the minimum by $|1 - \alpha\lambda|$" in fd
    assert r"and the distance to the minimum by $|1 - \alpha\lambda|$" in fd  # Summary.
    assert "the distance to the minimum is multiplied by" not in gdq
    assert r"its distance to the minimum by $|1 - \alpha\lambda_i|$" in gdq


def test_many_directions_are_said_to_be_quadratic():
    assert "On a quadratic loss with many directions" in _markdown(FIRST_DESCENT)
    assert ("any gradient-descent run that converges to a minimum where $H$ is positive "
            "definite" in _markdown(GD_QUADRATIC))


# First descent: the explorer's message says what the prose says it says.

@pytest.mark.browser
def test_try_it_promises_a_step_only_once_the_loss_is_back_above_its_start(module_page):
    import jax

    from descent.explorers import QuadraticExplorer
    from descent.runner import run

    page = module_page  # The explorers' module in a blank page: status() says what is shown.

    text = _markdown(FIRST_DESCENT)
    assert "the message that names the step where the run diverged" not in text
    assert "once the loss has climbed back above its start" in text

    cell = chapters.cell(FIRST_DESCENT, "fd-quadratic-explorer").source
    eigenvalues = tuple(float(v) for v in re.search(r"eigenvalues = \(([^)]*)\)", cell)
                        .group(1).split(","))
    steps = int(re.search(r"steps=(\d+)", cell).group(1))
    explorer = QuadraticExplorer(eigenvalues=eigenvalues, learning_rate=0.3, steps=steps,
                                 sliders=["learning_rate"])
    limit = 2 / max(eigenvalues)
    named = unnamed = 0
    for a in limit * np.array([1.005, 1.0125, 1.025, 1.05]):
        message = say(page, explorer, learning_rate=float(a))[0]["alert"]
        assert "grows" in message and "2/λ_max" in message, (a, message)  # Always reported.
        with jax.enable_x64(True):  # As the explorer runs it.
            losses = run(explorer.problem(), "sgd", steps, learning_rate=float(a)).losses
        match = re.match(r"diverged at step (\d+)", message)
        if match:  # The step named is the one from which L stays above L(θ₀).
            k = int(match.group(1))
            named += 1
            assert np.all(losses[k:] > losses[0]) and losses[k - 1] <= losses[0], (a, k)
        else:
            unnamed += 1
            assert losses[-1] <= losses[0], a
    assert named and unnamed  # Both cases happen just above the limit: the prose needs both.


# First descent: the classes the prose calls close are the ones the picture shows close.

def test_pullover_shirt_and_coat_are_closer_to_each_other_than_to_the_t_shirt():
    import descent

    try:
        train = descent.data.load_fashion_mnist("train")
    except Exception as error:  # noqa: BLE001 - no data on this machine.
        pytest.skip(f"Fashion-MNIST not available: {error}")
    names = list(descent.data.CLASS_NAMES)
    shape = {}
    for name in ["T-shirt/top", "Pullover", "Shirt", "Coat"]:
        first = int(np.flatnonzero(train.labels == names.index(name))[0])
        shape[name] = train.images[first] > 32  # The silhouette of the first image.

    def overlap(a, b):  # Intersection over union of two silhouettes.
        return (shape[a] & shape[b]).sum() / (shape[a] | shape[b]).sum()

    close = ["Pullover", "Shirt", "Coat"]
    alike = min(overlap(a, b) for a in close for b in close if a < b)
    assert max(overlap("T-shirt/top", b) for b in close) < alike

    text = _markdown(FIRST_DESCENT)
    assert "(shirt, T-shirt and pullover)" not in text
    assert "the pullover, the shirt and the coat are all long-sleeved" in text
    alt = chapters.cell(FIRST_DESCENT, "24e6b7c9").source
    assert "The pullover, the shirt and the" in alt and "coat are close in shape" in alt


# Gradient descent on a quadratic.

def test_steep_component_nearly_vanishes_near_one_over_lambda_max():
    text = _markdown(GD_QUADRATIC)
    assert "the steep component vanishes in one step" not in text
    assert r"nearly vanishes in one step (exactly, at $\alpha = 1/\lambda_{\max}$)" in text


def test_the_safe_rate_is_slower_because_its_factor_is_closer_to_one():
    text = _markdown(GD_QUADRATIC)
    assert "further from zero" not in text
    assert r"$1 - 1/\kappa$ is closer to one than" in text


def test_the_counts_only_approach_slope_one():
    # At small κ the counts of α = 1/λ_max climb faster than κ: "lie on" would be false.
    def count(kappa, rate, accuracy=1e-4):
        return math.log(accuracy) / math.log(rate)

    slope = (math.log(count(5, 1 - 1 / 5) / count(2, 1 - 1 / 2)) / math.log(5 / 2))
    assert slope > 1.15
    slope_large = (math.log(count(1000, 1 - 1 / 1000) / count(500, 1 - 1 / 500))
                   / math.log(2))
    assert abs(slope_large - 1) < 0.01
    text = _markdown(GD_QUADRATIC)
    assert "lie on straight lines of slope one" not in text
    assert "approach straight lines of slope one as $\\kappa$ grows" in text
    alt = chapters.cell(GD_QUADRATIC, "322e401e").source
    assert "All lie on straight lines" not in alt and "approach straight lines" in alt


def test_steps_exercise_solution_states_the_right_numbers():
    text = _markdown(GD_QUADRATIC)
    solution = text[text.index("{solution} ex-gd-quadratic-steps"):]
    solution = solution[:solution.index("````")]
    exact = 6 * math.log(10) / math.log(2)
    estimate = 3 / 2 * 6 * math.log(10)
    assert f"{exact:.2f}" in solution and f"{estimate:.1f}" in solution
    assert f"${math.ceil(exact)}$ steps" in solution
    assert f"{math.log(2):.3f}" in solution and f"{2 / 3:.3f}" in solution
    rate = 99 / 101  # κ = 100, the same δ.
    exact_100 = 6 * math.log(10) / math.log(1 / rate)
    estimate_100 = 50 * 6 * math.log(10)
    assert f"{exact_100:.2f}" in solution and f"{estimate_100:.2f}" in solution
    assert f"${estimate_100 - exact_100:.2f}$ of a step" in solution


def test_lucky_start_solution_quotes_the_float32_run():
    from descent.problems import quadratic
    from descent.runner import run

    text = _markdown(GD_QUADRATIC)
    solution = text[text.index("{solution} ex-gd-quadratic-lucky"):]
    solution = solution[:solution.index("````")]
    assert "after a few hundred steps the run explodes" not in solution
    for name in ["quad_lucky_low", "quad_lucky_low_step", "quad_lucky_back",
                 "quad_lucky_overflow"]:
        assert name in _glue_names(solution), name
    cell = chapters.cell(GD_QUADRATIC, "gdq-lucky-float32").source
    for name in ["quad_lucky_low", "quad_lucky_back", "quad_lucky_overflow"]:
        assert f'glue("{name}"' in cell, name

    # What the solution says, on the chapter's problem: down first, then back, then gone.
    problem = quadratic(eigenvalues=(1.0, 6.0), angle=np.pi / 16, init=(9.5, -1.0))
    lucky = run(problem, "sgd", 3000, init=9.5 * problem.eigenvectors[:, 0],
                learning_rate=0.34)
    distance = np.linalg.norm(lucky.trajectory, axis=1)
    assert lucky.diverged_at is not None
    low = int(np.argmin(distance[: lucky.diverged_at]))
    back = 1 + int(np.argmax(distance[1:] >= distance[0]))
    assert distance[low] < 1e-5 * distance[0]
    assert low < 100 < back < 1000 < lucky.diverged_at
