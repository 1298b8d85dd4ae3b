"""The built site in headless Chromium, served on 127.0.0.1 with every other host blocked.

Screenshots land in _build/screenshots/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import expected_glue_texts

pytestmark = [pytest.mark.book, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[1]


class OfflinePage:
    """A page whose requests to any host but 127.0.0.1 are blocked and recorded."""

    def __init__(self, browser, url: str, viewport: dict | None = None):
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url, wait_until="networkidle")
        # MathJax typesets asynchronously; wait until it says it is done.
        if self.page.evaluate("() => !!document.querySelector('script[src*=mathjax]')"):
            self.page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            self.page.evaluate("() => MathJax.startup.promise")

    def _route(self, route):
        url = route.request.url
        if urlparse(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def close(self):
        self.context.close()


@pytest.fixture
def open_offline(browser):
    pages = []

    def opener(url):
        pages.append(OfflinePage(browser, url))
        return pages[-1]

    yield opener
    for page in pages:
        page.close()


def assert_math_rendered(page):
    assert page.locator("mjx-container").count() > 0, "no equation was typeset"
    # The prose, less the code (a Matplotlib label may rightly hold raw TeX there).
    text = page.evaluate("""() => {
        const main = document.querySelector('main').cloneNode(true);
        main.querySelectorAll('pre, .cell_input, .highlight').forEach(e => e.remove());
        return main.textContent;
    }""")
    for raw in ("\\theta", "\\lambda", "$$"):
        assert raw not in text, f"raw TeX {raw!r} is visible on the page"


def test_landing_page_offline(open_offline, site_url, screenshots):
    view = open_offline(f"{site_url}/book/intro.html")
    page = view.page
    page.screenshot(path=str(screenshots / "landing.png"), full_page=True)
    assert view.errors == [] and view.blocked == []
    assert "Descent" in page.title()
    assert_math_rendered(page)
    assert page.locator("table").filter(has_text="learning rate").count() == 1  # the notation table


def test_sample_chapter_offline(open_offline, site_url, screenshots):
    view = open_offline(f"{site_url}/book/first-descent.html")
    page = view.page
    page.screenshot(path=str(screenshots / "first-descent.png"), full_page=True)
    assert view.errors == [] and view.blocked == []
    assert_math_rendered(page)
    figures = page.locator(".cell_output img")
    assert figures.count() >= 2
    for i in range(figures.count()):
        figure = figures.nth(i)
        if not figure.is_visible():  # The phone's panels: loaded lazily, on a phone (test_site).
            continue
        figure.scroll_into_view_if_needed()
        figure.evaluate("img => img.complete || new Promise(r => { img.onload = r; img.onerror = r; })")
        width = figure.evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 150, f"figure {i} did not load"
    # The launch buttons: a dropdown holding a Binder and a Colab link for this chapter.
    binder = page.locator('a[href*="mybinder.org/v2/gh/"][href$="book/first-descent.ipynb"]')
    colab = page.locator('a[href*="colab.research.google.com/github/"][href$="book/first-descent.ipynb"]')
    assert binder.count() == 1 and colab.count() == 1
    page.locator(".dropdown-launch-buttons button").first.click()
    binder.wait_for(state="visible")
    page.screenshot(path=str(screenshots / "first-descent-launch-menu.png"))
    assert colab.is_visible()


CHAPTERS = sorted(path.stem for path in (ROOT / "book").glob("*.ipynb"))


def figure_spread(path: Path) -> float:
    """The standard deviation of a figure's grey levels: 0 for a blank image."""
    from PIL import Image, ImageStat

    return ImageStat.Stat(Image.open(path).convert("L")).stddev[0]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_offline(open_offline, site_url, built_book, screenshots, chapter):
    """Each chapter: no console error, no request off the site, equations typeset, every
    figure loaded and drawn (not blank), the glued numbers those the notebook computed, no
    raw glue placeholder or unrendered role left in the prose."""
    view = open_offline(f"{site_url}/book/{chapter}.html")
    page = view.page
    figures = page.locator(".cell_output img")
    assert figures.count() > 0, f"{chapter} shows no figure"
    for i in range(figures.count()):
        figure = figures.nth(i)
        if not figure.is_visible():  # The phone's panels: loaded lazily, on a phone (test_site).
            continue
        figure.scroll_into_view_if_needed()
        figure.evaluate("img => img.complete || new Promise(r => { img.onload = r; img.onerror = r; })")
        width = figure.evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 150, f"figure {i} of {chapter} did not load"
        src = figure.evaluate("img => img.closest('figure.descent-figure') ? img.src : ''")
        if src:  # A static figure (the explorers draw on canvases, not in images).
            local = built_book / urlparse(src).path.lstrip("/")
            assert figure_spread(local) > 10, f"figure {i} of {chapter} ({local.name}) is blank"
    page.screenshot(path=str(screenshots / f"chapter-{chapter}.png"), full_page=True)
    assert view.errors == [] and view.blocked == [], (view.errors, view.blocked)
    assert_math_rendered(page)
    text = page.locator("main").inner_text()
    for leftover in ("{glue:", "{cite:", "{prf:ref}", "{doc}`", "Loading widget"):
        assert leftover not in text, f"{leftover!r} left on the page of {chapter}"
    # textContent: a value in a collapsed solution is on the page, if not yet in view.
    shown = [t.strip() for t in page.locator(".pasted-text").evaluate_all("els => els.map(e => e.textContent)")]
    assert shown == expected_glue_texts(built_book, chapter), f"{chapter}: the glued numbers on the page differ from the notebook's"
