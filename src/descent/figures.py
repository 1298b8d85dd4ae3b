r"""Showing a static figure of the book: described, at its true shape, readable on a phone.

Every chapter ends a figure cell with :func:`show` rather than letting the inline backend
print the figure. :func:`show` displays one self-contained HTML ``<figure>``:

- the whole figure, as drawn, for wide screens;
- where the column is too narrow for the whole figure's text to stay readable (a phone,
  or a figure of three wide panels in a desktop's text column), the same figure one panel
  at a time, each panel cropped from the figure, side by side as many as fit, else
  stacked; a single-panel figure wider than a phone's column is drawn again narrower;
- ``alt``, a description of what the figure shows, as the images' alt text (each panel's
  alt names its place and its title too). Each stacked panel is headed by its place in
  the wide figure ("Left", "Top right"), so that prose saying "on the right" still reads.

A container query in the figure's own ``<style>`` picks the layout from the width the
figure is given: the whole figure while 10-point text stays at least
:data:`READABLE_TEXT` CSS px, the panels below that. It works the same on the static
site, in JupyterLab and in Colab. The bundle also carries the whole figure as
``image/png`` and ``alt`` as ``text/plain``, for front ends that show no HTML.

>>> from matplotlib.figure import Figure
>>> fig = Figure(figsize=(8, 3))
>>> left, right = fig.subplots(1, 2)
>>> _ = left.set_title("loss"), right.set_title("gradient norm")
>>> bundle = figure_bundle(fig, alt="Two panels.")
>>> sorted(bundle)
['image/png', 'text/html', 'text/plain']
>>> bundle["text/html"].count("<img"), "Panel 2 of 2 (right): gradient norm." in bundle["text/html"]
(3, True)
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from typing import Any

import numpy as np

__all__ = ["show", "figure_bundle", "PHONE_WIDTH", "READABLE_TEXT"]

#: The width, in inches, at which a panel is drawn for a phone: 10-point text on a
#: 4.8-inch panel shown 360 CSS px wide is about 10 CSS px high.
PHONE_WIDTH = 4.8
#: The smallest size, in CSS px, of 10-point figure text before the panels are split up.
READABLE_TEXT = 8.0
_POINT = 100 / 72  # CSS px per point of a figure drawn at 100 CSS px per inch.
_SCALE = 2  # Pixels per CSS pixel of the PNGs: sharp on high-DPI screens.
_PAD = 0.06  # Inches of margin around a cropped panel.

_STYLE = """<style>
.descent-figure { margin: 0 0 1em; container-type: inline-size; }
.descent-figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.descent-figure .descent-figure-narrow { display: none; }
.descent-figure .descent-figure-panels { display: flex; flex-wrap: wrap; justify-content: center;
  align-items: flex-end; gap: 0.5em 1em; }
.descent-figure .descent-figure-panel { flex: 1 1 340px; margin: 0; }
.descent-figure .descent-figure-title { font-weight: 600; text-align: center; margin: 0 0 0.5em; }
.descent-figure .descent-figure-place { font-size: 0.85em; font-style: italic; margin: 0; }
</style>"""


def _switch(figure_id: str, wide_css_width: int) -> str:
    """The container query that shows the panels where the whole figure's text gets small."""
    below = int(wide_css_width * READABLE_TEXT / (10 * _POINT))
    return (f"<style>@container (max-width: {below}px) {{ #{figure_id} .descent-figure-wide "
            f"{{ display: none; }} #{figure_id} .descent-figure-narrow {{ display: block; }} }}</style>")


def _render(fig: Any, dpi: float, boxes: Any = None) -> tuple[np.ndarray, Any]:
    """The figure's RGBA pixels at ``dpi``, and ``boxes(renderer)`` measured in those pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    original_dpi = fig.dpi
    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    try:
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba()).copy()
        return pixels, (boxes(canvas.get_renderer()) if boxes else None)
    finally:
        fig.set_dpi(original_dpi)


def _saved(fig: Any, dpi: float) -> np.ndarray:
    """The figure as ``savefig(bbox_inches="tight")`` draws it: every artist, even one placed
    outside the axes (a legend below them), and no more white than a margin."""
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=_PAD, facecolor="white")
    return np.asarray(Image.open(buffer).convert("RGBA"))


def _png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).convert("RGB").save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def _crop(pixels: np.ndarray, box: Any, pad: int) -> np.ndarray:
    """Pixels inside a display-space bbox (origin bottom left), with a margin of ``pad``."""
    height, width = pixels.shape[:2]
    x0 = max(int(np.floor(box.x0)) - pad, 0)
    x1 = min(int(np.ceil(box.x1)) + pad, width)
    y0 = max(height - int(np.ceil(box.y1)) - pad, 0)
    y1 = min(height - int(np.floor(box.y0)) + pad, height)
    return pixels[y0:y1, x0:x1]


def _panels(fig: Any) -> list[list[Any]]:
    """The figure's panels: each a main axes with the colorbars drawn beside it."""
    visible = [ax for ax in fig.axes if ax.get_visible() and (ax.axison or ax.images)]
    bars = [ax for ax in visible if hasattr(ax, "_colorbar")]
    panels = [[ax] for ax in visible if ax not in bars]
    for bar in bars:  # A colorbar belongs to the panel nearest to it.
        centre = bar.get_position().get_points().mean(axis=0)
        nearest = min(panels, key=lambda p: np.linalg.norm(p[0].get_position().get_points().mean(axis=0) - centre))
        nearest.append(bar)
    return panels


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _img(pixels: np.ndarray, alt: str, png: bytes | None = None) -> str:
    """An ``<img>`` of ``pixels`` (``png``, if already encoded), at half its pixel size."""
    height, width = pixels.shape[:2]
    png = _png(pixels) if png is None else png
    # Lazy: a browser then loads only the layout it shows (wide, or the panels).
    return (f'<img src="{_data_url(png)}" alt="{html.escape(alt, quote=True)}" '
            f'width="{round(width / _SCALE)}" height="{round(height / _SCALE)}" loading="lazy">')


def _panel(pixels: np.ndarray, alt: str, caption: str = "") -> str:
    """One panel of the narrow layout: never drawn wider than its own pixels allow."""
    return (f'<div class="descent-figure-panel" style="max-width: {round(pixels.shape[1] / _SCALE)}px">'
            f'{caption}{_img(pixels, alt)}</div>')


def _title(ax: Any) -> str:
    title = ax.get_title() or ax.get_title("left") or ax.get_title("right")
    return " ".join(title.split())


def _place(ax: Any) -> str:
    """Where a panel sits in the wide figure, in the words the prose uses: "left", "top right"."""
    spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
    if spec is None:
        return ""
    spec = spec.get_topmost_subplotspec()  # Not the grid a colorbar carved out of it.
    rows, cols = spec.get_gridspec().get_geometry()
    row, col = spec.rowspan.start, spec.colspan.start
    across = {1: [""], 2: ["left", "right"], 3: ["left", "middle", "right"]}.get(cols)
    down = {1: [""], 2: ["top", "bottom"], 3: ["top", "middle", "bottom"]}.get(rows)
    if across is None or down is None:
        return ""
    return " ".join(w for w in (down[row], across[col]) if w)


def _narrow_single(fig: Any, dpi: float) -> np.ndarray | None:
    """A single-panel figure drawn again at :data:`PHONE_WIDTH`, or None if it is narrow."""
    width, height = fig.get_size_inches()
    if width <= PHONE_WIDTH * 1.1:
        return None
    fig.set_size_inches(PHONE_WIDTH, max(height * PHONE_WIDTH / width, 0.75 * height))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fig.get_layout_engine() is None:
                fig.tight_layout()
            return _saved(fig, dpi)
    finally:
        fig.set_size_inches(width, height)


def figure_bundle(fig: Any, alt: str, *, stack: bool | None = None) -> dict[str, Any]:
    """The display bundle :func:`show` displays: ``text/html``, ``image/png``, ``text/plain``.

    Args:
        fig: a matplotlib figure.
        alt: what the figure shows, for a reader who cannot see it.
        stack: offer the panels one by one where the whole figure is too wide for its
            text (default: whenever it has two or more). Small panels, such as a grid of
            images, then sit several to a row.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("show: give the figure an alt text that says what it shows")
    alt = " ".join(alt.split())
    dpi = _SCALE * 100.0  # At 100 dpi an inch is 100 CSS px, as with the inline backend.
    panels = _panels(fig)
    if stack is None:
        stack = len(panels) >= 2
    pad = int(_PAD * dpi)
    wide = _saved(fig, dpi)
    wide_png = _png(wide)
    narrow: list[str] = []
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    if stack and len(panels) > 1:

        def measure(renderer):  # Where each panel, and each legend of the whole figure, is drawn.
            from matplotlib.transforms import Bbox

            return ([Bbox.union([ax.get_tightbbox(renderer) for ax in panel]) for panel in panels],
                    [legend.get_window_extent(renderer) for legend in fig.legends])

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pixels, (panel_boxes, legend_boxes) = _render(fig, dpi, measure)
        for i, (panel, box) in enumerate(zip(panels, panel_boxes), start=1):
            title, place = _title(panel[0]), _place(panel[0])
            label = f"Panel {i} of {len(panels)}" + (f" ({place})" if place else "")
            label += f": {title}." if title else "."
            caption = f'<p class="descent-figure-place">{place.capitalize()}</p>' if place else ""
            narrow.append(_panel(_crop(pixels, box, pad), f"{label} {alt}", caption))
        for box in legend_boxes:  # A legend of the whole figure, after its panels.
            narrow.append(_panel(_crop(pixels, box, pad), f"Legend. {alt}"))
    elif len(panels) == 1 and (single := _narrow_single(fig, dpi)) is not None:
        narrow.append(_img(single, alt))
    if narrow:
        import hashlib

        figure_id = "descent-figure-" + hashlib.sha256(wide.tobytes()).hexdigest()[:12]
        heading = (f'<p class="descent-figure-title">{html.escape(" ".join(suptitle.split()))}</p>'
                   if suptitle and len(narrow) > 1 else "")
        body = (f'<div class="descent-figure-wide">{_img(wide, alt, wide_png)}</div>'
                f'<div class="descent-figure-narrow">{heading}'
                f'<div class="descent-figure-panels">{"".join(narrow)}</div></div>')
        markup = (f'{_STYLE}{_switch(figure_id, round(wide.shape[1] / _SCALE))}'
                  f'<figure class="descent-figure" id="{figure_id}">{body}</figure>')
    else:  # Nothing narrower to show: the whole figure on every screen.
        markup = f'{_STYLE}<figure class="descent-figure">{_img(wide, alt, wide_png)}</figure>'
    return {"text/html": markup, "image/png": wide_png, "text/plain": alt}


def show(fig: Any, alt: str, *, stack: bool | None = None) -> None:
    """Display ``fig`` as the book shows figures (see the module's text), then close it.

    Args:
        fig: a matplotlib figure.
        alt: what the figure shows, in a sentence or two, for a reader who cannot see it.
        stack: as in :func:`figure_bundle`.
    """
    from IPython.display import display

    canvas = fig.canvas  # pyplot's, which its figure manager keeps.
    bundle = figure_bundle(fig, alt, stack=stack)
    height, width = _png_size(bundle["image/png"])
    metadata = {"image/png": {"width": round(width / _SCALE), "height": round(height / _SCALE)}}
    display(bundle, raw=True, metadata=metadata)
    import matplotlib.pyplot as plt

    plt.close(fig)
    _forget_renderers(fig, canvas)


def _forget_renderers(fig: Any, *canvases: Any) -> None:
    """Let go of the renderers that drawing ``fig`` left behind, so that its pixels are freed.

    Drawing a figure at the book's resolution makes a renderer holding every pixel (6 MB for
    a 10-inch figure, and more), which outlives the drawing: the canvas keeps it for the next
    draw, and every text artist keeps the renderer it was last drawn with. The figure lives
    on while a variable names it or one of its axes, and with it each renderer: about 10 MB
    per figure, the chapter's kernel growing figure after figure. The next draw makes a
    renderer anew; nothing else changes.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for canvas in (*canvases, fig.canvas):
        if getattr(canvas, "renderer", None) is not None:
            canvas.renderer = None
            canvas._lastKey = None  # FigureCanvasAgg.get_renderer then makes a new one.
    for artist in fig.findobj():
        if getattr(artist, "_renderer", None) is not None:  # matplotlib.text.Text's.
            artist._renderer = None
    FigureCanvasAgg(fig)  # A fresh canvas, with no renderer.


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return height, width
