"""A chapter's kernel must not grow figure after figure (issue 12: every kernel ≤ 700 MB).

Drawing a figure at the book's resolution makes Agg renderers holding every pixel (about
6 MB each for a 10-inch figure), which the canvas and every text artist keep. A chapter's
figure outlives its cell while a variable names it or one of its axes, and before the fix
each such figure kept about 11 MB: learning-vs-optimization and why-hard grew by tens of
MB through their figure cells. :func:`descent.figures.show` now lets go of them.
"""

from __future__ import annotations

import gc

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import RendererAgg  # noqa: E402

from descent import figures  # noqa: E402


@pytest.fixture
def no_display(monkeypatch):
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda *args, **kwargs: None)


def _figure():
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    x = np.linspace(-3, 3, 601)
    for ax in (left, right):
        ax.plot(x, np.sin(x), label="sin")
        ax.set(title="a panel", xlabel="x", ylabel="y")
        ax.legend()
    fig.suptitle("two panels")
    fig.tight_layout()
    return fig, left


def _live_renderer_pixels() -> int:
    gc.collect()
    return sum(int(r.width) * int(r.height) * 4 for r in gc.get_objects() if isinstance(r, RendererAgg))


def test_a_shown_figure_that_lives_on_keeps_no_renderer(no_display):
    before = _live_renderer_pixels()
    kept = []
    for _ in range(3):  # As a chapter keeps `fig, (ax_loss, ax_slope)` after its figure cell.
        fig, axes = _figure()
        figures.show(fig, alt="Two sine curves.")
        kept.append(axes)
    # Before the fix: two renderers of about 2000 × 760 pixels per figure, 36 MB in all.
    assert _live_renderer_pixels() - before < 1e6
    assert all(ax.figure is not None for ax in kept)


def test_a_shown_figure_can_be_drawn_again_unchanged(no_display):
    fig, _ = _figure()
    first = figures.figure_bundle(fig, alt="Two sine curves.")
    figures.show(fig, alt="Two sine curves.")
    again = figures.figure_bundle(fig, alt="Two sine curves.")  # A new renderer on demand.
    assert again["image/png"] == first["image/png"]
    assert again["text/html"] == first["text/html"]
    plt.close(fig)


# -- glue: the book's values without nbformat ----------------------------------------------
#
# myst_nb.glue imports nbformat, and with it jsonschema and a parsed URI grammar: 23 MB that
# every chapter's kernel kept from its first glue on. descent.notebook.glue writes the same
# output itself.


def test_glue_does_not_load_nbformat():
    import subprocess
    import sys

    code = ("import sys\nfrom descent.notebook import glue\nglue('x', '1.5', display=False)\n"
            "glue('y', 2.5)\nprint(sorted(m for m in ('nbformat', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("value", ["0.627", 42, 1.5, "1,200 and 3,400", np.float64(0.25)])
@pytest.mark.parametrize("display", [False, True])
def test_glue_writes_what_myst_nb_writes(monkeypatch, value, display):
    import IPython.display
    import myst_nb.ext.glue

    from descent.notebook import glue

    shown = []
    record = lambda *args, **kwargs: shown.append((args, kwargs))  # noqa: E731
    monkeypatch.setattr(myst_nb.ext.glue, "ipy_display", record)
    monkeypatch.setattr(IPython.display, "display", record)
    myst_nb.ext.glue.glue("name", value, display=display)
    glue("name", value, display=display)
    assert len(shown) == 2 and shown[0] == shown[1]
