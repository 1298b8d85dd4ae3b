"""A QuadraticExplorer in a real JupyterLab, driven by headless Chromium.

The test starts JupyterLab on 127.0.0.1 (a free port, a token, no browser of its own) with
a temporary folder holding a copy of a chapter, opens it, runs every cell as a reader
would, moves the explorer's learning-rate slider with the keyboard, and checks that the
figure (an ``ipywidgets.Image``) then shows the value the slider's readout shows: the
picture in the page is the one the same explorer, built here from the chapter's own cell,
draws at that value, and not the one it draws a step of the slider either side (whose
status line names another α). Screenshots before and after land in _build/screenshots/.
"""

from __future__ import annotations

import base64
import io
import math
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

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from test_explorer_frames import chapter_explorers, opaque, visible_difference
from test_explorers_browser import DATA_URL_OF

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


def decode(data_url: str) -> np.ndarray:
    """A JPEG or PNG ``data:`` URL as pixels (see :func:`test_explorer_frames.opaque`)."""
    image = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
    return opaque(np.asarray(image.convert("RGB")))


class LivePictures:
    """The frames the chapter's explorer sends to the widget, drawn here at any α.

    The slider moves on a grid, α = 10^(min + k·step); :meth:`near` gives the grid points
    around a readout, and :meth:`drawn` the frame at each, as the kernel sends it (JPEG).
    """

    def __init__(self):
        [(_, build)] = chapter_explorers(CHAPTER.stem)
        self.explorer = build()
        self.slider = self.explorer.sliders["learning_rate"]
        self._drawn: dict[int, np.ndarray] = {}

    def value(self, k: int) -> float:
        return self.slider.base ** (self.slider.min + k * self.slider.step)

    def drawn(self, k: int) -> np.ndarray:
        """The frame drawn at grid point k, straight from the explorer's drawing (not through
        the slider's observers, which are part of what the test checks)."""
        if k not in self._drawn:
            explorer = self.explorer
            assert explorer._safe_draw({**explorer._state(), "learning_rate": self.value(k)}) is None
            jpeg = explorer._canvas.frame()
            self._drawn[k] = decode("data:image/jpeg;base64," + base64.b64encode(jpeg).decode())
        return self._drawn[k]

    def near(self, readout: float, reach: int = 3) -> range:
        """The grid points within ``reach`` steps of the value the readout shows."""
        k = round((math.log(readout, self.slider.base) - self.slider.min) / self.slider.step)
        return range(k - reach, k + reach + 1)


def shows_the_readout(live: LivePictures, shown: np.ndarray, readout: str) -> tuple[bool, str]:
    """Whether the nearest of the pictures drawn around the readout is drawn at its value.

    The slider's readout rounds α to 3 digits; the grid points a step either side read
    differently (0.138, 0.141, 0.145), so exactly one of them is the readout's.
    """
    differences = {k: visible_difference(shown, live.drawn(k)) for k in live.near(float(readout))}
    nearest = min(differences, key=differences.get)
    at = live.value(nearest)
    runner_up = min(d for k, d in differences.items() if k != nearest)
    ok = (float(f"{at:.3g}") == float(readout) and differences[nearest] < runner_up
          and differences[nearest] < 0.01 * shown.shape[0] * shown.shape[1])
    return ok, (f"the slider reads α = {readout}; the figure is nearest to the one drawn at "
                f"α = {at:.4g} ({differences[nearest]} pixels differ; next nearest {runner_up})")


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

        readout = page.locator(".widget-slider .widget-readout").first  # learning rate α
        live = LivePictures()
        assert float(readout.inner_text()) == pytest.approx(live.slider.value)
        matches, why = shows_the_readout(live, decode(image.evaluate(DATA_URL_OF)), readout.inner_text())
        assert matches, why

        handle = page.locator(".widget-slider .noUi-handle").first
        handle.click()
        for _ in range(15):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("([img, old]) => img.src !== old && img.complete",
                               arg=[image.element_handle(), before], timeout=30_000)
        assert float(readout.inner_text()) > 0.1, readout.inner_text()
        # The frames of the moves before the last may still be arriving: wait until the
        # figure shows the readout's value (a minute at most: a timeout, not a speed test).
        deadline = time.monotonic() + 60
        while True:
            text = readout.inner_text()
            matches, why = shows_the_readout(live, decode(image.evaluate(DATA_URL_OF)), text)
            if matches or time.monotonic() > deadline:
                break
            page.wait_for_timeout(250)
        output.screenshot(path=str(screenshots / "jupyterlab-explorer-after.png"))
        assert matches, why
        assert image.get_attribute("src") != before
        assert blocked == [], blocked
    except Exception:
        page.screenshot(path=str(screenshots / "jupyterlab-failure.png"))
        raise
    finally:
        context.close()
