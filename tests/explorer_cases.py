"""The explorers of the book's chapters, built as the chapters build them, page by page.

Shared by the parity test (tests/test_explorer_parity.py), the static-site test
(tests/test_explorers_browser.py) and the JupyterLab test: each takes the explorer a page
shows from here, so a chapter that changes its explorer changes it in one place for them.
``test_chapter_cells_build_these`` checks that the chapters still build exactly these.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import http.server
import json
import sys
import threading
from pathlib import Path

import numpy as np

from descent.explorers import (AdaptiveExplorer, Explorer, LossCurveExplorer, MinibatchExplorer,
                               MomentumExplorer, NoisyQuadraticExplorer, QuadraticExplorer, ScheduleExplorer)
from descent.problems import rosenbrock, saddle

BOOK = Path(__file__).resolve().parents[1] / "book"
sys.path.insert(0, str(BOOK.parent / "tools"))
import notebooks  # noqa: E402 - tools/ is not a package

CHAPTER_EXPLORERS = {
    "first-descent": [
        lambda: QuadraticExplorer(eigenvalues=(1.0, 5.0), learning_rate=0.3, steps=40,
                                  sliders=["learning_rate"]),
        lambda: Explorer(rosenbrock()),
    ],
    "gd-quadratic": [
        lambda: QuadraticExplorer(
            eigenvalues=(1.0, 6.0), angle=np.pi / 16, init=(9.5, -1.0), optimizer="gd",
            learning_rate=0.1, steps=50, main="learning_rate",
            sliders=["learning_rate", "lambda1", "lambda2"]),
    ],
    "learning-vs-optimization": [
        lambda: MinibatchExplorer(batch_size=8, learning_rate=0.2),
    ],
    "preconditioning": [
        lambda: QuadraticExplorer(
            eigenvalues=(1.0, 20.0), angle=0.0, init=(9.5, -1.0),
            optimizer="preconditioned (diagonal)", learning_rate=1.0, steps=50, main="angle",
            sliders=["optimizer", "angle", "learning_rate", "lambda1", "lambda2"]),
    ],
    "why-hard": [
        lambda: Explorer(saddle(), optimizers={
            "gd": {"learning_rate": 0.05},
            "momentum": {"learning_rate": 0.05, "momentum": 0.9},
            "adam": {"learning_rate": 0.05}}, steps=300),
    ],
    "sgd": [
        lambda: NoisyQuadraticExplorer(),
    ],
    "schedules": [
        lambda: ScheduleExplorer(),
    ],
}


def chapter_call(chapter: str, name: str, source: str | None = None):
    """A builder of the explorer ``name(...)`` that ends a code cell of ``book/<chapter>.ipynb``.

    Part II's chapters are read, so that the tests see the explorer the page shows (as
    benchmarks/explorers_browser.py does). None while the chapter has no such cell.
    ``source``: that call's source, when the caller has read it already.
    """
    if source is None:
        source = notebooks.final_call(BOOK / f"{chapter}.ipynb", name)
    if source is None:
        return None
    namespace = {"np": np, name: globals()[name]}
    if any(isinstance(node, ast.Name) and node.id not in namespace for node in ast.walk(ast.parse(source))):
        return None  # It uses the chapter's own variables: not buildable here.
    build = lambda: eval(source, namespace)  # noqa: E731, S307 - the book's own cell
    build.explorer = name  # Which class it builds, without building it.
    return build


# The momentum chapter's explorer, once book/momentum.ipynb has its MomentumExplorer(...) cell.
_momentum = chapter_call("momentum", "MomentumExplorer")
if _momentum is not None:
    CHAPTER_EXPLORERS["momentum"] = [_momentum]

# The adaptive methods' chapters: their explorers in the order of their cells.
_ADAPTIVE_KINDS = tuple(kind.__name__ for kind in (AdaptiveExplorer, LossCurveExplorer))
for _chapter in ("adaptive", "adam", "soft-targets"):
    _builds = [chapter_call(_chapter, name, source)
               for name, source in notebooks.final_calls(BOOK / f"{_chapter}.ipynb", _ADAPTIVE_KINDS)]
    if _builds and None not in _builds:
        CHAPTER_EXPLORERS[_chapter] = _builds

# Kind "momentum" beyond the chapter's: each method, a wide κ, every control
# (tests/test_momentum_explorer.py sweeps them as tests/test_explorer_parity.py does).
MOMENTUM_CASES = {
    "momentum, every control": lambda: MomentumExplorer(),
    "momentum, nesterov, κ = 1000": lambda: MomentumExplorer(eigenvalues=(0.1, 100.0), optimizer="nesterov",
                                                             steps=300),
    "momentum, gradient descent": lambda: MomentumExplorer(optimizer="gd", angle=np.pi / 3, init=(1.0, -2.5),
                                                           sliders=["learning_rate", "eigenvalues", "steps"]),
}


# How the quadratic explorer's menu calls descent.runner.run: entry → (descent.optimizers
# name, its hyperparameters from the values and Q). Q⁻¹ by the 2 × 2 formula, as the
# explorer (and the browser) computes it.
RUNNER_CALLS = {
    "gd": ("sgd", lambda v, Q: {}),
    "momentum": ("momentum", lambda v, Q: {"momentum": v["momentum"]}),
    "nesterov": ("nesterov", lambda v, Q: {"momentum": v["momentum"]}),
    "adagrad": ("adagrad", lambda v, Q: {}),
    "rmsprop": ("rmsprop", lambda v, Q: {}),
    "adam": ("adam", lambda v, Q: {"b1": v["b1"], "b2": v["b2"]}),
    "preconditioned (diagonal)": ("precondition", lambda v, Q: {"P": np.diag(1 / np.diag(Q))}),
    "preconditioned (Q⁻¹)": ("precondition", lambda v, Q: {"P": np.array(
        [[Q[1, 1], -Q[0, 1]], [-Q[1, 0], Q[0, 0]]]) / (Q[0, 0] * Q[1, 1] - Q[0, 1] * Q[1, 0])}),
}


def quadratic_values():
    """A hypothesis strategy: values of every control of QuadraticExplorer, over its range."""
    from hypothesis import strategies as st

    from descent.explorers import OPTIMIZERS

    return st.fixed_dictionaries({
        "optimizer": st.sampled_from(OPTIMIZERS),
        "learning_rate": st.floats(-3, 1).map(lambda x: 10**x),
        "momentum": st.floats(0, 0.99),
        "b1": st.floats(0, 0.99),
        "b2": st.floats(0, 0.999),
        "lambda1": st.floats(-2, 2).map(lambda x: 10**x),
        "lambda2": st.floats(-2, 2).map(lambda x: 10**x),
        "saddle": st.booleans(),
        "angle": st.floats(0, 180),
        "steps": st.integers(1, 300),
    })


def move(explorer, **values) -> dict:
    """Set ``values`` as the front end does (one assignment of the whole dict); the result."""
    explorer.values = {**explorer.values, **values}
    return explorer.result


def check_bad_values(explorer, bad_values, restore) -> None:
    """Each bad slider value gives an error result naming it, never an exception; then recovers.

    ``bad_values`` holds (values, message) pairs; ``restore(explorer)`` moves back to a good
    setting, after which the result must carry no error.
    """
    name = type(explorer).__name__
    for bad, message in bad_values:
        result = move(explorer, **bad)
        assert result["error"] == f"ValueError: {name}: {message}", result
        restore(explorer)
        assert "error" not in explorer.result


def check_same_errors_in_both_languages(module_page, explorer, bad_values) -> None:
    """The page's compute.js gives the kernel's error message for each bad value."""
    for bad, _ in bad_values:
        values = {**explorer.values, **bad}
        python = explorer._safe_compute(values)["error"]
        browser = module_page.evaluate("([spec, values]) => window.__descent.compute(spec, values).error",
                                       [explorer.spec, values])
        assert browser == python


def as_array(values) -> np.ndarray:
    return np.array(values, dtype=object).astype(float)


@contextlib.contextmanager
def static_page(folder: Path, explorers: list):
    """A minimal page on 127.0.0.1: the explorers' static HTML and the site's module.

    Yields the page's URL; the server stops on exit.
    """
    from descent.explorers.widget import module_source

    (folder / "descent-explorer.js").write_text(module_source())
    (folder / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body style='max-width:1000px;margin:auto;font-family:sans-serif'>\n"
        + "\n".join(f"<h2>{e.title}</h2>\n{e.static_html()}" for e in explorers)
        + "\n<script type='module' src='descent-explorer.js'></script></body></html>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


def open_explorers(page, url: str):
    """Go to ``url``, wait until every explorer on it has mounted, and return their roots."""
    page.goto(url)
    page.wait_for_function("[...document.querySelectorAll('div.descent-explorer')].every(el => el.descentExplorer)")
    return page.locator("div.descent-explorer")


def shown_result(root) -> dict:
    """The result an explorer draws, as JSON carries it: non-finite numbers as null."""
    return root.evaluate("el => JSON.parse(JSON.stringify(el.descentExplorer.result, "
                         "(k, v) => (typeof v === 'number' && !Number.isFinite(v)) ? null : v))")


def plain(result: dict) -> dict:
    """A kernel's result as the widget sends it: JSON, without the private keys."""
    return json.loads(json.dumps({k: v for k, v in result.items() if not k.startswith("_")}))


def texts(page, built, module: str = "__descent", **moved) -> tuple[dict, dict]:
    """The texts status() writes for the kernel's result and for the browser's own at the
    explorer's values with ``moved`` changed; they must be equal. Returns (texts, kernel's
    result). ``module``: the page's global that holds the ES module."""
    values = {**built.values, **moved}
    kernel = plain(built.compute(values))
    out = page.evaluate(f"""([spec, values, kernel]) => [window.{module}.status(spec, values, kernel),
                            window.{module}.status(spec, values, window.{module}.compute(spec, values))]""",
                        [built.spec, values, kernel])
    assert out[0] == out[1], out
    return out[0], kernel


def picture(root) -> str:
    """A digest of an explorer's canvas pixels and its status lines."""
    return root.evaluate("""el => {
        let h = 2166136261;
        for (const c of el.querySelectorAll('canvas')) {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < d.length; i += 3) h = Math.imul(h ^ d[i], 16777619);
        }
        return (h >>> 0).toString(16) + '|' + el.querySelector('.dx-status').innerText;
    }""")


VIEWPORTS = {"desktop": ({"width": 1366, "height": 900}, 1), "phone": ({"width": 390, "height": 844}, 3)}
"""Where the static-page tests look: a desktop at 1366 px and a 390-px phone (device scale 3)."""


def new_page(browser, viewport: str, theme: str):
    """A page in a new context at ``VIEWPORTS[viewport]`` in ``theme``.

    Returns (context, page, errors); ``errors`` collects the console's errors (not a missing
    favicon) and the page's uncaught exceptions. The caller closes the context.
    """
    size, scale = VIEWPORTS[viewport]
    context = browser.new_context(viewport=size, device_scale_factor=scale, color_scheme=theme)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.text
            and "404" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors
