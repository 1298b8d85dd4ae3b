"""descent.figures: the HTML figure every chapter shows, wide and stacked for phones."""

from __future__ import annotations

import base64
import doctest
import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import descent.figures  # noqa: E402
from descent.figures import PHONE_WIDTH, figure_bundle, show  # noqa: E402

IMG = re.compile(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)" width="(\d+)" height="(\d+)" loading="lazy">')


def images(markup: str) -> list[tuple[Image.Image, str, int, int]]:
    return [(Image.open(io.BytesIO(base64.b64decode(data))), alt, int(w), int(h))
            for data, alt, w, h in IMG.findall(markup)]


def wide_figure(panels: int = 3, colorbar: bool = False):
    fig, axes = plt.subplots(1, panels, figsize=(4.3 * panels, 3.8))
    for i, ax in enumerate(np.atleast_1d(axes)):
        ax.plot(np.arange(10) ** (i + 1), label=f"power {i + 1}")
        ax.set_title(f"panel title {i}")
        ax.set_xlabel("step t")
        ax.legend()
    if colorbar:
        fig.colorbar(axes[-1].imshow(np.random.default_rng(0).random((4, 4))), ax=axes[-1])
    fig.suptitle("A figure of several panels")
    fig.tight_layout()
    return fig


def test_doctests():
    result = doctest.testmod(descent.figures)
    assert result.failed == 0 and result.attempted >= 7, result


def test_every_image_keeps_the_aspect_its_attributes_say():
    fig = wide_figure(colorbar=True)
    markup = figure_bundle(fig, "Three panels of powers.")["text/html"]
    found = images(markup)
    assert len(found) == 4  # The whole figure, then three panels.
    for image, _, width, height in found:
        assert image.size == (2 * width, 2 * height) or abs(image.size[0] / image.size[1] - width / height) < 0.01
    plt.close(fig)


def test_panels_are_cropped_whole_with_their_colorbar_and_placed():
    fig = wide_figure(colorbar=True)
    markup = figure_bundle(fig, "Three panels of powers.")["text/html"]
    (_, wide_alt, wide_w, _), *panels = images(markup)
    assert wide_alt == "Three panels of powers."
    assert [alt.split(":")[0] for _, alt, _, _ in panels] == [
        "Panel 1 of 3 (left)", "Panel 2 of 3 (middle)", "Panel 3 of 3 (right)"]
    widths = [w for _, _, w, _ in panels]
    last, bar = fig.axes[2], fig.axes[3]  # The last panel and its colorbar, in figure inches.
    span = (bar.get_position().x1 - last.get_position().x0) * fig.get_size_inches()[0]
    assert widths[2] >= span * 100, "the colorbar belongs to the last panel's crop"
    assert all(w < 0.5 * wide_w for w in widths)
    assert markup.count('class="descent-figure-place"') == 3
    assert "A figure of several panels" in markup  # The suptitle heads the stacked panels.
    plt.close(fig)


def test_a_wide_single_panel_is_drawn_again_narrow_for_phones():
    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    ax.plot([0, 1, 4])
    ax.set_xlabel("a label that must stay inside the figure")
    size = tuple(fig.get_size_inches())
    (_, _, wide_w, _), (narrow, _, narrow_w, _) = images(figure_bundle(fig, "A rising line.")["text/html"])
    assert narrow_w <= PHONE_WIDTH * 100 + 20 < wide_w
    assert tuple(fig.get_size_inches()) == size, "the reader's figure is left as it was"
    plt.close(fig)


def test_a_legend_below_the_axes_is_kept_wide_and_narrow():
    def drawn(legend: bool):
        fig, ax = plt.subplots(figsize=(8.5, 3.0))
        ax.plot([0, 1], label="a line whose legend sits below the axes")
        if legend:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.5))
        found = images(figure_bundle(fig, "A line.")["text/html"])
        plt.close(fig)
        return found

    (wide, _, _, wide_h), (narrow, _, _, _) = drawn(True)
    (_, _, _, bare_h), _ = drawn(False)
    assert wide_h > bare_h + 30, "the legend outside the axes was cut off the wide figure"
    bottom = np.asarray(narrow.convert("L"))[-narrow.size[1] // 5:]
    assert (bottom < 128).sum() > 200, "the legend below the axes was cut off the phone's figure"


def test_a_grid_of_small_images_is_offered_panel_by_panel():
    fig, axes = plt.subplots(2, 5, figsize=(8.5, 4.2))
    for ax in axes.flat:
        ax.imshow(np.eye(4))
        ax.set_title("a class")
    markup = figure_bundle(fig, "Ten small images in two rows.")["text/html"]
    (_, _, wide_w, _), *panels = images(markup)
    assert len(panels) == 10 and all(2 * w < 358 for _, _, w, _ in panels), "two to a phone's row"
    assert figure_bundle(fig, "Ten small images.", stack=False)["text/html"].count("<img") == 1
    plt.close(fig)


@pytest.mark.parametrize("alt", ["", "   ", None])
def test_a_figure_needs_a_description(alt):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="alt text"):
        figure_bundle(fig, alt)
    plt.close(fig)


def test_show_displays_the_bundle_and_closes_the_figure(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append((a, k)))
    fig = wide_figure(panels=2)
    show(fig, "Two panels.")
    (bundle,), kwargs = shown[0]
    assert kwargs["raw"] is True and set(bundle) == {"text/html", "image/png", "text/plain"}
    assert kwargs["metadata"]["image/png"]["width"] > 0
    assert not plt.fignum_exists(fig.number)
