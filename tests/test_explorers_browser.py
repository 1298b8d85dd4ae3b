"""The explorers on the book's static pages, in headless Chromium, with no kernel and no network.

Every chapter page that holds an explorer is opened at 1366 px and at 390 px (a phone, 3×
pixels), in light and in dark mode. On each explorer every control is moved with the
keyboard, and the test checks what a reader would see:

- the module mounted the explorer from the page's own data, and the data are the
  chapter's explorer (the spec the page carries equals the one Python builds);
- each control moves, says its value to a screen reader (``aria-valuetext``), and the
  picture changes; the values the page then shows are drawn from the run ``descent``
  computes at those values (the page's result equals the kernel's, to 1e-9);
- the canvas is sharp (its pixels are the CSS size times the device pixel ratio), nothing
  sticks out past the explorer's box, text is at least 11 CSS px, dark mode draws light
  ink on a dark page, and no error reaches the console.

Screenshots before and after moving two controls land in _build/screenshots/explorers/.
"""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from explorer_cases import CHAPTER_EXPLORERS, shown_result
from test_explorer_parity import compare_results, plain

pytestmark = [pytest.mark.book, pytest.mark.browser]

VIEWPORTS = {"desktop": ({"width": 1366, "height": 900}, 1), "phone": ({"width": 390, "height": 844}, 3)}


def page_specs(book_html, chapter: str) -> list[dict]:
    soup = BeautifulSoup((book_html / "book" / f"{chapter}.html").read_text(), "html.parser")
    return [json.loads(div.find("script", type="application/json").string)
            for div in soup.select("div.descent-explorer")]


@pytest.mark.parametrize("chapter", list(CHAPTER_EXPLORERS))
def test_pages_carry_the_chapters_explorers(built_book, chapter):
    """Each page's explorers are the chapter's, and the page loads the shared module once."""
    book_html = built_book
    on_page = page_specs(book_html, chapter)
    built = [build() for build in CHAPTER_EXPLORERS[chapter]]
    assert [d["spec"] for d in on_page] == [plain(e.spec) for e in built]
    assert [d["values"] for d in on_page] == [plain(e.values) for e in built]
    text = (book_html / "book" / f"{chapter}.html").read_text()
    assert text.count("_static/descent-explorer.js") == 1
    assert (book_html / "_static" / "descent-explorer.js").is_file()
    assert "descent-scrubber" not in text and "application/vnd.jupyter.widget-state" not in text


def set_theme(page, theme: str) -> None:
    """Light or dark as a reader picks it: the theme's stored choice, then a reload."""
    page.evaluate("t => { localStorage.setItem('mode', t); localStorage.setItem('theme', t); }", theme)
    page.reload()
    page.wait_for_function("t => document.documentElement.dataset.theme === t", arg=theme)


def luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", rgb)[:3])
    f = lambda c: c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4  # noqa: E731
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)


def colours(root) -> dict:
    """The colour the explorer is seen on (its first opaque ancestor's) and its text's."""
    return root.evaluate("""el => {
        let e = el, bg = 'rgba(0, 0, 0, 0)';
        while (e) {
            const c = getComputedStyle(e).backgroundColor;
            if (c && !c.startsWith('rgba(0, 0, 0, 0)') && !c.endsWith(', 0)')) { bg = c; break; }
            e = e.parentElement;
        }
        const text = el.querySelector('.dx-info, .dx-facts, label') || el;
        return {background: bg, text: getComputedStyle(text).color};
    }""")


def ink(root) -> dict:
    """The share of light and of dark pixels on the explorer's canvases.

    Panels whose colours are data (a heat map, listed by the canvas's ``data-images`` in
    CSS px) are left out: their colours do not follow the theme.
    """
    return root.evaluate("""el => {
        let light = 0, dark = 0, total = 0;
        for (const c of el.querySelectorAll('canvas')) {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const scale = c.width / c.getBoundingClientRect().width;
            const images = JSON.parse(c.dataset.images || '[]');
            for (let i = 0; i < d.length; i += 16) {
                if (d[i + 3] < 200) continue;
                const px = ((i / 4) % c.width) / scale, py = Math.floor(i / 4 / c.width) / scale;
                if (images.some(r => px >= r.x && px <= r.x + r.w && py >= r.y && py <= r.y + r.h)) continue;
                const y = (0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2]) / 255;
                total++; if (y > 0.75) light++; if (y < 0.25) dark++;
            }
        }
        return {light: light / Math.max(total, 1), dark: dark / Math.max(total, 1), total};
    }""")


def canvas_hash(root) -> str:
    """A digest of what the explorer shows: its canvases' pixels and its status lines."""
    return root.evaluate("""el => {
        let h = 2166136261;
        for (const c of el.querySelectorAll('canvas')) {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 16777619);
        }
        const text = [...el.querySelectorAll('.dx-status')].map(s => s.innerText).join('|');
        return (h >>> 0).toString(16) + '|' + text;
    }""")


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("chapter", list(CHAPTER_EXPLORERS))
def test_every_control_is_live(browser, site_url, screenshots, chapter, viewport, theme):
    size, scale = VIEWPORTS[viewport]
    context = browser.new_context(viewport=size, device_scale_factor=scale)
    blocked, errors = [], []

    def route(request_route):
        url = request_route.request.url
        if url.startswith((site_url, "data:", "blob:")):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    out = screenshots / "explorers"
    out.mkdir(exist_ok=True)
    try:
        page.goto(f"{site_url}/book/{chapter}.html")
        set_theme(page, theme)
        page.wait_for_timeout(600)  # The theme's colour transition.
        page.wait_for_function("() => [...document.querySelectorAll('div.descent-explorer')]"
                               ".every(el => el.descentExplorer)")
        roots = page.locator("div.descent-explorer")
        builds = CHAPTER_EXPLORERS[chapter]
        assert roots.count() == len(builds)
        for i, build in enumerate(builds):
            explorer = build()
            root = roots.nth(i)
            root.scroll_into_view_if_needed()
            page.wait_for_timeout(100)
            tag = f"{chapter}-{i + 1}-{viewport}-{theme}"
            root.screenshot(path=str(out / f"{tag}-before.png"))

            # Sharp: every canvas has device pixels = CSS pixels × the device pixel ratio.
            for c in root.evaluate("el => [...el.querySelectorAll('canvas')].map(c => "
                                   "[c.width, c.height, c.getBoundingClientRect().width, "
                                   "c.getBoundingClientRect().height, devicePixelRatio])"):
                assert c[0] == pytest.approx(c[2] * c[4], abs=2) and c[1] == pytest.approx(c[3] * c[4], abs=2), c
            # Nothing past the explorer's box or the viewport.
            widths = root.evaluate("el => [el.scrollWidth, el.clientWidth, "
                                   "el.getBoundingClientRect().right, innerWidth]")
            assert widths[0] <= widths[1] + 1 and widths[2] <= widths[3] + 1, widths
            # Text of the controls readable.
            smallest = root.evaluate("el => Math.min(...[...el.querySelectorAll('label, output, span, "
                                     "select, div')].filter(e => e.childNodes.length && e.innerText && "
                                     "e.innerText.trim()).map(e => parseFloat(getComputedStyle(e).fontSize)))")
            assert smallest >= 11, smallest
            # Seen on the page's own background, text legible on it (WCAG contrast ≥ 4.5).
            seen = colours(root)
            back, text = luminance(seen["background"]), luminance(seen["text"])
            assert (back < 0.1) if theme == "dark" else (back > 0.8), seen
            assert (max(back, text) + 0.05) / (min(back, text) + 0.05) >= 4.5, seen
            shade = ink(root)
            if theme == "dark":
                assert shade["light"] > 0.002 and shade["light"] > shade["dark"], shade
            else:
                assert shade["dark"] > 0.002 and shade["dark"] > shade["light"], shade

            controls = root.locator("input[type=range], select, input[type=checkbox]")
            moved = 0
            picked = explorer.values.get("optimizer", "adam")
            for k in range(controls.count()):
                control = controls.nth(k)
                if not control.is_visible():
                    continue
                before = canvas_hash(root)
                values_before = root.evaluate("el => JSON.stringify(el.descentExplorer.values)")
                kind = control.evaluate("c => c.tagName === 'SELECT' ? 'select' : c.type")
                if kind == "range":
                    control.focus()
                    for _ in range(3):
                        page.keyboard.press("ArrowRight")
                    if root.evaluate("el => JSON.stringify(el.descentExplorer.values)") == values_before:
                        for _ in range(6):  # At the top of its range: go the other way.
                            page.keyboard.press("ArrowLeft")
                    text = control.get_attribute("aria-valuetext") or ""
                    assert re.search(r"= \S", text), f"aria-valuetext {text!r}"
                elif kind == "select":
                    # Adam, if offered: the β₁ and β₂ sliders it brings are moved next.
                    options = control.evaluate("s => [...s.options].map(o => o.value)")
                    now = control.input_value()
                    pick = "adam" if "adam" in options and now != "adam" else \
                        options[(options.index(now) + 1) % len(options)]
                    control.select_option(pick)
                    picked = pick
                else:
                    control.focus()
                    page.keyboard.press("Space")
                page.wait_for_timeout(50)
                values = root.evaluate("el => el.descentExplorer.values")
                assert json.dumps(values, sort_keys=True) != values_before
                assert canvas_hash(root) != before, f"control {k} moved but the picture did not change"
                # The picture is the run descent computes at the values the controls show.
                shown = shown_result(root)
                problems, _ = compare_results(plain(explorer.compute(values)), shown, f"{tag} control {k}")
                assert not problems, problems[:3]
                moved += 1
                if moved == 2:
                    root.screenshot(path=str(out / f"{tag}-after-two.png"))
            # Every control the menu shows for the optimizer picked last (Adam where offered, so its
            # β₁ and β₂ too; a menu that starts on Adam ends on another optimizer).
            expected = [c for c in explorer.spec["controls"]
                        if "shown_for" not in c or picked in c["shown_for"]]
            assert moved >= len(expected), (moved, picked, [c["name"] for c in expected])
        assert not errors, errors
        assert blocked == [], blocked
    finally:
        context.close()
