"""How fast an explorer answers a slider, as a reader meets it: in Chromium, static page and JupyterLab.

    python benchmarks/explorers_browser.py             [--moves N]   # both
    python benchmarks/explorers_browser.py static      [--moves N]
    python benchmarks/explorers_browser.py jupyterlab  [--moves N] [--lab-explorer momentum] [--screenshots DIR]

``static``: every explorer of the book's chapters (built here as the chapters build them;
Part II's are read from their chapter's cell) on one page served from 127.0.0.1, with the
module the site serves and no kernel. Each visible slider of each explorer is moved with the
keyboard; for every move the renderer records the time it
spent (compute + draw) and the page records key press → frame drawn. The baseline, measured
in the same run on the same page, is the same redraw with nothing cached (every layer drawn
again, contours recomputed): the ratio says what the cached layers buy. Page weight: the
bytes each explorer adds to its page, and the shared module's.

``jupyterlab``: a real JupyterLab (127.0.0.1, no network) runs a notebook holding the
gd-quadratic chapter's QuadraticExplorer with every control (``--lab-explorer momentum``:
the momentum chapter's MomentumExplorer; ``--screenshots DIR`` saves its output); the learning-rate slider is
moved with the keyboard, one move at a time, and each move is timed from the key press to
the frame drawn from the kernel's answer, with the kernel's own compute time beside it. The
baselines, measured in the same run: the browser computing the same move itself (no
kernel), and the whole measurement again with the stock Jupyter Server, without the
setting of tools/jupyter_server_config.py that `make lab` and Binder install (kernel
websockets without Nagle's algorithm). Then every optimizer of the menu is picked once: the
time to its first frame is the first-use time. "Painted" is when the frame is drawn, in
the animation-frame callback that precedes the browser's paint.

Both print a table and end with one JSON line. Run on an otherwise idle machine: the figures
are wall-clock times.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import jupyterlab_session as lab  # noqa: E402 - tools/ is not a package
import notebooks  # noqa: E402
CHROMIUM = os.environ.get("DESCENT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# The explorers of the chapters, built as the chapters build them.
CHAPTER_EXPLORERS = {
    "first-descent: two bowls": "QuadraticExplorer(eigenvalues=(1.0, 5.0), learning_rate=0.3, steps=40, "
                                "sliders=['learning_rate'])",
    "first-descent: race": "Explorer(rosenbrock())",
    "gd-quadratic": "QuadraticExplorer(eigenvalues=(1.0, 6.0), angle=np.pi / 16, init=(9.5, -1.0), "
                    "optimizer='gd', learning_rate=0.1, steps=50, main='learning_rate', "
                    "sliders=['learning_rate', 'lambda1', 'lambda2'])",
    "learning-vs-optimization": "MinibatchExplorer(batch_size=8, learning_rate=0.2)",
    "preconditioning": "QuadraticExplorer(eigenvalues=(1.0, 20.0), angle=0.0, init=(9.5, -1.0), "
                       "optimizer='preconditioned (diagonal)', learning_rate=1.0, steps=50, "
                       "main='angle', sliders=['optimizer', 'angle', 'learning_rate', 'lambda1', 'lambda2'])",
    "why-hard": "Explorer(saddle(), optimizers={'gd': {'learning_rate': 0.05}, "
                "'momentum': {'learning_rate': 0.05, 'momentum': 0.9}, 'adam': {'learning_rate': 0.05}}, "
                "steps=300)",
}
IMPORTS = ("import numpy as np\n"
           "from descent.explorers import AdaptiveExplorer, Explorer, LossCurveExplorer, MinibatchExplorer, "
           "MomentumExplorer, NoisyQuadraticExplorer, QuadraticExplorer, ScheduleExplorer\n"
           "from descent.problems import rosenbrock, saddle\n")


def chapter_call(chapter: str, name: str) -> str:
    """The call ``name(...)`` that ends a code cell of ``book/<chapter>.ipynb``, as source.

    Part II's explorers are read from their chapters, so the benchmark measures what the
    page shows. A chapter without that cell (not written yet) gives the default ``name()``.
    """
    return notebooks.final_call(ROOT / "book" / f"{chapter}.ipynb", name) or f"{name}()"


CHAPTER_EXPLORERS["sgd"] = chapter_call("sgd", "NoisyQuadraticExplorer")
CHAPTER_EXPLORERS["schedules"] = chapter_call("schedules", "ScheduleExplorer")
CHAPTER_EXPLORERS["momentum"] = chapter_call("momentum", "MomentumExplorer")
for _chapter in ("adaptive", "adam", "soft-targets"):
    for _name, _source in notebooks.final_calls(ROOT / "book" / f"{_chapter}.ipynb",
                                                ("AdaptiveExplorer", "LossCurveExplorer")):
        CHAPTER_EXPLORERS[f"{_chapter}: {_name}"] = _source

# Page-side instrumentation: key press → the explorer's next drawn frame.
INSTRUMENT = """
() => {
  window.__moves = [];
  window.__draws = [];
  let pending = null;
  document.addEventListener("keydown", (event) => { pending = performance.now(); window.__sent = null; }, true);
  // When the page hands the move to the kernel: the first websocket frame after the key.
  if (!WebSocket.prototype.__descentTimed) {
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      if (pending !== null && window.__sent === null) window.__sent = performance.now() - pending;
      return send.call(this, data);
    };
    WebSocket.prototype.__descentTimed = true;
  }
  document.addEventListener("descent:drawn", (event) => {
    const detail = event.detail || {};
    window.__draws.push({at: performance.now(), source: detail.source});
    if (pending === null) return;
    window.__moves.push({latency: performance.now() - pending, ms: detail.ms, source: detail.source,
                         kernel_ms: detail.kernel_ms,
                         arrived: detail.arrived === undefined ? null : detail.arrived - pending,
                         sent: window.__sent});
    pending = null;
  }, true);
}
"""


def percentiles(values) -> dict[str, float]:
    values = np.asarray([v for v in values if v is not None], dtype=float)
    if values.size == 0:
        return {"n": 0}
    return {"n": int(values.size), "median": round(float(np.median(values)), 2),
            "p95": round(float(np.percentile(values, 95)), 2), "max": round(float(values.max()), 2)}


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def offline(context) -> list[str]:
    blocked: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    context.route("**/*", route)
    return blocked


# ---------------------------------------------------------------------------------------
# The static page.


def static_page(folder: Path) -> dict[str, int]:
    """Write the page and the module into ``folder``; return each explorer's bytes on it."""
    from descent.explorers.widget import module_source
    namespace: dict = {}
    exec(IMPORTS, namespace)
    parts, sizes = [], {}
    for name, source in CHAPTER_EXPLORERS.items():
        html = eval(source, namespace).static_html()
        sizes[name] = len(html.encode())
        parts.append(f"<h2>{name}</h2>\n{html}")
    (folder / "descent-explorer.js").write_text(module_source())
    (folder / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body style='max-width:1000px;margin:auto;font-family:sans-serif'>\n"
        + "\n".join(parts)
        + "\n<script type='module' src='descent-explorer.js'></script></body></html>")
    return sizes


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


_PHASE = np.random.default_rng(0)


def press_and_wait(page, key: str) -> None:
    """Press ``key`` and wait for the explorer's next frame (none comes at a range's end).

    The press waits first a random part of a display frame: a reader's key press falls
    anywhere within one, not just after the last.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    count = page.evaluate("() => window.__moves.length")
    page.wait_for_timeout(float(_PHASE.uniform(0, 1000 / 60)))
    page.keyboard.press(key)
    try:
        page.wait_for_function("n => window.__moves.length > n", arg=count, timeout=2000)
    except PlaywrightTimeout:
        pass


def bench_static(moves: int) -> dict:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="descent-bench-"))
    sizes = static_page(folder)
    module_bytes = (folder / "descent-explorer.js").stat().st_size
    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out: dict = {"bytes_per_explorer": sizes, "module_bytes": module_bytes, "explorers": {}}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            blocked = offline(context)
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
            page.wait_for_function("document.querySelectorAll('div.descent-explorer').length > 0 && "
                                   "[...document.querySelectorAll('div.descent-explorer')]"
                                   ".every(el => el.descentExplorer)")
            page.evaluate(INSTRUMENT)
            roots = page.locator("div.descent-explorer")
            for i, name in enumerate(CHAPTER_EXPLORERS):
                root = roots.nth(i)
                root.scroll_into_view_if_needed()
                sliders = root.locator("input[type=range]")
                page.evaluate("() => { window.__moves = []; }")
                for s in range(sliders.count()):
                    slider = sliders.nth(s)
                    if not slider.is_visible():  # A control its menu hides (β for gd, W for step decay).
                        continue
                    slider.focus()
                    for k in range(moves):
                        # Sweep up then back, so a slider at its end still moves.
                        press_and_wait(page, "ArrowRight" if (k // 20) % 2 == 0 else "ArrowLeft")
                moved = page.evaluate("() => window.__moves")
                # The baseline: the same redraw with nothing cached, on the same page.
                full = root.evaluate(f"el => {{ const t = []; for (let k = 0; k < {moves}; k++) {{"
                                     "const s = performance.now(); el.descentExplorer.redraw({full: true});"
                                     "t.push(performance.now() - s); } return t; }")
                cached = [m["ms"] for m in moved]
                out["explorers"][name] = {
                    "moves": len(moved),
                    "redraw_ms": percentiles(cached),
                    "key_to_drawn_ms": percentiles([m["latency"] for m in moved]),
                    "uncached_redraw_ms": percentiles(full),
                }
            out["blocked_requests"] = blocked
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    return out


def print_static(out: dict) -> None:
    print(f"shared module: {out['module_bytes'] / 1e3:.1f} kB")
    print(f"{'explorer':34} {'bytes':>8} {'moves':>6} {'redraw med/p95 ms':>18} "
          f"{'key→drawn med/p95':>18} {'uncached med':>13} {'ratio':>6}")
    for name, e in out["explorers"].items():
        r, k, u = e["redraw_ms"], e["key_to_drawn_ms"], e["uncached_redraw_ms"]
        ratio = u["median"] / r["median"] if r.get("n") and r["median"] > 0 else float("nan")
        print(f"{name:34} {out['bytes_per_explorer'][name]:>8} {e['moves']:>6} "
              f"{r.get('median', float('nan')):>8.2f}/{r.get('p95', float('nan')):<8.2f} "
              f"{k.get('median', float('nan')):>8.2f}/{k.get('p95', float('nan')):<8.2f} "
              f"{u.get('median', float('nan')):>13.2f} {ratio:>6.1f}")


# ---------------------------------------------------------------------------------------
# JupyterLab.

LAB_CELLS = {
    "quadratic": ("import numpy as np\nfrom descent.explorers import QuadraticExplorer\n"
                  "QuadraticExplorer(eigenvalues=(1.0, 6.0), angle=np.pi / 16, init=(9.5, -1.0), "
                  "optimizer='gd', learning_rate=0.1, steps=50)"),
    # The momentum chapter's explorer: its kernel answer carries Goh's map as well as the run.
    "momentum": "from descent.explorers import MomentumExplorer\nMomentumExplorer()",
    # The adaptive chapter's explorer: a run and its per-coordinate effective steps.
    "adaptive": "from descent.explorers import AdaptiveExplorer\nAdaptiveExplorer(optimizer='adam')",
    # The case study's explorer: two runs (hard and soft target) per move.
    "softlabel": "from descent.explorers import LossCurveExplorer\nLossCurveExplorer()",
}
"""The explorer each JupyterLab measurement runs (``--lab-explorer``)."""


def bench_jupyterlab(moves: int, stock: bool = False, explorer: str = "quadratic",
                     screenshots: Path | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="descent-lab-"))
    (folder / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(LAB_CELLS[explorer])]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "notebooks" / "bench.ipynb")
    out: dict = {}
    try:
        with lab.jupyterlab(folder / "notebooks", folder, stock=stock) as (url, token), \
                sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            blocked = offline(context)
            page = context.new_page()
            page.set_default_timeout(90_000)
            lab.open_notebook(page, url, token, "bench.ipynb")
            page.locator(".jp-Notebook .jp-Cell").first.click()
            page.keyboard.press("Shift+Enter")
            page.wait_for_function("() => !!document.querySelector('.jp-OutputArea-output canvas, "
                                   ".jp-OutputArea-output img.widget-image')")
            page.wait_for_timeout(3000)  # Let the warm-up thread finish compiling.
            page.evaluate(INSTRUMENT)
            output = page.locator(".jp-OutputArea-output").first
            if screenshots:
                output.screenshot(path=str(screenshots / f"jupyterlab-{explorer}-before.png"))
            slider = page.locator(".jp-OutputArea-output input[type=range], "
                                  ".jp-OutputArea-output .widget-slider .noUi-handle").first
            slider.focus()
            rng = np.random.default_rng(0)
            for k in range(moves):
                page.evaluate("() => { window.__count = window.__moves.length; }")
                # A reader's key press falls anywhere within a display frame (16.7 ms at
                # 60 Hz); without this pause every press would follow the last frame at once.
                page.wait_for_timeout(float(rng.uniform(0, 1000 / 60)))
                page.keyboard.press("ArrowRight" if (k // 20) % 2 == 0 else "ArrowLeft")
                page.wait_for_function("() => window.__moves.length > window.__count", timeout=10_000)
            kernel_moves = page.evaluate("() => window.__moves")
            if screenshots:
                output.screenshot(path=str(screenshots / f"jupyterlab-{explorer}-after.png"))
            # First use of each optimizer of the menu, one after the other.
            menu = page.locator(".jp-OutputArea-output select").first
            options = menu.evaluate("s => [...s.options].map(o => o.value)")
            first_use = {}
            for option in options:
                if option == menu.input_value():
                    continue
                t = page.evaluate("() => performance.now()")
                menu.select_option(option)
                page.wait_for_function("t => window.__draws.some(d => d.at > t && d.source === 'kernel')",
                                       arg=t, timeout=30_000)
                first_use[option] = page.evaluate(
                    "t => window.__draws.find(d => d.at > t && d.source === 'kernel').at - t", t)
            # The baseline: the same moves computed in the page itself.
            baseline = page.evaluate(
                f"() => {{ const el = [...document.querySelectorAll('.jp-OutputArea-output *')]"
                ".find(e => e.descentExplorer); const t = []; if (!el) return t;"
                f"for (let k = 0; k < {moves}; k++) {{ const s = performance.now();"
                "el.descentExplorer.redraw({local: true}); t.push(performance.now() - s); } return t; }")
            if screenshots:
                output.screenshot(path=str(screenshots / f"jupyterlab-{explorer}-last-optimizer.png"))
            out = {
                "explorer": explorer,
                "moves": len(kernel_moves),
                "first_moves": kernel_moves[:5],
                "key_to_painted_ms": percentiles([m["latency"] for m in kernel_moves]),
                "kernel_compute_ms": percentiles([m.get("kernel_ms") for m in kernel_moves]),
                "sources": sorted({str(m.get("source")) for m in kernel_moves}),
                "first_use_ms": {k: round(v, 1) for k, v in first_use.items()},
                "local_redraw_ms": percentiles(baseline),
                "errors_shown": page.get_by_text("Error displaying widget").count(),
                "blocked_requests": blocked,
            }
            browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def print_jupyterlab(out: dict) -> None:
    k, c, b = out["key_to_painted_ms"], out["kernel_compute_ms"], out["local_redraw_ms"]
    print(f"JupyterLab, {out['explorer']} explorer, {out['moves']} moves of the learning-rate slider "
          f"(frames from {out['sources']}):")
    print(f"  key press → frame painted: median {k['median']} ms, p95 {k['p95']} ms, max {k['max']} ms")
    if c.get("n"):
        print(f"  the kernel's compute:      median {c['median']} ms, p95 {c['p95']} ms")
    if b.get("n"):
        print(f"  baseline, the same redraw computed in the page: median {b['median']} ms, p95 {b['p95']} ms;"
              f" ratio {k['median'] / b['median']:.1f}")
    print("  first use of each optimizer (pick → frame painted): "
          + ", ".join(f"{name} {ms:.0f} ms" for name, ms in out["first_use_ms"].items()))
    print(f"  'Error displaying widget' shown: {out['errors_shown']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("which", nargs="?", choices=["static", "jupyterlab", "both"], default="both")
    parser.add_argument("--moves", type=int, default=100, help="key presses per slider")
    parser.add_argument("--lab-explorer", choices=sorted(LAB_CELLS), default="quadratic",
                        help="the explorer JupyterLab runs")
    parser.add_argument("--screenshots", type=Path, default=None,
                        help="a folder for JupyterLab screenshots (before, after the moves, last optimizer)")
    args = parser.parse_args()
    out = {}
    if args.which in ("static", "both"):
        out["static"] = bench_static(args.moves)
        print_static(out["static"])
    if args.which in ("jupyterlab", "both"):
        if args.screenshots:
            args.screenshots.mkdir(parents=True, exist_ok=True)
        out["jupyterlab"] = bench_jupyterlab(args.moves, explorer=args.lab_explorer,
                                             screenshots=args.screenshots)
        print_jupyterlab(out["jupyterlab"])
        # The baseline, in the same run: the stock Jupyter Server (Nagle's algorithm on).
        out["jupyterlab_stock_server"] = bench_jupyterlab(args.moves, stock=True, explorer=args.lab_explorer)
        stock, ours = out["jupyterlab_stock_server"], out["jupyterlab"]
        print(f"baseline, stock Jupyter Server: key press → frame painted median "
              f"{stock['key_to_painted_ms']['median']} ms, p95 {stock['key_to_painted_ms']['p95']} ms; "
              f"ratio stock / Descent's {stock['key_to_painted_ms']['median'] / ours['key_to_painted_ms']['median']:.2f}")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
