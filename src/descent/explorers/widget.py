"""The kernel face of every explorer: the widget, its loop, its static HTML, the JS module.

:class:`ExplorerWidget` is an ``anywidget`` whose front end is the package's own ES module
(:func:`module_source`). Three JSON dicts cross the wire: ``spec`` (what is fixed),
``values`` (the controls, moved by the reader) and ``result`` (the numbers of one run).
When the front end changes ``values``, :meth:`ExplorerWidget.compute` (a subclass's)
runs ``descent`` in float64 and the widget sets ``result``; the front end redraws.

Every optimizer an explorer offers is compiled before the reader picks it: at
construction the explorer queues a warm-up on one daemon thread shared by all explorers
(one at a time, so a chapter full of explorers does not compile on every core at once).
Each compiled loop has a lock (:func:`compiling`): the warm-up and a reader's first move
never compile the same loop twice, the second waits for the first and reuses it.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import html
import json
import math
import queue
import re
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Hashable, Iterable, Iterator, Mapping

import anywidget
import numpy as np
import traitlets

__all__ = ["ExplorerWidget", "module_source", "compiling", "wait_for_warm_ups"]

HERE = Path(__file__).parent
_IMPORT = re.compile(r"""^\s*import\s*\{[^}]*\}\s*from\s*["']\./compute\.js["']\s*;?[ \t]*\n?""")

NOSCRIPT = ("This explorer needs JavaScript: turn it on to move its sliders, or launch the "
            "chapter in Binder or Colab with the rocket button at the top of the page.")


@functools.cache
def module_source() -> str:
    """The explorers' ES module: ``compute.js``, then ``render.js`` without its import line.

    ``render.js`` imports what it uses from ``./compute.js``; once the two are one module
    the names are already in scope, so that first import is dropped. The same string is
    the widget's ``_esm`` and, on the book's site, ``_static/descent-explorer.js``.
    """
    compute = (HERE / "compute.js").read_text(encoding="utf-8")
    render = (HERE / "render.js").read_text(encoding="utf-8")
    body, count = _IMPORT.subn("", render, count=1)
    if count != 1:
        raise RuntimeError('render.js must begin with `import { ... } from "./compute.js";`')
    return compute.rstrip("\n") + "\n\n" + body


# ---------------------------------------------------------------------------------------
# JSON: floats as Python writes them (repr, round-trip exact), non-finite as null.


def _json(array) -> list:
    """An array as nested lists of floats, NaN and ±inf as None (JSON null)."""
    a = np.asarray(array, dtype=float)
    out = a.astype(object)
    out[~np.isfinite(a)] = None
    return out.tolist()


def _number(x) -> float | None:
    """A float for JSON: None when it is None, NaN or ±inf."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def dumps(obj: Any) -> str:
    """Compact JSON; raises on NaN or inf, which must have been sent as null."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------------
# Compilation: one lock per compiled loop, one warm-up thread for every explorer.

_LOCKS: dict[Hashable, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def compiling(key: Hashable) -> Iterator[None]:
    """Hold the lock of the compiled loop ``key`` while running it (compiling it first)."""
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        yield


_JOBS: queue.SimpleQueue = queue.SimpleQueue()
_STOP = threading.Event()
_worker: threading.Thread | None = None
_WORKER_GUARD = threading.Lock()


def _work() -> None:
    while not _STOP.is_set():
        job = _JOBS.get()
        if job is None:
            return
        job()


def _submit(job) -> None:
    global _worker
    with _WORKER_GUARD:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="descent-explorer-warm-up", daemon=True)
            _worker.start()
    _JOBS.put(job)


def _warm_up_later(explorer: ExplorerWidget) -> None:
    reference = weakref.ref(explorer)  # An explorer closed and gone needs no warm-up.

    def job():
        explorer = reference()
        if explorer is not None:
            explorer._warm_up()

    _submit(job)


def wait_for_warm_ups(timeout: float | None = None) -> bool:
    """Block until every warm-up queued so far is done; True if they are."""
    done = threading.Event()
    _submit(done.set)
    return done.wait(timeout)


@atexit.register
def _stop_warm_up() -> None:
    """At exit, let the compilation under way finish, and skip the rest."""
    _STOP.set()
    _JOBS.put(None)
    if _worker is not None:
        _worker.join(timeout=60)


# ---------------------------------------------------------------------------------------
# The widget.


def shown_controls(
    where: str, controls: tuple[str, ...], sliders: Iterable[str] | str | None,
    groups: Mapping[str, set[str]] | None = None,
) -> set[str]:
    """The controls an explorer shows: all for None, else those named (a group name, such
    as ``"eigenvalues"``, stands for its members). An unknown name raises a ValueError
    that lists the choices."""
    if sliders is None:
        return set(controls)
    if isinstance(sliders, str):
        sliders = [sliders]
    groups = groups or {}
    shown: set[str] = set()
    for name in sliders:
        if name in groups:
            shown |= groups[name]
        elif name in controls:
            shown.add(name)
        else:
            raise ValueError(f"{where}: no slider named {name!r}; choose from {tuple(controls) + tuple(groups)}")
    return shown


class ExplorerWidget(anywidget.AnyWidget):
    """An explorer: ``spec`` and ``values`` in, ``result`` out, one renderer in JS.

    A subclass builds ``spec`` and ``values`` and implements :meth:`compute` (values →
    result) and :meth:`_warm_up_values` (the values whose runs compile every loop it
    offers). Setting ``values`` (the front end does it on every slider move, Python with
    :meth:`set`) computes and sets ``result``; an exception becomes
    ``{"error": "<Type>: <message>"}``, shown by the front end, never raised into the
    widget machinery.

    Attributes:
        spec: everything fixed: the kind, the controls, the problem's data.
        values: control name → current value.
        result: the numbers of the run for ``values``; ``{}`` until the first one is
            computed (the warm-up thread computes it, see :meth:`wait`).
    """

    spec = traitlets.Dict().tag(sync=True)
    # No echo of a move back to the front end that made it: one message fewer per move.
    values = traitlets.Dict().tag(sync=True, echo_update=False)
    result = traitlets.Dict().tag(sync=True)

    def __init__(self, spec: Mapping[str, Any], values: Mapping[str, Any]):
        self._esm = module_source()  # Read at first use, not at import.
        self._result_lock = threading.RLock()  # A result observer may move a control.
        self._warmed = threading.Event()
        super().__init__(spec=dict(spec), values=dict(values))
        self.observe(self._on_values, names="values")
        _warm_up_later(self)

    # -- The kernel loop ------------------------------------------------------------------

    def compute(self, values: Mapping[str, Any]) -> dict:
        """The result for ``values`` (the same structure the front end's compute gives)."""
        raise NotImplementedError

    def _warm_up_values(self) -> Iterable[Mapping[str, Any]]:
        """Values whose runs, between them, compile every loop the explorer offers."""
        return ()

    def _safe_compute(self, values: Mapping[str, Any]) -> dict:
        try:
            return self.compute(values)
        except Exception as exc:  # Shown by the front end as the alert.
            return {"error": f"{type(exc).__name__}: {exc}"}

    def _on_values(self, change) -> None:
        self._show(change["new"])

    def _show(self, values: Mapping[str, Any]) -> None:
        """Compute ``values`` and set ``result``, unless the values moved on meanwhile."""
        start = time.perf_counter()
        result = self._safe_compute(values)
        result["_kernel_ms"] = 1e3 * (time.perf_counter() - start)  # Shown by the benchmarks.
        result["_values"] = dict(values)  # Which values it answers: moves may cross on the wire.
        with self._result_lock:
            if self.values == values:
                self.result = self._on_the_wire(result)

    def _on_the_wire(self, result: dict) -> dict:
        """``result`` as it is sent to the front end: all of it, unless a kind trims it."""
        return result

    def _warm_up(self) -> None:
        """Compute the current values (the first result), then compile the rest."""
        try:
            self._show(dict(self.values))
            for values in self._warm_up_values():
                if _STOP.is_set():
                    return
                self._safe_compute(values)
        finally:
            self._warmed.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the warm-up is done (every offered optimizer compiled); True if so."""
        return self._warmed.wait(timeout)

    def set(self, **values) -> dict:
        """Move controls, as a reader would: ``explorer.set(learning_rate=0.3)``.

        Returns the new ``result``. Raises ValueError for a name that is no control.
        """
        unknown = sorted(set(values) - set(self.values))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: no control named {unknown[0]!r}; choose from {sorted(self.values)}"
            )
        new = {**self.values, **values}
        if new == self.values:  # No change, no event: compute anyway, as a move would.
            self._show(new)
        self.values = new
        return self.result

    # -- Display --------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return str(self.spec.get("title", ""))

    def static_html(self) -> str:
        """The page's version: a div holding ``spec`` and ``values`` as JSON.

        The site's module (``_static/descent-explorer.js``) mounts every
        ``div.descent-explorer`` and computes each run in the browser.
        """
        payload = dumps({"spec": self.spec, "values": self.values}).replace("</", "<\\/")
        label = html.escape(f"Explorer: {self.title}", quote=True)
        return (
            f'<div class="descent-explorer" role="group" aria-label="{label}">'
            f'<script type="application/json">{payload}</script>'
            f"<noscript>{html.escape(NOSCRIPT)}</noscript></div>"
        )

    def _repr_mimebundle_(self, **kwargs):
        """The live widget for Jupyter, the static div for the book's pages, and text."""
        data, metadata = super()._repr_mimebundle_(**kwargs)
        data = dict(data)
        data["text/html"] = self.static_html()
        data["text/plain"] = repr(self)
        return data, metadata

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.title}>"
