"""The explorers' benchmarks run, and measure what they say (not how fast: that is for the note).

``benchmarks/explorers_browser.py`` is run here with a few moves per slider, as CI runs every
test: the static page must show every chapter's explorer within its byte budget and draw a
frame for each move from the page's own compute; JupyterLab must draw every move from the
kernel's answer, with the kernel's time beside it, and answer a first pick of each optimizer
of the menu; neither may reach the network. The times themselves are printed, not asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "explorers_browser.py"
pytestmark = [pytest.mark.browser]


def run_benchmark(which: str, moves: int) -> dict:
    done = subprocess.run([sys.executable, str(SCRIPT), which, "--moves", str(moves)],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    print(done.stdout[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_static_benchmark():
    out = run_benchmark("static", 6)["static"]
    from explorer_cases import CHAPTER_EXPLORERS
    assert len(out["explorers"]) == sum(len(v) for v in CHAPTER_EXPLORERS.values())
    for name, explorer in out["explorers"].items():
        assert explorer["moves"] >= 6, name  # At least one slider's every move drew a frame.
        assert explorer["redraw_ms"]["n"] == explorer["moves"]
        assert explorer["uncached_redraw_ms"]["n"] == 6
        assert out["bytes_per_explorer"][name] <= 50_000, name
    assert out["blocked_requests"] == []


def test_jupyterlab_benchmark():
    out = run_benchmark("jupyterlab", 8)
    for server in ("jupyterlab", "jupyterlab_stock_server"):
        lab = out[server]
        assert lab["moves"] == 8 and lab["sources"] == ["kernel"], lab
        assert lab["kernel_compute_ms"]["n"] == 8
        assert len(lab["first_use_ms"]) == 7  # Every optimizer of the menu but the first.
        assert lab["errors_shown"] == 0 and lab["blocked_requests"] == []
