"""The explorers in-process: moving a slider redraws exactly the run of descent.runner, names
divergence on the figure, never recompiles, never raises; and the static version is a
working, self-contained scrubber."""

from __future__ import annotations

import doctest
import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import descent.explorers
import descent.scrubber
import descent.runner
from descent.explorers import OPTIMIZERS, Explorer, LossCurveExplorer, QuadraticExplorer
from descent.problems import quadratic, rosenbrock, soft_label_classifier
from descent.runner import run


@pytest.fixture(scope="module")
def explorer():
    return QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=0.1, steps=50)


def reset(explorer, **values):
    defaults = dict(optimizer="gd", learning_rate=0.1, momentum=0.0, b1=0.9, b2=0.999, lambda1=1.0,
                    lambda2=6.0, saddle=False, angle=0.0, steps=50)
    for name, value in {**defaults, **values}.items():
        explorer._controls[name].value = value


def test_doctests():
    for module in (descent.explorers, descent.scrubber):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("optimizer", "factory", "extra"),
    [("gd", "sgd", {}), ("momentum", "momentum", {"momentum": 0.7}),
     ("adam", "adam", {"b1": 0.7, "b2": 0.99})],
)
def test_trajectory_is_the_runners(explorer, optimizer, factory, extra):
    reset(explorer, optimizer=optimizer, learning_rate=0.2, momentum=0.7, b1=0.7, b2=0.99, lambda1=2.0,
          angle=30.0, steps=40)
    problem = quadratic((2.0, 6.0), angle=np.radians(30.0), init=(9.5, -1.0))
    expected = run(problem, factory, steps=40, learning_rate=0.2, **extra)
    line = explorer.artists["trajectory"]
    np.testing.assert_allclose(np.column_stack(line.get_data()), expected.trajectory, rtol=1e-5, atol=1e-6)
    loss = explorer.artists["loss"].get_data()[1]
    L0 = float(problem.loss(problem.init))
    np.testing.assert_allclose(loss * L0, expected.losses, rtol=1e-5, atol=1e-9)


def test_each_slider_changes_the_figure(explorer):
    reset(explorer, momentum=0.3)  # β is unused by gradient descent: its slider is disabled.
    assert explorer._controls["momentum"].disabled
    for name, value in [("optimizer", "momentum"), ("learning_rate", 0.25), ("momentum", 0.5),
                        ("lambda1", 3.0), ("lambda2", 2.0), ("saddle", True), ("angle", 45.0), ("steps", 20),
                        ("saddle", False), ("optimizer", "adam"), ("b1", 0.5), ("b2", 0.9)]:
        before = (explorer.image, np.column_stack(explorer.artists["trajectory"].get_data()).copy())
        explorer._controls[name].value = value
        after = (explorer.image, np.column_stack(explorer.artists["trajectory"].get_data()))
        assert after[0] != before[0], f"moving {name} did not change the image"
        assert before[1].shape != after[1].shape or not np.allclose(before[1], after[1], equal_nan=True), name
    reset(explorer)


def test_divergence_is_named_on_the_figure(explorer):
    reset(explorer, learning_rate=2.0)
    assert re.fullmatch(r"diverged at step \d+: α = 2 > 2/λ_max = 0\.333, the error grows ×11 per step; "
                        r"float32 overflow at step \d+", explorer.message), explorer.message
    figure_texts = [t.get_text() for t in explorer.figure.texts]
    assert explorer.message in figure_texts
    # It diverged at the first step from which L(θ_t) stays above L(θ₀), and overflowed later.
    result = run(quadratic((1.0, 6.0), init=(9.5, -1.0)), "sgd", steps=50, learning_rate=2.0)
    assert result.losses[1] > result.losses[0] and explorer.message.startswith("diverged at step 1:")
    assert explorer.message.endswith(f"overflow at step {result.diverged_at}")
    reset(explorer, learning_rate=0.4)  # Unstable and finite: L(θ_t) > L(θ₀) from step 5 on.
    assert explorer.message == "diverged at step 5: α = 0.4 > 2/λ_max = 0.333, the error grows ×1.4 per step"
    reset(explorer, learning_rate=0.4, steps=4)  # Not yet past L(θ₀): unstable, no step to name.
    assert explorer.message == "α = 0.4 > 2/λ_max = 0.333: the error grows ×1.4 per step"
    reset(explorer, learning_rate=0.1)
    assert explorer.message == ""


def test_rates_predicted_and_measured(explorer):
    reset(explorer, learning_rate=2 / 7)  # The optimal step for λ = (1, 6): rate 5/7.
    assert "predicted 0.714, measured 0.714" in explorer.info
    assert "2/λ_max = 0.333" in explorer.info and "2/(λ_min+λ_max) = 0.286" in explorer.info
    reset(explorer, optimizer="momentum", learning_rate=0.3, momentum=0.5)
    assert re.search(r"predicted (\S+), measured (\S+)", explorer.info)
    predicted, measured = map(float, re.search(r"predicted (\S+), measured (\S+)", explorer.info).groups())
    assert measured == pytest.approx(predicted, rel=0.1)
    reset(explorer, optimizer="adam")
    assert "no closed form for adam" in explorer.info


def test_newton_step_lands_on_the_minimum(explorer):
    reset(explorer, optimizer="preconditioned (Q⁻¹)", learning_rate=1.0, angle=30.0)
    trajectory = np.column_stack(explorer.artists["trajectory"].get_data())
    np.testing.assert_allclose(trajectory[1], 0.0, atol=1e-5)
    reset(explorer)


def test_no_recompilation_when_sliders_move(explorer):
    for optimizer in OPTIMIZERS:  # Compile each loop once.
        reset(explorer, optimizer=optimizer, angle=10.0)
    compiled = descent.runner._run._cache_size()
    rng = np.random.default_rng(0)
    for optimizer in OPTIMIZERS:
        explorer._controls["optimizer"].value = optimizer
        for _ in range(2):
            explorer._controls["learning_rate"].value = float(10 ** rng.uniform(-3, 0))
            explorer._controls["momentum"].value = float(rng.uniform(0, 0.99))
            explorer._controls["b1"].value = float(rng.uniform(0, 0.99))
            explorer._controls["b2"].value = float(rng.uniform(0, 0.999))
            explorer._controls["lambda1"].value = float(10 ** rng.uniform(-2, 2))
            explorer._controls["lambda2"].value = float(10 ** rng.uniform(-2, 2))
            explorer._controls["angle"].value = float(rng.uniform(1, 179))
            explorer._controls["steps"].value = int(rng.integers(1, 300))
    assert descent.runner._run._cache_size() == compiled
    reset(explorer)


def test_an_exception_in_the_callback_is_shown_not_swallowed(explorer, monkeypatch):
    def broken(state=None):
        raise RuntimeError("something broke on purpose")

    monkeypatch.setattr(explorer, "run", broken)
    explorer._controls["learning_rate"].value = 0.123  # Must not raise.
    assert "RuntimeError: something broke on purpose" in explorer.message
    assert "something broke on purpose" in explorer._messages.value
    assert "traceback" in explorer._messages.value
    monkeypatch.undo()
    explorer._controls["learning_rate"].value = 0.1
    assert explorer.message == "" and explorer._messages.value == ""


def test_the_diagonal_preconditioner_explains_a_zero_diagonal(explorer):
    reset(explorer, optimizer="preconditioned (diagonal)", lambda1=1.0, lambda2=1.0, saddle=True, angle=45.0)
    assert "Qᵢᵢ ≠ 0" in explorer.message and "Qᵢᵢ ≠ 0" in explorer._messages.value
    reset(explorer)


@settings(max_examples=30, deadline=None)
@given(
    optimizer=st.sampled_from(OPTIMIZERS),
    log_lr=st.floats(-3, 1),
    momentum=st.floats(0, 0.99),
    b1=st.floats(0, 0.99),
    b2=st.floats(0, 0.999),
    log_l1=st.floats(-2, 2),
    log_l2=st.floats(-2, 2),
    saddle=st.booleans(),
    angle=st.floats(0, 180),
    steps=st.integers(1, 300),
)
def test_every_slider_over_its_whole_range(explorer, optimizer, log_lr, momentum, b1, b2, log_l1, log_l2,
                                           saddle, angle, steps):
    values = dict(optimizer=optimizer, learning_rate=10**log_lr, momentum=momentum, b1=b1, b2=b2,
                  lambda1=10**log_l1, lambda2=10**log_l2, saddle=saddle, angle=angle, steps=steps)
    for name, value in values.items():
        explorer._controls[name].value = value  # Never raises.
    assert explorer.image[:3] == b"\xff\xd8\xff"
    if explorer._messages.value:  # The one case no run can take, explained.
        assert optimizer == "preconditioned (diagonal)" and "Qᵢᵢ ≠ 0" in explorer.message
        return
    trajectory = np.column_stack(explorer.artists["trajectory"].get_data())
    assert len(trajectory) == explorer._controls["steps"].value + 1
    if not np.all(np.isfinite(trajectory)):  # Up (L → +∞) or, at a saddle, down (L → −∞).
        assert re.match(r"(diverged|ran off to infinity) at step \d+", explorer.message), explorer.message
    if saddle:
        assert "λ₂ < 0" in explorer.message


def frames_of(html: str) -> list[str]:
    return json.loads(re.search(r"var frames = (\[.*?\]);", html, re.S).group(1))


@pytest.mark.parametrize(("main", "optimizer"), [("learning_rate", "gd"), ("momentum", "momentum"),
                                               ("lambda2", "gd")])
def test_static_version(main, optimizer):
    explorer = QuadraticExplorer(main=main, optimizer=optimizer, sliders=["learning_rate", "eigenvalues"])
    image = explorer.image
    html = explorer.static_html()
    frames = frames_of(html)
    assert len(frames) >= 30 and len(set(frames)) >= 20
    assert all(frame.startswith("data:image/png;base64,") for frame in frames)
    assert html.count('<input type="range"') == 1
    assert "Binder or Colab" in html
    assert not re.search(r"<script[^>]+src=", html)
    assert "http" not in re.sub(r"data:image/\w+;base64,[A-Za-z0-9+/=]+", "", html)  # Nothing fetched.
    assert len(html.encode()) <= 1.5e6, len(html.encode())
    assert explorer.image == image  # The live figure is as it was.
    assert set(explorer.sliders) == {"learning_rate", "lambda1", "lambda2", "saddle"}


def test_scrubber_ids_are_unique_per_instance():
    pixel = descent.scrubber.encode(np.zeros((2, 2, 4), np.uint8), format="png")
    make = lambda: descent.scrubber.scrubber_html(pixel, [pixel, pixel], ["a", "b"], 0, (2, 2), "α", "note", "alt")
    first, second = (set(re.findall(r'id="([^"]+)"', make())) for _ in range(2))
    assert len(first) == 4 and first.isdisjoint(second)


def test_display_bundle_has_widget_html_and_text(explorer):
    bundle = explorer._repr_mimebundle_()
    assert set(bundle) >= {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"}
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id


def test_explorer_races_optimizers_on_rosenbrock():
    problem = rosenbrock()
    explorer = Explorer(problem, {"gd": {"learning_rate": 1e-3},
                                  "adam, β₁ = 0": {"optimizer": "adam", "learning_rate": 0.05, "b1": 0.0}},
                        steps=100)
    explorer.sliders["gd"].value = 2e-3
    expected = run(problem, "sgd", steps=100, learning_rate=2e-3)
    np.testing.assert_allclose(np.column_stack(explorer.artists["gd trajectory"].get_data()),
                               expected.trajectory, rtol=1e-5)
    explorer.sliders["adam, β₁ = 0"].value = 0.1
    expected = run(problem, "adam", steps=100, learning_rate=0.1, b1=0.0)
    np.testing.assert_allclose(explorer.artists["adam, β₁ = 0 loss"].get_data()[1], expected.losses, rtol=1e-5)
    explorer.sliders["gd"].value = 0.1  # Far too large for Rosenbrock.
    assert re.search(r"gd diverged at step \d+", explorer.message)
    html = explorer.static_html()
    assert len(frames_of(html)) >= 30 and len(html.encode()) <= 1.5e6


def test_loss_curve_explorer_draws_one_curve_per_target():
    targets = [(0.0, 1.0), (0.3, 0.7)]
    explorer = LossCurveExplorer(targets=targets, steps=100)
    explorer.sliders["b1"].value = 0.5
    explorer.sliders["learning_rate"].value = 0.2
    for target in targets:
        expected = run(soft_label_classifier(target=target), "adam", steps=100, learning_rate=0.2, b1=0.5)
        label = "target (" + ", ".join(f"{v:g}" for v in target) + ")"
        np.testing.assert_allclose(explorer.artists[f"{label} loss"].get_data()[1], expected.losses, rtol=1e-5)
    explorer.sliders["learning_rate"].value = 10.0
    assert explorer._messages.value == ""
    html = explorer.static_html()
    assert len(frames_of(html)) >= 30 and len(html.encode()) <= 1.5e6


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="eigenvalues"):
        QuadraticExplorer(eigenvalues=(-1.0, 2.0))
    with pytest.raises(ValueError, match="no slider named"):
        QuadraticExplorer(sliders=["learnign_rate"])
    with pytest.raises(ValueError, match="not a 2-D problem"):
        Explorer(soft_label_classifier())


def test_static_note_names_the_controls_only_a_kernel_can_move():
    page = QuadraticExplorer(sliders=["learning_rate", "lambda1"]).static_html(frames=3)
    assert "Binder or Colab" in page and "To move the other controls (λ₁)" in page
    alone = QuadraticExplorer(sliders=["learning_rate"]).static_html(frames=3)
    assert "To run it with values of your own" in alone


def test_running_off_a_saddle_is_not_called_divergence():
    from descent.problems import saddle

    explorer = Explorer(saddle(), {"momentum": {"learning_rate": 0.05, "momentum": 0.9}}, steps=300)
    assert re.fullmatch(r"momentum ran off to infinity at step \d+ \(L is unbounded below\)",
                        explorer.message), explorer.message


def test_a_bounded_problem_without_a_closed_form_minimum_still_diverges():
    from descent.problems import cliff

    explorer = Explorer(cliff(), {"gd": {"learning_rate": 5.0}}, steps=50)
    assert explorer.message.startswith("gd diverged at step")
    assert "unbounded" not in explorer.message
