"""Shared fixtures: the built book, a local server for it, and a headless Chromium."""

from __future__ import annotations

import ast
import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
BUILD_LOG = ROOT / "_build" / "build.log"
SCREENSHOTS = ROOT / "_build" / "screenshots"


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the whole book once per test session, exactly as `make book` does.

    Set DESCENT_REUSE_BUILD=1 to test an existing _build/html while editing tests;
    `make test` and CI never set it.
    """
    if os.environ.get("DESCENT_REUSE_BUILD") == "1" and (HTML / "index.html").exists():
        return HTML
    BUILD_LOG.parent.mkdir(parents=True, exist_ok=True)
    with BUILD_LOG.open("w") as log:
        result = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "build_book.py")],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        )
    output = BUILD_LOG.read_text()
    print(output[-3000:])  # shown by pytest when a test using the book fails
    assert result.returncode == 0, f"the book build failed; last lines of {BUILD_LOG}:\n{output[-6000:]}"
    return HTML


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def site_url(built_book: Path):
    """The built site served on 127.0.0.1 by a server this fixture starts and stops."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def chromium_path() -> str:
    """Debian's Chromium (or DESCENT_CHROMIUM); Playwright never downloads a browser here."""
    path = os.environ.get("DESCENT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            f"no Chromium at {path}: install it (`sudo apt install chromium` on Debian) or set "
            "DESCENT_CHROMIUM to a Chrome or Chromium binary"
        )
    return path


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def module_page(browser):
    """A blank page running the explorers' ES module, its compute and status on ``window.__descent``.

    ``module_source`` is looked up when the fixture starts, so a test that swaps it (to break
    the module on purpose) is seen by the pages of its own module only.
    """
    from descent.explorers import widget

    page = browser.new_page()
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(content=widget.module_source() + "\nwindow.__descent = { compute, status };\n",
                        type="module")
    page.wait_for_function("() => window.__descent !== undefined")
    yield page
    page.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# ---------------------------------------------------------------------------------------
# What the executed notebooks glued, and what the pages show of it.

_GLUE_ROLE = re.compile(r"\{glue:text\}`([^`:]+)(?::([^`]*))?`")


def expected_glue_texts(book_html: Path, chapter: str) -> list[str]:
    """The text of every {glue:text} role of a chapter, in order, from its executed notebook.

    The values come from what the build's kernel glued (``_build/jupyter_execute``), each
    formatted with its role's format spec: what the page must show, role by role.
    """
    executed = book_html.parent / "jupyter_execute" / "book"
    nb = json.loads((executed / f"{chapter}.ipynb").read_text())
    glued = json.loads((executed / f"{chapter}.glue.json").read_text())
    texts = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for name, fmt in _GLUE_ROLE.findall("".join(cell["source"])):
            plain = glued[name]["data"]["text/plain"]
            try:
                value = ast.literal_eval(plain)
            except (ValueError, SyntaxError):
                value = plain
            texts.append(format(value, fmt) if fmt else str(value))
    return texts


def glued_on_page(book_html: Path, chapter: str) -> list[str]:
    """The glued values a built page shows, in order (myst-nb's ``pasted-text`` spans)."""
    page = (book_html / "book" / f"{chapter}.html").read_text()
    return [html.unescape(t) for t in re.findall(r'<span class="pasted-text">([^<]*)</span>', page)]
