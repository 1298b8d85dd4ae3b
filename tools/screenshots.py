"""Screenshot the built book as readers see it: desktop and phone, light and dark.

    python tools/screenshots.py [OUT_DIR] [PAGE ...]

Serves ``_build/html`` on 127.0.0.1, opens each page (default: every chapter) in
headless Chromium at 1366×900 and at 390×844 (a phone, device scale 3), in light and
dark mode, and writes ``OUT_DIR/<page>-<desktop|phone>-<light|dark>.png`` (full page)
plus one PNG per figure (``…-fig<N>.png``) so that a person can look at every figure at
the size a reader gets. Every host but 127.0.0.1 is blocked, as in the tests.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
VIEWPORTS = {"desktop": ({"width": 1366, "height": 900}, 1), "phone": ({"width": 390, "height": 844}, 3)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _offline(route):
    url = route.request.url
    if urlparse(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort()


def main(out: Path, pages: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    server, base = _serve(HTML)
    chromium = os.environ.get("DESCENT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
            for name in pages:
                for device, (viewport, scale) in VIEWPORTS.items():
                    for mode in ("light", "dark"):
                        context = browser.new_context(viewport=viewport, device_scale_factor=scale,
                                                      color_scheme=mode)
                        context.add_init_script(f"localStorage.setItem('mode', '{mode}');"
                                                f"localStorage.setItem('theme', '{mode}');")
                        context.route("**/*", _offline)
                        page = context.new_page()
                        page.goto(f"{base}/book/{name}.html", wait_until="networkidle")
                        page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
                        # Figures load lazily, when scrolled near: load them all before the
                        # full-page capture, or it shows blank boxes below the first screen.
                        page.evaluate("""() => Promise.all([...document.images].map(img => {
                            img.loading = "eager";
                            return img.complete ? null : new Promise(done => {
                                img.addEventListener("load", done, {once: true});
                                img.addEventListener("error", done, {once: true});
                            });
                        }))""")
                        stem = f"{name}-{device}-{mode}"
                        page.screenshot(path=str(out / f"{stem}.png"), full_page=True)
                        if mode == "light":
                            figures = page.locator("main img")
                            for i in range(figures.count()):
                                figure = figures.nth(i)
                                if figure.is_visible():
                                    figure.scroll_into_view_if_needed()
                                    figure.screenshot(path=str(out / f"{stem}-fig{i}.png"))
                        context.close()
                        print("wrote", stem, flush=True)
            browser.close()
    finally:
        server.shutdown()


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "screenshots" / "pages"
    pages = sys.argv[2:] or ["intro"] + sorted(p.stem for p in (ROOT / "book").glob("*.ipynb")) + ["bibliography"]
    main(out, pages)
