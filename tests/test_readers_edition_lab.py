"""A reader's-edition chapter in real JupyterLab, as `make lab` opens it, driven by Chromium.

The test copies the edition the build wrote into a folder the way `make lab` does
(``tools/lab_notebooks.py``), starts JupyterLab on it as `make lab` sets it up, and opens a
chapter. Opening it must not modify it. Then it runs every cell from the menu, as a reader
would, and reads the page: no raw MyST markup anywhere in the rendered text, a number the
site shows is in the prose, every exercise's solution is collapsed until clicked, no cell
failed. Screenshots of the chapter (light and dark) land in _build/screenshots/.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import glued_on_page
from test_readers_edition import RAW_MARKUP

pytestmark = [pytest.mark.browser, pytest.mark.book]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import jupyterlab_session as lab  # noqa: E402 - tools/ is not a package
import lab_notebooks  # noqa: E402

CHAPTER = "first-descent"
MARKDOWN_TEXT = "() => [...document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')]" \
                ".map(e => e.textContent).join('\\n')"


@pytest.fixture
def jupyterlab(built_book, tmp_path):
    folder = tmp_path / "lab"
    copied, kept = lab_notebooks.sync(built_book.parent / "readers" / "book", folder)
    assert f"{CHAPTER}.ipynb" in copied and not kept
    try:
        with lab.jupyterlab(folder, tmp_path, timeout=40) as (url, token):
            yield url, token, folder
    except RuntimeError as error:  # It did not start: say why, with its log.
        pytest.fail(str(error))


def test_readers_edition_in_jupyterlab(browser, jupyterlab, built_book, screenshots):
    url, token, folder = jupyterlab
    path = folder / f"{CHAPTER}.ipynb"
    before = path.read_bytes()
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1"
                  or r.request.url.startswith(("data:", "blob:")) else r.abort())
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        lab.open_notebook(page, url, token, path.name)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        page.wait_for_timeout(3000)  # JupyterLab writes the kernel's report into the model now.
        # Opened, with its kernel up: not modified, in the page or on disk.
        assert page.locator(".lm-TabBar-tab.jp-mod-dirty").count() == 0, "opening the chapter marked it modified"
        assert path.read_bytes() == before
        page.screenshot(path=str(screenshots / "jupyterlab-readers-edition-top.png"))

        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        # Every cell has run when no prompt says [*] and the last cell's says [n].
        page.wait_for_function(
            "() => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
            ".map(e => e.textContent); return p.length > 0 && !p.some(t => t.includes('*')) && "
            "/\\[\\d+\\]/.test(p[p.length - 1]); }", timeout=180_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        # The settings `make lab` installs keep JupyterLab's news question off the chapter.
        assert page.get_by_text("notified about official Jupyter news").count() == 0
        outputs = page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output')]"
                                ".map(e => e.textContent).join('\\n')")
        assert "Traceback" not in outputs and "Error displaying widget" not in outputs

        text = page.evaluate(MARKDOWN_TEXT)
        for raw in RAW_MARKUP:
            assert raw not in text, f"raw {raw!r} on the page: ...{text[max(0, text.find(raw) - 80):][:200]}..."
        numbers = [value for value in glued_on_page(built_book, CHAPTER) if any(ch.isdigit() for ch in value)]
        assert numbers
        for value in numbers:
            assert value in text, f"the site's glued {value!r} is not in the chapter's text"

        # Exercises are headed; each solution is collapsed until its summary is clicked.
        details = page.locator(".jp-RenderedMarkdown details")
        solutions = before.decode().count("<details>")
        assert solutions >= 3 and details.count() == solutions
        assert page.evaluate("() => [...document.querySelectorAll('.jp-RenderedMarkdown details')]"
                             ".every(d => !d.open)")
        heading = page.locator(".jp-RenderedMarkdown h3", has_text="Exercise").first
        heading.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "jupyterlab-readers-edition-exercise.png"))
        first = details.first
        first.locator("summary").click()
        assert first.evaluate("d => d.open")
        first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "jupyterlab-readers-edition-solution.png"))

        # The dark theme, as a reader may have it.
        page.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
        page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Dark").first.click()
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
        page.wait_for_timeout(500)
        page.screenshot(path=str(screenshots / "jupyterlab-readers-edition-dark.png"))
    except Exception:
        page.screenshot(path=str(screenshots / "jupyterlab-readers-edition-failure.png"))
        raise
    finally:
        context.close()
