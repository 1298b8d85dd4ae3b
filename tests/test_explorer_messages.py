"""What the explorers compute and say (issue 9, "What the explorers compute and say").

Each test builds an explorer the way a chapter does, moves a slider the way the reader
does (setting ``value`` runs the same callback as the frontend), and reads what the
figure says; then it reads the same message off the static version's frames, which the
book's HTML shows when no kernel runs.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from descent.explorers import Explorer, QuadraticExplorer
from descent.problems import quadratic, saddle
from descent.runner import run

TINY = float(np.finfo(np.float32).tiny)  # The smallest normal float32.


def static_frames(explorer, frames: int = 40) -> list[tuple[str, str, str]]:
    """(label, message, info) of every frame of the static version, in order.

    The static page is a background and one overlay per value of the main slider; each
    overlay is rendered right after the explorer draws that value, so the texts on the
    figure at that moment are the texts on that frame.
    """
    canvas, seen = explorer._canvas, []
    render = canvas.overlay_png

    def record():
        seen.append((explorer.message, explorer.info))
        return render()

    canvas.overlay_png = record
    try:
        state = explorer._state()
        _, labels, _, _ = explorer._main_values(state, frames)
        explorer.static_html(frames=frames)
    finally:
        del canvas.overlay_png
    assert len(seen) == len(labels)
    return [(label, message, info) for label, (message, info) in zip(labels, seen)]


def first_step_above(losses: np.ndarray) -> int | None:
    """The first t ≥ 1 from which L(θ_s) > L(θ₀) for every later s (NaN counts as above)."""
    above = ~(losses <= losses[0])
    above[0] = False
    if not above[-1]:
        return None
    return int(len(above) - np.argmin(above[::-1]))


# -- 1. An optimizer that has a β has its β control. ----------------------------------------


def preconditioning_explorer():
    """The explorer of the chapter "Preconditioning", as its cell builds it."""
    return QuadraticExplorer(
        eigenvalues=(1.0, 20.0), angle=0.0, init=(9.5, -1.0),
        optimizer="preconditioned (diagonal)", learning_rate=1.0, steps=50, main="angle",
        sliders=["optimizer", "angle", "learning_rate", "lambda1", "lambda2"],
    )


@pytest.fixture(scope="module")
def preconditioning():
    return preconditioning_explorer()


def trajectory_of(explorer) -> np.ndarray:
    return np.column_stack(explorer.artists["trajectory"].get_data())


@pytest.mark.parametrize(("optimizer", "betas"), [
    ("momentum", {"momentum": 0.9}),
    ("nesterov", {"momentum": 0.9}),
    ("adam", {"b1": 0.9, "b2": 0.999}),
])
def test_the_optimizer_menu_brings_the_beta_controls_with_their_defaults(preconditioning, optimizer, betas):
    explorer = preconditioning
    explorer.sliders["optimizer"].value = optimizer
    explorer.sliders["learning_rate"].value = 0.05
    problem = quadratic((1.0, 20.0), angle=0.0, init=(9.5, -1.0))
    expected = run(problem, optimizer, steps=50, learning_rate=0.05, **betas)
    np.testing.assert_allclose(trajectory_of(explorer), expected.trajectory, rtol=1e-5, atol=1e-6)
    gd = run(problem, "sgd", steps=50, learning_rate=0.05).trajectory
    assert not np.allclose(trajectory_of(explorer), gd)  # Not gradient descent in disguise.
    for name, value in betas.items():  # Each β has a control the reader sees, and it applies.
        control = explorer.sliders[name]
        assert control.value == value and not control.disabled
        assert control.layout.display != "none"
        before = trajectory_of(explorer).copy()
        control.value = 0.5
        assert not np.allclose(trajectory_of(explorer), before), name
        control.value = value
    symbol = {"momentum": "β", "b1": "β₁", "b2": "β₂"}
    for name, value in betas.items():
        assert f"{symbol[name]} = {value:g}" in explorer.info
    explorer.sliders["optimizer"].value = "preconditioned (diagonal)"
    for name in betas:  # Jacobi has no β: its controls are out of the way.
        assert explorer.sliders[name].disabled and explorer.sliders[name].layout.display == "none"
    explorer.sliders["learning_rate"].value = 1.0


def test_momentum_picked_from_the_menu_is_not_gradient_descent():
    explorer = QuadraticExplorer(sliders=["optimizer", "learning_rate"])
    explorer.sliders["optimizer"].value = "momentum"
    assert explorer.sliders["momentum"].value == 0.9
    assert "β = 0.9" in explorer.info


# -- 2. The race says from the run which way it blew up. -----------------------------------


WHY_HARD_RACE = {
    "gd": {"learning_rate": 0.05},
    "momentum": {"learning_rate": 0.05, "momentum": 0.9},
    "adam": {"learning_rate": 0.05},
}


def test_a_run_that_blows_up_along_the_stable_direction_diverged():
    explorer = Explorer(saddle(), optimizers=WHY_HARD_RACE, steps=300)
    explorer.sliders["gd"].value = 4.77
    result = explorer.run("gd")
    finite = result.losses[np.isfinite(result.losses)]
    assert finite[-1] > 1e30  # L → +∞: along x, the stable direction, not down the saddle.
    gd = next(part for part in explorer.message.split("; ") if part.startswith("gd "))
    assert gd.startswith(f"gd diverged at step {first_step_above(result.losses)} (α = 4.77")
    assert "unbounded" not in gd
    # Momentum at its own α runs off down the saddle: L → −∞.
    assert re.search(r"momentum ran off to infinity at step \d+ \(L is unbounded below\)", explorer.message)
    explorer.sliders["gd"].value = 1.5  # Now y outgrows x: the escape, L → −∞.
    assert re.search(r"gd ran off to infinity at step \d+ \(L is unbounded below\)", explorer.message)


def test_the_static_race_says_the_same():
    explorer = Explorer(saddle(), optimizers={"gd": {"learning_rate": 1.0}}, steps=300)
    frames = static_frames(explorer)
    said = {}
    for label, message, _ in frames:
        alpha = float(label.split("= ")[1])
        lr_run = explorer.run("gd", alpha)
        finite = lr_run.losses[np.isfinite(lr_run.losses)]
        if lr_run.diverged_at is None:
            assert message == "", (label, message)
        elif finite[-1] > 0:
            assert message.startswith("gd diverged at step"), (label, message)
            said["diverged"] = True
        else:
            assert message.startswith("gd ran off to infinity at step"), (label, message)
            said["ran off"] = True
    assert said == {"diverged": True, "ran off": True}


# -- 3. One step to the minimum, and float32 underflow, named. -----------------------------


def test_one_step_to_the_minimum_is_named(preconditioning):
    explorer = preconditioning
    explorer.sliders["optimizer"].value = "preconditioned (diagonal)"
    explorer.sliders["learning_rate"].value = 1.0
    explorer.sliders["angle"].value = 0.0
    losses = explorer.artists["loss"].get_data()[1]
    assert losses[0] == 1 and np.all(losses[1:] == 0)  # Nothing a log axis can draw after t = 0.
    assert "reached the minimum in 1 step" in explorer.info
    assert "measured 0" not in explorer.info
    zeros = explorer.artists["loss zeros"].get_data()
    np.testing.assert_array_equal(zeros[0], np.arange(1, 51))  # Marked at the bottom of the panel.
    explorer.sliders["angle"].value = 30.0  # Jacobi is no longer exact: no claim.
    assert "reached the minimum" not in explorer.info
    assert len(explorer.artists["loss zeros"].get_data()[0]) == 0
    explorer.sliders["optimizer"].value = "preconditioned (Q⁻¹)"  # Newton: one step, to rounding.
    assert "reached the minimum in 1 step" in explorer.info
    explorer.sliders["optimizer"].value = "preconditioned (diagonal)"
    explorer.sliders["angle"].value = 0.0


def test_the_static_frames_name_the_one_step_convergence():
    frames = static_frames(preconditioning_explorer())
    for label, _, info in frames:
        angle = float(label.rstrip("°"))
        if angle in (0.0, 180.0):
            assert "reached the minimum in 1 step" in info, (label, info)
        assert "measured 0 " not in info + " " and "measured 0\n" not in info, (label, info)


def test_float32_underflow_is_named_and_the_rate_still_measured():
    explorer = QuadraticExplorer(eigenvalues=(1.0, 1.0), learning_rate=0.5, steps=300)
    losses = run(quadratic((1.0, 1.0), init=(9.5, -1.0)), "sgd", steps=300, learning_rate=0.5).losses
    last = int(np.nonzero(losses >= TINY)[0][-1])
    assert losses[-1] == 0  # The loss underflows, though the rate is 0.5 throughout.
    assert f"below float32 resolution after step {last}" in explorer.info
    assert "predicted 0.5, measured 0.5" in explorer.info


# -- 4. "Try it" on A first descent: the message names the step where the run diverged. -----


def two_bowls():
    """The explorer of A first descent's "Try it", as its cell builds it."""
    return QuadraticExplorer(eigenvalues=(1.0, 5.0), learning_rate=0.3, steps=40, sliders=["learning_rate"])


def test_the_two_bowls_name_the_step_where_the_run_diverged():
    explorer = two_bowls()
    problem = quadratic((1.0, 5.0), init=(9.5, -1.0))
    for alpha in (0.45, 0.5, 1.0, 2.0):
        explorer.sliders["learning_rate"].value = alpha
        losses = run(problem, "sgd", steps=40, learning_rate=alpha).losses
        step = first_step_above(losses)
        assert step is not None
        assert explorer.message.startswith(f"diverged at step {step}: α = {alpha:g} > 2/λ_max = 0.4"), \
            explorer.message
    explorer.sliders["learning_rate"].value = 0.3
    assert explorer.message == ""


def test_the_static_two_bowls_name_the_step_on_every_diverging_frame():
    explorer = two_bowls()
    problem = quadratic((1.0, 5.0), init=(9.5, -1.0))
    frames = static_frames(explorer)
    named = 0
    for label, message, _ in frames:
        alpha = float(label.split("= ")[1])
        step = first_step_above(run(problem, "sgd", steps=40, learning_rate=alpha).losses)
        if step is not None:
            assert message.startswith(f"diverged at step {step}: "), (label, message)
            named += 1
        elif alpha < 0.4:
            assert message == "", (label, message)
        else:  # Unstable, but L(θ_t) has not yet climbed past L(θ₀) within T: no step to name.
            assert message.startswith(f"α = {alpha:.3g} > 2/λ_max = 0.4: the error grows"), (label, message)
    assert named >= 2  # The static slider ends at 1.3 × 2/λ_max: its last frames diverge.
