"""JupyterLab as `make lab` sets it up, started on 127.0.0.1 for a test or a benchmark.

:func:`jupyterlab` starts the server on a free port with a token, no browser of its own and
nothing that reaches the network (no news, no update check, no extension manager), with
the two settings `make lab` installs: widget state saved with a notebook
(``jupyterlab-overrides.json``) and kernel websockets without Nagle's algorithm
(``jupyter_server_config.py``; ``stock=True`` leaves the stock server's behaviour, the
benchmark's baseline). :func:`open_notebook` opens a notebook in a Playwright page and
takes the notebook's own kernel if JupyterLab asks.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

TOOLS = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(root: Path, workdir: Path, *, stock: bool = False,
               timeout: float = 60) -> Iterator[tuple[str, str]]:
    """JupyterLab serving ``root``, its settings and log in ``workdir``: yields (url, token).

    Raises RuntimeError, with the end of the server's log, if it does not answer in ``timeout`` s.
    """
    port, token = free_port(), secrets.token_hex(16)
    settings = workdir / "app-settings"
    settings.mkdir(parents=True, exist_ok=True)
    shutil.copy(TOOLS / "jupyterlab-overrides.json", settings / "overrides.json")
    config = workdir / "config"
    config.mkdir(parents=True, exist_ok=True)
    shutil.copy(TOOLS / "jupyter_server_config.py", config / "jupyter_server_config.py")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config),
           "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(workdir / "user-settings"),
           "DESCENT_STOCK_SERVER": "1" if stock else "0"}
    log_path = workdir / "jupyterlab.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--ServerApp.open_browser=False",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--LabApp.extension_manager=readonly", f"--LabApp.app_settings_dir={settings}"]
            + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.flush()
                        raise RuntimeError("JupyterLab did not start:\n" + log_path.read_text()[-3000:])
                    time.sleep(0.5)
            yield url, token
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def open_notebook(page, url: str, token: str, name: str) -> None:
    """Open notebook ``name`` in ``page``; if JupyterLab asks which kernel, take the notebook's."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{url}/lab/tree/{name}?token={token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    select = page.locator(".jp-Dialog").get_by_role("button", name="Select")
    try:
        select.wait_for(state="visible", timeout=15_000)
        select.click()
    except PlaywrightTimeout:
        pass
