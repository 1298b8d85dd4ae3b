"""Every chapter's kernel stays within the memory a Binder reader has (issue 12).

``benchmarks/kernel_memory.py`` runs each chapter in a fresh kernel and reads the kernel's
peak resident memory (VmHWM) before it shuts down. The slow test runs it once over every
chapter and prints its table, so the CI log shows each chapter's peak; the fast tests check
that the reader sees a known allocation, so the slow test can fail.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import kernel_memory  # noqa: E402

LIMIT_MB = 700


def test_peak_reader_sees_a_200_mb_allocation():
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; a = bytearray(200_000_000); a[::4096] = b'x' * len(a[::4096]); del a; "
         "print('done', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "done"
        # Freed again, the 200 MB are no longer resident, but the high-water mark keeps them.
        peak = kernel_memory.peak_resident_bytes(child.pid)
        assert 200e6 <= peak < 300e6, peak
    finally:
        child.stdin.close()
        child.wait()


def test_child_processes_are_charged_to_their_parent():
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, sys; child = subprocess.Popen([sys.executable, '-c', "
         "\"import sys; a = bytearray(150_000_000); a[::4096] = b'x' * len(a[::4096]); "
         "print('ready', flush=True); sys.stdin.read()\"], stdin=subprocess.PIPE, "
         "stdout=sys.stdout); sys.stdin.read(); child.stdin.close(); child.wait()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        with kernel_memory.ChildPeaks(parent.pid) as children:
            time.sleep(0.3)
        assert len(children.peaks) == 1
        assert sum(children.peaks.values()) >= 150e6
    finally:
        parent.stdin.close()
        parent.wait()


CHAPTERS = kernel_memory.chapters()


@pytest.fixture(scope="module")
def peaks(request) -> dict[str, float]:
    """Every chapter run once in a fresh kernel; the table goes to the test log."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    rows = {}
    for chapter in CHAPTERS:
        row = kernel_memory.measure(chapter)
        rows[chapter] = row["peak_mb"]
        with capture.global_and_fixture_disabled():
            print(f"\nkernel peak {chapter:28s} {row['peak_mb']:7.1f} MB {row['seconds']:6.1f} s", flush=True)
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_kernel_peaks_within_the_limit(peaks, chapter):
    assert peaks[chapter] <= LIMIT_MB, f"{chapter}'s kernel peaked at {peaks[chapter]} MB"
