"""Jupyter Server settings for Descent's notebooks (`make lab` and Binder install this file).

Kernel websockets without Nagle's algorithm. Jupyter Server sends each kernel message as
its own small websocket frame and leaves TCP_NODELAY off, so after the first frame of a
burst every further one waits for the browser's delayed acknowledgement, about 40 ms on
Linux. A slider move is such a burst (busy, the result, idle): measured here, key press to
frame painted took 64 ms with the stock server and 31 ms with this setting
(benchmarks/explorers_browser.py). Tornado documents ``set_nodelay(True)`` for exactly
this case. If a later Jupyter Server moves the handler, nothing is changed; with
DESCENT_STOCK_SERVER=1 in the environment nothing is changed either (the benchmark's baseline).
"""

import os

try:
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler
except ImportError:  # pragma: no cover - another Jupyter Server layout: leave it as it is.
    KernelWebsocketHandler = None

if (KernelWebsocketHandler is not None and os.environ.get("DESCENT_STOCK_SERVER") != "1"
        and not getattr(KernelWebsocketHandler, "_descent_nodelay", False)):
    _open = KernelWebsocketHandler.open

    async def open(self, *args, **kwargs):  # noqa: A001 - the handler's method name
        self.set_nodelay(True)
        return await _open(self, *args, **kwargs)

    KernelWebsocketHandler.open = open
    KernelWebsocketHandler._descent_nodelay = True
