"""Every chapter's kernel stays within the memory a Binder reader has (issue 12).

The book build measures each chapter's kernel as it executes it (its peak resident memory,
VmHWM, plus its children's: tools/process_memory.py) and writes ``_build/kernel-peaks.json``
(tools/build_book.py). The slow test takes those measurements from the built book; a chapter
the build did not execute (its outputs came from the cache) or that changed since is run
again in a fresh kernel by ``benchmarks/kernel_memory.py``, which measures the same way. It
prints the table, so the CI log shows each chapter's peak and where it came from; the fast
tests check that the readers see a known allocation, so the slow test can fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tools"))
import build_book  # noqa: E402
import kernel_memory  # noqa: E402
import process_memory  # noqa: E402

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
        peak = process_memory.peak_resident_bytes(child.pid)
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
        with process_memory.ChildPeaks(parent.pid) as children:
            time.sleep(0.3)
        assert len(children.peaks) == 1
        assert sum(children.peaks.values()) >= 150e6
    finally:
        parent.stdin.close()
        parent.wait()


def test_a_forked_child_is_charged_only_once_it_runs_its_own_program():
    # Until it execs, a child forked by a 300 MB parent shows the parent's 300 MB (its pages,
    # charged already to the parent). Sampled every millisecond while the parent starts
    # `true` again and again, the children must weigh what `true` weighs.
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, time; a = bytearray(300_000_000); a[::4096] = b'x' * len(a[::4096]); "
         "print('ready', flush=True); end = time.time() + 1.5\n"
         "while time.time() < end: subprocess.run(['true'])"],
        stdout=subprocess.PIPE, text=True)
    assert parent.stdout.readline().strip() == "ready"
    with process_memory.ChildPeaks(parent.pid, interval=0.001) as children:
        parent.wait()
    assert len(children.peaks) > 20, "the sampler saw almost none of the children"
    largest = max(children.peaks.values())
    assert largest < 50e6, f"a child of `true` charged {largest / 1e6:.0f} MB"


CHAPTERS = kernel_memory.chapters()


def chapter_peaks(recorded: dict, chapters: list[str], notebooks: Path, measure):
    """Each chapter's measurement: the build's if it executed this very notebook, else ``measure``'s.

    Yields (chapter, row, where the row comes from), one chapter at a time.
    """
    for chapter in chapters:
        entry = recorded.get(chapter)
        if entry is None:
            yield chapter, measure(chapter), "re-run (the build took it from its cache)"
        elif entry.get("sha256") != build_book.sha256(notebooks / f"{chapter}.ipynb"):
            yield chapter, measure(chapter), "re-run (changed since the build ran it)"
        else:
            yield chapter, entry, "measured in the build"


def recorded_peaks(built_html: Path) -> dict:
    """The build's measurements (``_build/kernel-peaks.json``), or none."""
    try:
        return json.loads((built_html.parent / build_book.PEAKS).read_text())
    except (OSError, ValueError):
        return {}


@pytest.fixture(scope="module")
def peaks(request, built_book) -> dict[str, float]:
    """Every chapter's peak, from the build or run again; the table goes to the test log."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    rows = {}
    recorded = recorded_peaks(built_book)
    for chapter, row, source in chapter_peaks(recorded, CHAPTERS, kernel_memory.BOOK, kernel_memory.measure):
        rows[chapter] = row["peak_mb"]
        with capture.global_and_fixture_disabled():
            print(f"\nkernel peak {chapter:28s} {row['peak_mb']:7.1f} MB {row['seconds']:6.1f} s  {source}",
                  flush=True)
    return rows


def test_a_build_measurement_counts_only_for_the_notebook_it_ran(tmp_path):
    for chapter in ("kept", "edited", "cached"):
        (tmp_path / f"{chapter}.ipynb").write_text(f"{chapter} as the build ran it")
    recorded = {c: {"peak_mb": 100.0, "seconds": 1.0, "sha256": build_book.sha256(tmp_path / f"{c}.ipynb")}
                for c in ("kept", "edited")}
    (tmp_path / "edited.ipynb").write_text("edited after the build")
    measured = []

    def measure(chapter):
        measured.append(chapter)
        return {"chapter": chapter, "peak_mb": 200.0, "seconds": 2.0}

    rows = {c: (row["peak_mb"], source)
            for c, row, source in chapter_peaks(recorded, ["cached", "edited", "kept"], tmp_path, measure)}
    assert measured == ["cached", "edited"]
    assert rows["kept"] == (100.0, "measured in the build")
    assert rows["edited"] == (200.0, "re-run (changed since the build ran it)")
    assert rows["cached"] == (200.0, "re-run (the build took it from its cache)")


def test_no_measurements_file_means_none_recorded(tmp_path):
    assert recorded_peaks(tmp_path / "html") == {}
    (tmp_path / build_book.PEAKS).write_text("{not json")
    assert recorded_peaks(tmp_path / "html") == {}


@pytest.mark.book
@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_kernel_peaks_within_the_limit(peaks, chapter):
    assert peaks[chapter] <= LIMIT_MB, f"{chapter}'s kernel peaked at {peaks[chapter]} MB"
