"""The explorers on a static page, in headless Chromium, with no kernel and no network.

A small book (the real _config.yml and _ext/, one chapter holding the three explorers) is
built with the same script as `make book` and served on 127.0.0.1 with every other host
blocked. On the page, each explorer must show its kernel-free scrubber, not a dead
widget; moving the scrubber's range must change the frame shown, and the frame shown must
be the picture the explorer draws at the value the label then names: the test builds the
same explorers in Python (the page's own cells) and compares, as
tests/test_explorer_frames.py does for the HTML alone. Screenshots before and after land
in _build/screenshots/ for a person to look at.

The same checks run on every chapter of the real book that holds an explorer
(``BOOK_EXPLORER_PAGES``), served by the ``site_url`` fixture of conftest.py.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from test_browser import OfflinePage
from test_explorer_frames import (
    assert_shows_its_label, chapter_explorers, displayed_explorers, picture, read_scrubber,
)

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.browser]

DEMO_CELLS = [
    "from descent.explorers import Explorer, LossCurveExplorer, QuadraticExplorer\n"
    "from descent.problems import rosenbrock",
    "QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=0.1)",
    "Explorer(rosenbrock())",
    "LossCurveExplorer(targets=[(0.0, 1.0), (0.3, 0.7)])",
]
EXPLORERS_ON_DEMO_PAGE = 3


def demo_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(
        "# Explorers\n\nEvery explorer of the book, once: move the learning rate $\\alpha$."
    )]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in DEMO_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """A small book whose one chapter displays the explorers, built and served."""
    book = tmp_path_factory.mktemp("explorers-book")
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, book / name)
    shutil.copytree(ROOT / "_ext", book / "_ext")
    (book / "book").mkdir()
    (book / "book" / "intro.md").write_text("# A small book\n\nIt has one chapter.\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/explorers\n")
    nbformat.write(demo_notebook(), book / "book" / "explorers.ipynb")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_book.py"), str(book)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    html = book / "_build" / "html"
    handler = functools.partial(_Quiet, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield html, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def test_page_holds_scrubbers_not_widgets(demo_site):
    html_dir, _ = demo_site
    page = (html_dir / "book" / "explorers.html").read_text()
    assert page.count('class="descent-scrubber"') == EXPLORERS_ON_DEMO_PAGE
    assert "application/vnd.jupyter.widget-view+json" not in page  # no dead widget views
    assert 'src="http' not in page and "src='http" not in page
    assert len(page.encode()) < EXPLORERS_ON_DEMO_PAGE * 1.5e6 + 200_000


def test_no_widget_state_on_the_page(demo_site):
    # nbclient records the widgets' state while executing, and myst-nb inlines it as a
    # script. No widget manager reads it on this site: it is only weight (the frames in
    # it), so _ext/offline_assets.py drops it.
    html_dir, _ = demo_site
    page = (html_dir / "book" / "explorers.html").read_text()
    assert "application/vnd.jupyter.widget-state+json" not in page


# The chapters of the real book that show an explorer, and how many each shows.
BOOK_EXPLORER_PAGES = {
    "book/first-descent.html": 2,
    "book/gd-quadratic.html": 1,
    "book/learning-vs-optimization.html": 1,
    "book/preconditioning.html": 1,
    "book/why-hard.html": 1,
}


@pytest.mark.book
@pytest.mark.parametrize("path", sorted(BOOK_EXPLORER_PAGES))
def test_book_chapters_hold_scrubbers_not_widgets(built_book, path):
    page = (built_book / path).read_text()
    assert page.count('class="descent-scrubber"') == BOOK_EXPLORER_PAGES[path]
    assert "application/vnd.jupyter.widget-view+json" not in page
    assert "application/vnd.jupyter.widget-state+json" not in page
    assert len(page.encode()) < BOOK_EXPLORER_PAGES[path] * 1.5e6 + 500_000


EXPLORER_PAGES = [("demo_site", "book/explorers.html")] + [
    ("site_url", path) for path in sorted(BOOK_EXPLORER_PAGES)
]


def page_explorers(site: str, path: str) -> list:
    """Builders of the explorers a page displays, in order: the same cells, run here."""
    if site == "demo_site":
        return [build for _, build in displayed_explorers(demo_notebook())]
    return [build for _, build in chapter_explorers(Path(path).stem)]


# The bytes of an image as the browser has them, as a data: URL (the build may have moved
# an inline image to a file of _images/).
DATA_URL_OF = """async img => {
  const blob = await (await fetch(img.src)).blob();
  return await new Promise(done => {
    const reader = new FileReader();
    reader.onload = () => done(reader.result);
    reader.readAsDataURL(blob);
  });
}"""


def assert_frame_matches_label(explorer, held, pictures, frame, value):
    """The picture the browser shows is the explorer's drawing at the value the label names."""
    label = value.inner_text()
    assert label in held.labels, f"the page shows a label it does not hold: {label!r}"
    shown = picture(held.background, frame.evaluate(DATA_URL_OF))
    assert_shows_its_label(explorer, pictures, held.labels, shown, label)


@pytest.mark.parametrize(("site", "path"), EXPLORER_PAGES)
def test_scrubbers_move_in_the_browser(browser, request, screenshots, site, path):
    served = request.getfixturevalue(site)
    url = served[1] if site == "demo_site" else served
    builders = page_explorers(site, path)
    view = OfflinePage(browser, f"{url}/{path}")
    try:
        page = view.page
        scrubbers = page.locator(".descent-scrubber")
        assert scrubbers.count() == len(builders) >= 1
        assert page.get_by_text("Loading widget").count() == 0
        assert page.locator(".jupyter-widgets, .widget-area, script[type='application/vnd.jupyter.widget-view+json']").count() == 0
        stem = Path(path).stem
        for i in range(scrubbers.count()):
            scrubber = scrubbers.nth(i)
            scrubber.scroll_into_view_if_needed()
            frame = scrubber.locator("img.descent-scrubber-frame")
            background = scrubber.locator("img.descent-scrubber-background")
            for image in (frame, background):
                assert image.is_visible()
                assert image.evaluate("img => img.complete && img.naturalWidth") > 300
            slider = scrubber.locator("input[type=range]")
            value = scrubber.locator("output")
            # What the page holds, read from the browser: the frames and the label of each.
            held = read_scrubber(scrubber.evaluate("element => element.outerHTML"))
            held.background = background.evaluate(DATA_URL_OF)
            explorer = builders[i]()
            pictures = held.pictures()
            assert_frame_matches_label(explorer, held, pictures, frame, value)
            scrubber.screenshot(path=str(screenshots / f"{stem}-scrubber-{i}-before.png"))
            before = (frame.get_attribute("src"), value.inner_text(), slider.input_value())
            # Drag it like a reader: press on the handle, then use the keyboard.
            slider.focus()
            at_left_end = slider.input_value() == slider.get_attribute("min")
            for _ in range(8):
                page.keyboard.press("ArrowRight" if at_left_end else "ArrowLeft")
            after = (frame.get_attribute("src"), value.inner_text(), slider.input_value())
            assert after[2] != before[2], "the range input did not move"
            assert after[0] != before[0], "moving the slider did not change the frame"
            assert after[1] != before[1], "moving the slider did not change the label"
            assert_frame_matches_label(explorer, held, pictures, frame, value)
            page.wait_for_function("img => img.complete", arg=frame.element_handle())
            scrubber.screenshot(path=str(screenshots / f"{stem}-scrubber-{i}-after.png"))
            for key, end in (("End", "max"), ("Home", "min")):  # Both ends, far from the start.
                page.keyboard.press(key)
                assert slider.input_value() == slider.get_attribute(end)
                assert_frame_matches_label(explorer, held, pictures, frame, value)
            assert page.get_by_text("Binder or Colab").nth(i).is_visible()
        page.screenshot(path=str(screenshots / f"{stem}-page.png"), full_page=True)
        assert view.errors == [], view.errors
        assert view.blocked == [], view.blocked
    finally:
        view.close()
