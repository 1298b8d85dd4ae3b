"""What an explorer's static page shows for a value of its control is what it draws there.

A static page scrubs precomputed frames: frame i is shown with label i ("α = 0.0333").
Nothing in the frames says which value they were drawn at, so frames reversed relative to
their labels, or shifted by one, would look fine to a test that only checks that moving
the slider changes the picture. Here the labels are read as a reader reads them: the
value is parsed from the label's text, the explorer's control is set to it, as dragging
the live slider does, and the picture the live widget then shows is compared with every
picture the page can show (each frame over the page's background). The frame the page
shows with the label must be the nearest of them, and near.

The check is written against the page, not against how the page is made: a scrubber is
read for its pictures and the label each is shown with (:func:`read_scrubber`), and the
explorer's own drawing is the reference (:func:`drawn_at`). Whatever replaces the
scrubbers must still show, for the value its control names, the picture the explorer
draws at that value; only these two readers change with it.

The explorers checked are those the chapters display, built by evaluating the chapters'
own calls (:func:`displayed_explorers`), and the others the package offers.
tests/test_explorers_browser.py makes the same check on what Chromium shows after
moving the range input, and tests/test_jupyterlab.py on the live widget in JupyterLab.
"""

from __future__ import annotations

import ast
import base64
import html as html_module
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

# A pixel differs visibly when one of its channels differs by more than this (of 255):
# well above the overlays' 64-colour palette and antialiasing, well below a line or a
# glyph drawn over white.
VISIBLE = 64


# ---------------------------------------------------------------------------------------
# The explorers the chapters display, built by the chapters' own calls.


def displayed_explorers(nb: nbformat.NotebookNode) -> list[tuple[str, Callable]]:
    """The explorers a notebook displays, in the order of its cells: (call, builder).

    A cell displays an explorer when its last line is an ``…Explorer(…)`` call or a name
    the cell assigned one to. The call is evaluated with NumPy, jax.numpy, the public
    names of descent.explorers and descent.problems, and the literal values the cell
    assigns (``eigenvalues = (1.0, 5.0)``).
    """
    from IPython.core.inputtransformer2 import TransformerManager

    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "Explorer(" not in cell.source:
            continue
        tree = ast.parse(TransformerManager().transform_cell(cell.source))
        literals, assigned = {}, {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                assigned[name] = node.value
                try:
                    literals[name] = ast.literal_eval(node.value)
                except ValueError:
                    pass
        last = tree.body[-1] if tree.body else None
        if not isinstance(last, ast.Expr):
            continue
        call = assigned.get(last.value.id) if isinstance(last.value, ast.Name) else last.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id.endswith("Explorer"):
            source = ast.unparse(call)
            found.append((source, _builder(source, literals)))
    return found


def _builder(source: str, literals: dict) -> Callable:
    def build():
        import jax.numpy as jnp

        from descent import explorers, problems

        namespace = {"np": np, "jnp": jnp, **literals}
        namespace.update({name: getattr(problems, name) for name in dir(problems) if not name.startswith("_")})
        namespace.update({name: getattr(explorers, name) for name in explorers.__all__})
        return eval(source, namespace)  # noqa: S307 - the book's own code

    return build


def chapter_explorers(chapter: str) -> list[tuple[str, Callable]]:
    """The explorers ``book/<chapter>.ipynb`` displays, in order."""
    return displayed_explorers(nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4))


# ---------------------------------------------------------------------------------------
# Reading a scrubber, and drawing with the explorer.


@dataclass
class Scrubber:
    """What a kernel-free explorer can show: a background, frames, the label of each."""

    background: str  # its src, a data URL in the HTML an explorer makes (a file once built)
    frames: list[str]  # data URLs; the page shows frames[i] with labels[i]
    labels: list[str]
    start: int  # the index the range input starts at
    shown_frame: str  # the src of the frame <img> as the page is loaded (or was read)
    shown_label: str  # the text of the <output> as the page is loaded (or was read)

    def pictures(self) -> list[np.ndarray]:
        """Each frame over the background, as the reader sees it (see :func:`opaque`)."""
        return [picture(self.background, frame) for frame in self.frames]


def picture(background: str, frame: str) -> np.ndarray:
    """A frame over a background, both ``data:`` URLs, as the reader sees it (see :func:`opaque`)."""
    composite = Image.alpha_composite(_decode(background).convert("RGBA"), _decode(frame).convert("RGBA"))
    return opaque(np.asarray(composite))


def read_scrubber(markup: str) -> Scrubber:
    """Read one scrubber of :func:`descent.scrubber.scrubber_html` (or its DOM's outer HTML)."""
    def attribute(cls, name):
        tag = re.search(rf'<[^>]*class="{cls}"[^>]*>', markup).group(0)
        return html_module.unescape(re.search(rf'\s{name}="([^"]*)"', tag).group(1))

    frames = json.loads(re.search(r"var frames = (\[.*?\]);", markup, re.S).group(1))
    labels = json.loads(re.search(r"var labels = (\[.*?\]);", markup, re.S).group(1))
    start = int(re.search(r'<input type="range"[^>]*\svalue="(\d+)"', markup).group(1))
    output = re.search(r"<output[^>]*>(.*?)</output>", markup, re.S).group(1)
    return Scrubber(
        background=attribute("descent-scrubber-background", "src"),
        frames=frames, labels=labels, start=start,
        shown_frame=attribute("descent-scrubber-frame", "src"),
        shown_label=html_module.unescape(output),
    )


def _decode(data_url: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))


def opaque(pixels: np.ndarray) -> np.ndarray:
    """An (h, w, 3 or 4) uint8 picture as (h, w, 4) with alpha 255: one uint32 per pixel."""
    rgba = np.full(pixels.shape[:2] + (4,), 255, dtype=np.uint8)
    rgba[..., :3] = pixels[..., :3]
    return rgba


def label_value(label: str) -> float:
    """The value a label names: its last number ("gd: α = 0.0333" → 0.0333, "45°" → 45)."""
    numbers = re.findall(r"-?[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?", label)
    assert numbers, f"the label {label!r} names no value"
    return float(numbers[-1])


def drawn_at(explorer, value: float) -> np.ndarray:
    """The picture the live widget shows once the main control is set to ``value``.

    The control is set as dragging it does (its observers redraw the figure); the picture
    is the widget's frame before JPEG encoding (see :func:`opaque`).
    """
    control = explorer._controls[explorer.main]
    options = getattr(control, "options", None)
    if options:  # A selection slider: the option the label names.
        value = next(option for option in options if float(option) == value)
    elif isinstance(control.value, int):
        value = int(round(value))
    control.value = value
    return opaque(explorer._canvas.rgba())


def visible_difference(a: np.ndarray, b: np.ndarray) -> int:
    """How many pixels of two pictures (see :func:`opaque`) differ visibly."""
    changed = a.view(np.uint32)[..., 0] != b.view(np.uint32)[..., 0]  # Few: compare those.
    step = np.abs(a[changed].astype(np.int16) - b[changed]).max(axis=-1)
    return int(np.count_nonzero(step > VISIBLE))


def assert_shows_its_label(explorer, pictures: list[np.ndarray], labels: list[str], shown: np.ndarray,
                           label: str):
    """The picture ``shown`` with ``label`` is the one the explorer draws at the label's value.

    Of all the pictures the page can show (``pictures``, the frame of ``labels[j]`` over
    the background), it is the nearest to the explorer's drawing at the value ``label``
    names: every other one differs from the drawing in more pixels, unless it is the very
    same picture. And it is near: labels round the value (to 3 digits, an angle to the
    degree), so a few pixels differ, at most 1.4 % of them in the book's explorers, where
    the next nearest frame differs in 2 to 10⁴ times as many; 3 % is the bound.
    """
    drawn = drawn_at(explorer, label_value(label))
    here = visible_difference(shown, drawn)
    differences = [visible_difference(picture, drawn) for picture in pictures]
    nearer = [j for j, difference in enumerate(differences)
              if difference < here or (difference == here and visible_difference(pictures[j], shown))]
    nearest = int(np.argmin(differences))
    assert not nearer, (
        f"with the label {label!r} the page shows a picture that differs from the explorer's at "
        f"that value in {here} pixels; frame {nearest} ({labels[nearest]!r}) differs in only "
        f"{differences[nearest]}"
    )
    assert here < 0.03 * drawn.shape[0] * drawn.shape[1], (
        f"with the label {label!r} the page shows a picture that differs from the explorer's at "
        f"that value in {here} pixels"
    )


def frames_to_check(count: int, start: int) -> list[int]:
    """Both ends, the start and its neighbours, and two points between."""
    wanted = {0, 1, count // 4, start - 1, start, start + 1, (3 * count) // 4, count - 2, count - 1}
    return sorted(i for i in wanted if 0 <= i < count)


# ---------------------------------------------------------------------------------------
# The explorers: every one the chapters display, and the others the package offers.

CASES = [
    pytest.param(build, id=f"{path.stem}-{k}")
    for path in sorted(BOOK.glob("*.ipynb"))
    for k, (_, build) in enumerate(displayed_explorers(nbformat.read(path, as_version=4)))
] + [
    pytest.param(_builder("LossCurveExplorer(targets=[(0.0, 1.0), (0.3, 0.7)])", {}), id="loss-curves"),
    pytest.param(_builder("QuadraticExplorer(eigenvalues=(1.0, 6.0), main='lambda1')", {}), id="quadratic-lambda1"),
    pytest.param(_builder("MinibatchExplorer(main='learning_rate')", {}), id="minibatch-learning-rate"),
]


def test_every_explorer_of_the_book_is_checked():
    # Each cell that builds an explorer displays it in a way displayed_explorers reads.
    kinds = set()
    for path in sorted(BOOK.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found = displayed_explorers(nb)
        building = [cell for cell in nb.cells if cell.cell_type == "code" and "Explorer(" in cell.source]
        assert len(found) == len(building), f"{path.name}: an explorer is displayed in a way this test misses"
        kinds |= {source.split("(")[0] for source, _ in found}
    assert kinds == {"QuadraticExplorer", "Explorer", "MinibatchExplorer"}


@pytest.mark.parametrize("build", CASES)
def test_each_frame_shows_the_value_its_label_names(build):
    explorer = build()
    scrubber = read_scrubber(explorer.static_html())
    count = len(scrubber.frames)
    assert count == len(scrubber.labels) >= 9
    assert len(set(scrubber.labels)) == count, "two frames carry the same label"
    assert len(set(scrubber.frames)) > count // 2, "the frames are alike: nothing to tell apart"
    # As loaded, the page shows the start frame with the start label.
    assert scrubber.shown_frame == scrubber.frames[scrubber.start]
    assert scrubber.shown_label == scrubber.labels[scrubber.start]
    pictures = scrubber.pictures()
    for i in frames_to_check(count, scrubber.start):
        assert_shows_its_label(explorer, pictures, scrubber.labels, pictures[i], scrubber.labels[i])
        if explorer.main not in ("angle", "lambda1", "lambda2"):  # Their value is not in the text.
            # The figure's status line names the value the label names.
            assert scrubber.labels[i] in explorer.info, (scrubber.labels[i], explorer.info)
