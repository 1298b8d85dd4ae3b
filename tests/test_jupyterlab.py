"""An explorer in a real JupyterLab, driven by headless Chromium.

The test starts JupyterLab on 127.0.0.1 (a free port, a token, no browser of its own, no
network) with a temporary folder holding a copy of a chapter's reader's edition (what
`make lab`, Binder and Colab open), opens it, runs every cell as a
reader would, and moves the explorer's learning-rate slider with the keyboard. The kernel
answers each move with the run ``descent`` computes; the test checks that the picture then
drawn is that run at the value the slider's readout shows (the page's result equals the
kernel's at the page's values), that no "Error displaying widget" appears, and that the
notebook, saved and opened again with no kernel running, shows the explorer in its last
state, with its sliders still live (the module computes in the page). Screenshots before,
after, and after reopening land in _build/screenshots/.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from explorer_cases import CHAPTER_EXPLORERS
from test_explorer_parity import compare_results, plain

pytestmark = [pytest.mark.browser, pytest.mark.book]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import jupyterlab_session as lab  # noqa: E402 - tools/ is not a package

# The chapter whose QuadraticExplorer (learning rate first, at 0.1) the reader drags, in
# the reader's edition the build writes.
CHAPTER = ROOT / "_build" / "readers" / "book" / "gd-quadratic.ipynb"


@pytest.fixture
def jupyterlab(built_book, tmp_path):
    """JupyterLab as `make lab` sets it up, on a folder holding a copy of the chapter."""
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(CHAPTER, root / CHAPTER.name)
    try:
        with lab.jupyterlab(root, tmp_path, timeout=40) as (url, token):
            yield url, token
    except RuntimeError as error:  # It did not start: say why, with its log.
        pytest.fail(str(error))


FIND = "[...document.querySelectorAll('.jp-OutputArea-output *')].find(e => e.descentExplorer)"


def on_explorer(body: str) -> str:
    """A page function running ``body`` with ``d`` = the explorer's test handle (or false)."""
    return "(arg) => { const el = " + FIND + "; const d = el && el.descentExplorer; " + body + " }"


def shown(page) -> dict:
    return page.evaluate(on_explorer(
        "return d && {values: d.values, result: JSON.parse(JSON.stringify(d.result, (k, v) => "
        "(typeof v === 'number' && !Number.isFinite(v)) ? null : v))};"))


def open_notebook(page, url, token):
    lab.open_notebook(page, url, token, CHAPTER.name)


def test_slider_moves_the_figure_in_jupyterlab(browser, jupyterlab, screenshots, tmp_path):
    url, token = jupyterlab
    [build] = CHAPTER_EXPLORERS[CHAPTER.stem]
    explorer = build()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked = []

    def route(request_route):
        if urlparse(request_route.request.url).hostname == "127.0.0.1" or \
                request_route.request.url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_notebook(page, url, token)
        # Run all cells from the menu, as a reader would.
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        canvas = page.locator(".jp-OutputArea-output canvas").first
        canvas.wait_for(state="visible", timeout=90_000)
        page.wait_for_function(on_explorer("return d && d.result && d.result.trajectory;"))
        # The kernel answers slider moves between cells: wait until every cell has run.
        page.wait_for_function("() => ![...document.querySelectorAll('.jp-InputPrompt')]"
                               ".some(p => p.innerText.includes('[*]'))", timeout=120_000)
        assert page.get_by_text("Error displaying widget").count() == 0
        output = page.locator(".jp-OutputArea-output:has(canvas)").first
        output.scroll_into_view_if_needed()
        output.screenshot(path=str(screenshots / "jupyterlab-explorer-before.png"))
        first = shown(page)
        assert first["values"]["learning_rate"] == pytest.approx(0.1)

        page.evaluate("() => { window.__kernel = 0; document.addEventListener('descent:drawn', "
                      "e => { if (e.detail && e.detail.source === 'kernel') window.__kernel++; }); }")
        slider = output.locator("input[type=range]").first
        slider.scroll_into_view_if_needed()
        # A click on the slider's label, as a reader's: JupyterLab makes the explorer's cell
        # the active one (else it takes the focus back to its active cell), and the label
        # focuses its slider without moving it.
        page.wait_for_timeout(1000)  # JupyterLab's last moves of Run All (scroll, focus).
        output.locator("label").first.click()
        page.wait_for_timeout(300)
        assert slider.evaluate("s => document.activeElement === s"), page.evaluate(
            "() => document.activeElement.outerHTML.slice(0, 200)")
        for _ in range(15):
            page.keyboard.press("ArrowRight")
        # Every move is answered by the kernel; the last answer is for the last value.
        try:
            page.wait_for_function(on_explorer(
                "return window.__kernel > 0 && d.result && d.resultValues && "
                "JSON.stringify(d.resultValues) === JSON.stringify(d.values);"), timeout=30_000)
        except PlaywrightTimeout:
            state = page.evaluate(on_explorer(
                "return {kernel: window.__kernel, values: d.values, resultValues: d.resultValues, "
                "active: document.activeElement && document.activeElement.outerHTML.slice(0, 200)};"))
            pytest.fail(f"the kernel's answer never matched the slider: {state}")
        after = shown(page)
        assert after["values"]["learning_rate"] > 0.1
        readout = slider.get_attribute("aria-valuetext")
        assert readout == f"α = {after['values']['learning_rate']:.3g}", readout
        problems, _ = compare_results(plain(explorer.compute(after["values"])), after["result"], "JupyterLab")
        assert not problems, problems[:3]
        output.screenshot(path=str(screenshots / "jupyterlab-explorer-after.png"))

        # Save (the widget state with it), shut the kernel down, and open the notebook again.
        saved_at = (tmp_path / "notebooks" / CHAPTER.name).stat().st_mtime_ns
        page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Save Notebook").first.click()
        deadline = time.monotonic() + 30
        while (tmp_path / "notebooks" / CHAPTER.name).stat().st_mtime_ns == saved_at:
            assert time.monotonic() < deadline, "the notebook was not saved"
            page.wait_for_timeout(200)
        page.wait_for_timeout(500)
        page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Shut Down Kernel").first.click()
        page.wait_for_timeout(1000)
        saved = json.loads((tmp_path / "notebooks" / CHAPTER.name).read_text())
        assert saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        page.reload()
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        try:
            page.locator(".jp-Dialog").get_by_role("button", name="No Kernel").click(timeout=10_000)
        except PlaywrightTimeout:
            pass
        canvas = page.locator(".jp-OutputArea-output canvas").first
        canvas.wait_for(state="visible", timeout=60_000)
        assert page.get_by_text("Error displaying widget").count() == 0
        reopened = shown(page)
        assert reopened["values"] == after["values"]
        output = page.locator(".jp-OutputArea-output:has(canvas)").first
        output.scroll_into_view_if_needed()
        output.screenshot(path=str(screenshots / "jupyterlab-explorer-reopened.png"))
        # With no kernel, the page computes the move itself.
        slider = output.locator("input[type=range]").first
        slider.scroll_into_view_if_needed()
        # A click on the slider's label, as a reader's: JupyterLab makes the explorer's cell
        # the active one (else it takes the focus back to its active cell), and the label
        # focuses its slider without moving it.
        output.locator("label").first.click()
        assert slider.evaluate("s => document.activeElement === s")
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(on_explorer(
            "return JSON.stringify(d.resultValues) === JSON.stringify(d.values) && "
            "d.values.learning_rate < arg;"), arg=after["values"]["learning_rate"], timeout=10_000)
        local = shown(page)
        problems, _ = compare_results(plain(explorer.compute(local["values"])), local["result"], "reopened")
        assert not problems, problems[:3]
        assert blocked == [], blocked
    except Exception:
        page.screenshot(path=str(screenshots / "jupyterlab-failure.png"))
        raise
    finally:
        context.close()
