r"""Figures that redraw in a few milliseconds: a blitted Agg canvas, and static scrubbers.

An explorer draws its figure once. Everything that does not move (axes, ticks, labels,
legends) is rendered into a cached background; the artists that change with a slider
(a trajectory, a loss curve, a message) are marked *animated* and drawn over a copy of
that background on every update. :class:`BlitCanvas` holds that cycle and hands back
the pixels as image bytes, ready for an ``ipywidgets.Image``:

>>> import numpy as np
>>> from matplotlib.figure import Figure
>>> figure = Figure(figsize=(4, 3), dpi=50)
>>> ax = figure.add_subplot()
>>> _ = ax.set(xlim=(0, 1), ylim=(0, 1))
>>> (line,) = ax.plot([], [])
>>> canvas = BlitCanvas(figure, animated=[line])
>>> line.set_data([0, 1], [0, 1])
>>> canvas.frame()[:3]  # JPEG bytes of the background with the line drawn over it.
b'\xff\xd8\xff'

The same canvas renders the pieces of a page that needs no kernel: the background alone
(:meth:`BlitCanvas.background_png`) and the animated artists alone on a transparent
image (:meth:`BlitCanvas.overlay_png`); :func:`scrubber_html` stacks them under an
``<input type="range">`` that swaps the overlay.
"""

from __future__ import annotations

import html
import io
import json
import uuid
from typing import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["BlitCanvas", "encode", "scrubber_html"]


def encode(rgba: np.ndarray, format: str = "jpeg", quality: int = 88, colors: int = 0) -> bytes:
    """Encode an (h, w, 4) uint8 RGBA array as JPEG or PNG bytes.

    Args:
        rgba: the pixels, as ``canvas.buffer_rgba()`` gives them.
        format: ``"jpeg"`` (opaque, fast: a few ms; what the live widget shows) or
            ``"png"`` (keeps the alpha channel: the static overlays).
        quality: JPEG quality.
        colors: for PNG, reduce to this many colors (with alpha) first; 0 keeps them all.
            A palette of 64 colors makes an overlay of lines and text several times smaller.
    """
    buffer = io.BytesIO()
    if format == "jpeg":
        # PIL drops the alpha channel in C, three times faster than slicing it off in NumPy.
        Image.fromarray(np.ascontiguousarray(rgba)).convert("RGB").save(buffer, "JPEG", quality=quality)
    elif format == "png":
        image = Image.fromarray(np.ascontiguousarray(rgba))
        if colors:
            image = image.quantize(colors, method=Image.Quantize.FASTOCTREE)
        image.save(buffer, "PNG", optimize=False, compress_level=6)
    else:
        raise ValueError(f"encode: format must be 'jpeg' or 'png', got {format!r}")
    return buffer.getvalue()


class BlitCanvas:
    """A Matplotlib figure on an Agg canvas whose animated artists are drawn by blitting.

    Args:
        figure: a :class:`matplotlib.figure.Figure` (not made by ``pyplot``, so no
            backend shows it on its own).
        animated: the artists that change between frames; they are left out of the
            background and drawn over it, in this order, by :meth:`frame`.
        slow: those of ``animated`` that change rarely. They are drawn over the
            background into a second cached layer, redrawn only when ``slow_key``
            changes (set it to anything hashable that identifies what they show).
    """

    # FreeType's hinting snaps each glyph to the pixel grid and costs about 40 % of the
    # time of drawing a line of text, which is most of a frame; unhinted text is what
    # macOS and most browsers show. Applied around each draw, so rcParams are left alone.
    RC = {"text.hinting": "no_hinting"}

    def __init__(self, figure: Figure, animated: Sequence[Artist], slow: Sequence[Artist] = ()):
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.animated = list(animated)
        self.slow = [artist for artist in self.animated if artist in list(slow)]
        self.slow_key = None
        for artist in self.animated:
            artist.set_animated(True)
        self._background = None
        self._background_rgba = None
        self._slow_region = None
        self._slow_drawn_for = None

    def redraw_background(self) -> None:
        """Render everything that is not animated and keep it. Call after changing axes."""
        with mpl.rc_context(self.RC):
            self.canvas.draw()  # Animated artists are skipped by a full draw.
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._background_rgba = np.array(self.canvas.buffer_rgba())
        self._slow_region = None

    def _blit(self, clear: bool) -> np.ndarray:
        """Draw a frame into the canvas and return its pixels.

        The *slow* artists (those that change only with some sliders, such as the
        contours of a quadratic) are drawn over the background once per ``slow_key`` and
        that layer is kept, so a frame where only the rest moves draws only the rest.
        """
        if self._background is None:
            self.redraw_background()
        with mpl.rc_context(self.RC):
            return self._draw_layers(clear)

    def _draw_layers(self, clear: bool) -> np.ndarray:
        renderer = self.canvas.get_renderer()
        if clear:
            renderer.clear()  # Fully transparent.
            todo = self.animated
        elif self.slow and self._slow_region is not None and self._slow_drawn_for == self.slow_key:
            self.canvas.restore_region(self._slow_region)
            todo = [artist for artist in self.animated if artist not in self.slow]
        else:
            self.canvas.restore_region(self._background)
            if self.slow:
                for artist in self.slow:
                    if artist.get_visible():
                        self.figure.draw_artist(artist)
                self._slow_region = self.canvas.copy_from_bbox(self.figure.bbox)
                self._slow_drawn_for = self.slow_key
            todo = [artist for artist in self.animated if artist not in self.slow]
        for artist in todo:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        return np.asarray(self.canvas.buffer_rgba())

    def frame(self, format: str = "jpeg", quality: int = 88) -> bytes:
        """The background with the animated artists drawn over it, as image bytes."""
        return encode(self._blit(clear=False), format=format, quality=quality)

    def rgba(self) -> np.ndarray:
        """The current frame as an (h, w, 4) uint8 array (a copy)."""
        return np.array(self._blit(clear=False))

    def overlay_png(self, colors: int = 64) -> bytes:
        """Only the animated artists, on a transparent background, as PNG bytes."""
        pixels = np.array(self._blit(clear=True))
        return encode(pixels, format="png", colors=colors)

    def background_png(self, colors: int = 0) -> bytes:
        """The background alone (everything not animated), as PNG bytes."""
        if self._background is None:
            self.redraw_background()
        return encode(self._background_rgba, format="png", colors=colors)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        width, height = self.canvas.get_width_height()
        return int(width), int(height)


def _data_url(png: bytes) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def scrubber_html(
    background: bytes,
    overlays: Sequence[bytes],
    labels: Sequence[str],
    start: int,
    size: tuple[int, int],
    slider_label: str,
    note: str,
    alt: str,
) -> str:
    """A kernel-free explorer: a background image, one overlay per slider value, a range input.

    Everything is inline: the images as base64 ``data:`` URLs, and a few lines of
    JavaScript that swap the overlay's ``src`` and the label when the range moves. No
    external script, so the page works from the site alone, offline. Element ids carry a
    fresh random suffix, so several scrubbers can share a page.

    Args:
        background: PNG of everything that stays (axes, contours, labels).
        overlays: one transparent PNG per value of the slider, same size as the background.
        labels: the text shown for each value (``"α = 0.1"``).
        start: the index shown first.
        size: (width, height) of the images in pixels.
        slider_label: what the range input moves (``"learning rate α"``).
        note: a sentence under the slider (how to get every slider live).
        alt: a description of the figure for screen readers.
    """
    if len(overlays) != len(labels) or not overlays:
        raise ValueError("scrubber_html: give one label per overlay, and at least one overlay")
    uid = "descent-scrubber-" + uuid.uuid4().hex[:10]
    width, height = size
    urls = [_data_url(png) for png in overlays]
    frames = json.dumps(urls)
    texts = json.dumps(list(labels)).replace("</", "<\\/")  # Never close the <script>.
    start = int(np.clip(start, 0, len(overlays) - 1))
    return f"""<div class="descent-scrubber" id="{uid}" style="max-width:{width}px">
<div style="position:relative;width:100%">
<img class="descent-scrubber-background" src="{_data_url(background)}" width="{width}" height="{height}" style="display:block;width:100%;height:auto" alt="{html.escape(alt)}">
<img class="descent-scrubber-frame" id="{uid}-frame" src="{urls[start]}" width="{width}" height="{height}" style="position:absolute;left:0;top:0;width:100%;height:auto" alt="">
</div>
<div style="display:flex;align-items:center;gap:0.8em;margin:0.4em 0">
<label for="{uid}-range" style="white-space:nowrap">{html.escape(slider_label)}</label>
<input type="range" id="{uid}-range" min="0" max="{len(overlays) - 1}" step="1" value="{start}" style="flex:1 1 auto" aria-label="{html.escape(slider_label)}">
<output id="{uid}-value" for="{uid}-range" style="min-width:9em;font-family:monospace">{html.escape(labels[start])}</output>
</div>
<p class="descent-scrubber-note" style="font-size:0.85em;margin:0">{html.escape(note)}</p>
<script>
(function () {{
  var frames = {frames};
  var labels = {texts};
  var range = document.getElementById("{uid}-range");
  var frame = document.getElementById("{uid}-frame");
  var value = document.getElementById("{uid}-value");
  function show() {{
    var i = Number(range.value);
    frame.src = frames[i];
    value.textContent = labels[i];
  }}
  range.addEventListener("input", show);
  range.addEventListener("change", show);
}})();
</script>
</div>"""
