"""What a reader meets on every page of the built site, at 1366 px and on a phone (390 px).

Each test here checks a defect a reader found (issue 9), on every page of the real book:
figures at their true shape, figure text readable on a phone, equations and code that
scroll or wrap instead of being clipped, alt text that describes, a bibliography that
typesets its math and labels its entries as the text cites them, and exercises numbered
within their chapter.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_browser import OfflinePage

pytestmark = [pytest.mark.book, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(path.stem for path in (ROOT / "book").glob("*.ipynb"))
PAGES = ["intro", *CHAPTERS, "bibliography"]
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
# descent.figures.show draws at 200 pixels per inch: a point of text is 200/72 pixels.
PIXELS_PER_POINT = 200 / 72
SMALLEST_POINTS = 10  # Matplotlib's default size for tick labels, legends and labels.
READABLE_CSS_PX = 8.0


def open_page(browser, site_url: str, page: str, device: str) -> OfflinePage:
    view = OfflinePage(browser, f"{site_url}/book/{page}.html", viewport=VIEWPORTS[device])
    # Images below the fold load lazily: bring each into view so that it has loaded.
    view.page.evaluate("""async () => {
        for (const img of document.querySelectorAll('article.bd-article img')) {
            if (img.getClientRects().length === 0) continue;  // Not shown here: never loaded (lazy).
            img.scrollIntoView();
            if (!img.complete) await new Promise(r => { img.onload = r; img.onerror = r; });
        }
        window.scrollTo(0, 0);
    }""")
    return view


@pytest.fixture(scope="module", params=[(p, d) for p in PAGES for d in VIEWPORTS], ids=lambda p: f"{p[0]}-{p[1]}")
def page_view(request, browser, site_url):
    page, device = request.param
    view = open_page(browser, site_url, page, device)
    yield page, device, view.page
    view.close()


@pytest.fixture(scope="module", params=PAGES)
def desktop_view(request, browser, site_url):
    """For what does not depend on the screen: the page's markup."""
    view = open_page(browser, site_url, request.param, "desktop")
    yield request.param, view.page
    view.close()


IMAGES = """() => [...document.querySelectorAll('article.bd-article img')].filter(img => {
    const r = img.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(img).visibility !== 'hidden';
}).map(img => ({
    src: img.getAttribute('src').slice(-40), alt: img.getAttribute('alt'), cls: img.className,
    naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
    width: img.getBoundingClientRect().width, height: img.getBoundingClientRect().height,
    figure: !!img.closest('.cell_output') && !img.closest('div.descent-explorer'),
}))"""


def test_every_image_keeps_its_aspect_ratio(page_view):
    page, device, page_ = page_view
    for img in page_.evaluate(IMAGES):
        assert img["naturalWidth"] > 0, f"{page} ({device}): an image did not load: {img['src']}"
        natural = img["naturalWidth"] / img["naturalHeight"]
        shown = img["width"] / img["height"]
        assert abs(shown / natural - 1) < 0.01, (
            f"{page} ({device}): {img['src']} is drawn at aspect {shown:.3f}, its own is {natural:.3f}"
        )


def test_every_image_fits_the_column(page_view):
    page, device, page_ = page_view
    column = page_.evaluate("() => document.querySelector('main article, main').getBoundingClientRect().right")
    for img in page_.evaluate(IMAGES):
        assert img["width"] <= VIEWPORTS[device]["width"], f"{page} ({device}): {img['src']} is wider than the screen"
    assert column <= VIEWPORTS[device]["width"] + 1


def test_static_figures_have_descriptions(desktop_view):
    """No alt text is a file path; every figure's alt says something. (The explorers draw
    on canvases inside div.descent-explorer, not in images: tests/test_explorers_browser.py.)"""
    page, page_ = desktop_view
    alts = page_.evaluate("""() => [...document.querySelectorAll('article.bd-article img')].filter(
        img => !img.closest('div.descent-explorer')).map(img => ({alt: img.getAttribute('alt'), cls: img.className}))""")
    for img in alts:
        alt = img["alt"] or ""
        assert not re.search(r"(\.png|\.jpe?g|\.svg|_images/)", alt), f"{page}: alt text is a path: {alt!r}"
        assert len(alt.split()) >= 4, f"{page}: alt text {alt!r} does not describe the figure"


def test_every_static_figure_is_shown_by_descent_figures(desktop_view):
    """Chapters show figures with descent.figures.show (alt text, phone layout), never bare."""
    page, page_ = desktop_view
    bare = page_.evaluate("""() => [...document.querySelectorAll('article.bd-article .cell_output img')].filter(
        img => !img.closest('figure.descent-figure') && !img.closest('div.descent-explorer')).length""")
    assert bare == 0, f"{page}: {bare} figure(s) not shown with descent.figures.show"


def test_figure_text_is_readable(page_view):
    """On a phone and in a desktop's text column alike: a figure too wide to keep its text
    readable shows its panels instead (descent.figures)."""
    page, device, page_ = page_view
    for img in page_.evaluate(IMAGES):
        if not img["figure"]:  # Not a cell's figure (the explorers draw on canvases, tested apart).
            continue
        css_px_per_point = img["width"] / img["naturalWidth"] * PIXELS_PER_POINT
        text = SMALLEST_POINTS * css_px_per_point
        assert text >= READABLE_CSS_PX, (
            f"{page}: in figure {img['src']} (alt {img['alt'][:60]!r}) 10-point text is {text:.1f} CSS px "
            f"at {VIEWPORTS[device]['width']} px ({device}); it must be ≥ {READABLE_CSS_PX}"
        )


CLIPPED = """() => {
  const clipped = [];
  for (const el of document.querySelectorAll('main mjx-container, main code')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    let right = document.documentElement.clientWidth, scrolls = false;
    for (let a = el.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible') continue;
      if ((s.overflowX === 'auto' || s.overflowX === 'scroll')) { scrolls = true; break; }
      right = Math.min(right, a.getBoundingClientRect().right);
    }
    const self = getComputedStyle(el);
    if (self.overflowX === 'auto' || self.overflowX === 'scroll') {
      if (r.right <= right + 1) continue;  // It scrolls itself, inside the visible column.
    }
    if (!scrolls && r.right > right + 1) clipped.push((el.textContent || '').slice(0, 60));
  }
  return clipped;
}"""


def test_no_equation_or_code_is_clipped(page_view):
    page, device, page_ = page_view
    clipped = page_.evaluate(CLIPPED)
    assert clipped == [], f"{page} ({device}): clipped, neither scrolling nor wrapping: {clipped}"


def test_bibliography_typesets_math_and_labels_author_year(browser, site_url):
    view = open_page(browser, site_url, "bibliography", "desktop")
    try:
        page = view.page
        text = page.locator("main").inner_text()
        assert "$" not in text, "raw TeX ($…$) on the bibliography page"
        nesterov = page.locator(".citation", has_text="Nesterov").filter(has_text="convex programming")
        assert nesterov.locator("mjx-container").count() == 1, "O(1/k²) in Nesterov (1983) is not typeset"
        labels = page.locator(".citation > .label").all_inner_texts()
        assert labels, "no bibliography entries"
        for label in labels:
            assert re.fullmatch(r"\[?[^\[\]]+, (\d{4}[a-z]?|n\.d\.)\]?", label.strip()), f"label {label!r} is not author–year"
        assert "Nesterov, 1983" in " ".join(labels)
    finally:
        view.close()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exercise_numbers_restart_in_each_chapter(browser, site_url, chapter):
    view = open_page(browser, site_url, chapter, "desktop")
    try:
        titles = view.page.locator(".exercise .admonition-title").all_inner_texts()
        numbers = [re.search(r"Exercise ([\d.]+)", t).group(1) for t in titles if "Exercise" in t]
        assert numbers, f"{chapter} has no numbered exercise"
        within = [int(n.split(".")[-1]) for n in numbers]
        assert within == list(range(1, len(numbers) + 1)), f"{chapter}: exercises numbered {numbers}"
        chapter_prefixes = {n.rsplit(".", 1)[0] for n in numbers if "." in n}
        assert len(chapter_prefixes) == 1, f"{chapter}: exercise numbers {numbers} do not name one chapter"
    finally:
        view.close()
