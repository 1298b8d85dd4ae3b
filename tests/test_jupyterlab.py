"""A QuadraticExplorer in a real JupyterLab, driven by headless Chromium.

The test starts JupyterLab on 127.0.0.1 (a free port, a token, no browser of its own) with
a temporary folder holding a copy of a chapter, opens it, runs every cell as a reader
would, moves the explorer's learning-rate slider with the keyboard, and checks that the
figure (an ``ipywidgets.Image``) shows a new frame. Screenshots before and after land in
_build/screenshots/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
# The chapter whose QuadraticExplorer (learning rate first, at 0.1) the reader drags.
CHAPTER = ROOT / "book" / "gd-quadratic.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(CHAPTER, root / CHAPTER.name)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    log = (tmp_path / "jupyterlab.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--ServerApp.open_browser=False",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         # Nothing may reach the network: no news, no update check, no PyPI extension manager.
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield url, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_slider_moves_the_figure_in_jupyterlab(browser, jupyterlab, screenshots):
    url, token = jupyterlab
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
        page.goto(f"{url}/lab/tree/{CHAPTER.name}?token={token}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        # JupyterLab may ask which kernel to start: take the notebook's own, Python 3.
        select = page.locator(".jp-Dialog").get_by_role("button", name="Select")
        try:
            select.wait_for(state="visible", timeout=15_000)
            select.click()
        except PlaywrightTimeout:
            pass
        # Run all cells from the menu, as a reader would.
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

        image = page.locator(".jp-OutputArea-output img.widget-image")
        image.wait_for(state="visible", timeout=50_000)
        page.wait_for_function("img => img.complete && img.naturalWidth > 300", arg=image.element_handle())
        assert page.get_by_text("Error displaying widget").count() == 0
        output = page.locator(".jp-OutputArea-output").filter(has=page.locator("img.widget-image"))
        output.scroll_into_view_if_needed()
        output.screenshot(path=str(screenshots / "jupyterlab-explorer-before.png"))
        before = image.get_attribute("src")

        handle = page.locator(".widget-slider .noUi-handle").first  # learning rate α
        handle.click()
        for _ in range(15):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("([img, old]) => img.src !== old && img.complete",
                               arg=[image.element_handle(), before], timeout=30_000)
        readout = page.locator(".widget-slider .widget-readout").first.inner_text()
        assert readout not in ("0.1", "0.100"), readout
        output.screenshot(path=str(screenshots / "jupyterlab-explorer-after.png"))
        assert image.get_attribute("src") != before
        assert blocked == [], blocked
    except Exception:
        page.screenshot(path=str(screenshots / "jupyterlab-failure.png"))
        raise
    finally:
        context.close()
