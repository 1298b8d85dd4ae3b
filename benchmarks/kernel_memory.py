"""How much memory does a chapter's kernel need? Binder gives a reader about 2 GB for everything.

    python benchmarks/kernel_memory.py                      # every chapter
    python benchmarks/kernel_memory.py why-hard gd-quadratic --limit 700

Each chapter runs top to bottom in a fresh IPython kernel (nbclient, working directory
``book/``, as the build runs it), one chapter at a time. Just before the kernel shuts down,
its peak resident memory is read from ``/proc/<pid>/status`` (``VmHWM``, the kernel's
high-water mark: the most it ever held in RAM, compilation and temporaries included). A
kernel that starts processes of its own is charged their peaks too: a thread reads the
``VmHWM`` of every descendant of the kernel while the chapter runs, and the largest value
seen per process is added. The method is the same for every chapter; nothing is written
into ``book/``. The readings are tools/process_memory.py's, the same the book build
(tools/build_book.py) takes of every chapter it executes, into ``_build/kernel-peaks.json``.

It prints a table, then one JSON line, and exits with status 1 if a chapter's peak is above
the limit (700 MB unless ``--limit`` says otherwise). MB here is 10^6 bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from process_memory import ChildPeaks, charge, peak_resident_bytes  # noqa: E402

BOOK = ROOT / "book"
LIMIT_MB = 700.0
CELL_TIMEOUT = 600  # seconds; the build allows 300 per cell, this only guards against a hang


def measure(chapter: str) -> dict:
    """Execute ``book/<chapter>.ipynb`` in a fresh kernel; its peak memory and wall time."""
    path = BOOK / f"{chapter}.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(BOOK)}})
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        start = time.perf_counter()
        with ChildPeaks(pid) as children:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        kernel = peak_resident_bytes(pid)  # read before setup_kernel's exit shuts the kernel down
    return {"chapter": chapter, **charge(kernel, children.peaks), "seconds": round(seconds, 1)}


def chapters() -> list[str]:
    return sorted(p.stem for p in BOOK.glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", help="chapter names (default: every book/*.ipynb)")
    parser.add_argument("--limit", type=float, default=LIMIT_MB, help="MB a kernel may peak at (default 700)")
    args = parser.parse_args(argv)
    names = args.chapters or chapters()
    unknown = set(names) - set(chapters())
    if unknown:
        parser.error(f"no such chapter: {', '.join(sorted(unknown))}")

    print(f"{'chapter':28s} {'peak MB':>8s} {'kernel':>8s} {'children':>9s} {'seconds':>8s}")
    results = []
    for name in names:
        row = measure(name)
        results.append(row)
        flag = "  over the limit" if row["peak_mb"] > args.limit else ""
        print(f"{name:28s} {row['peak_mb']:8.1f} {row['kernel_mb']:8.1f} {row['children_mb']:9.1f}"
              f" {row['seconds']:8.1f}{flag}", flush=True)
    over = [r["chapter"] for r in results if r["peak_mb"] > args.limit]
    print(json.dumps({"benchmark": "kernel_memory", "limit_mb": args.limit, "over": over,
                      "python": platform.python_version(), "cpus": os.cpu_count(), "chapters": results}))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
