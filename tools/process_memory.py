"""Peak memory of processes and of their descendants, read from ``/proc`` (Linux only).

One implementation for both places that measure a chapter's kernel:
``benchmarks/kernel_memory.py`` (one chapter in a fresh kernel it starts itself) and
``tools/build_book.py`` (every kernel the book build starts, charged to its chapter).

A process's peak is its ``VmHWM`` (the high-water mark of its resident memory: the most it
ever held in RAM). A process's children are charged too: each descendant's largest
``VmHWM`` seen while it lived, added up; a child forked to run a program is read only once
it runs it (until it execs, it shows its parent's memory, which is charged already). A
high-water mark only grows, so the last sample before a process ends is its peak; a process
must be sampled at least once to be seen.

Neither ``tools/`` nor ``benchmarks/`` is a package: put ``tools/`` on ``sys.path`` to
import this module.
"""

from __future__ import annotations

import threading
from pathlib import Path

# How a Jupyter kernel's command line names it: ``python -m ipykernel_launcher -f …``.
KERNEL_MARKERS = (b"ipykernel_launcher", b"ipykernel")


def peak_resident_bytes(pid: int) -> int:
    """The process's peak resident set size (``VmHWM`` in ``/proc/<pid>/status``), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            value, unit = line.split()[1:3]
            assert unit == "kB", line
            return int(value) * 1024
    raise RuntimeError(f"no VmHWM for process {pid} (is /proc mounted, is this Linux?)")


def children(pid: int) -> list[int]:
    """The living children of a process, found through ``/proc/<pid>/task/*/children``."""
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def family(pid: int) -> list[tuple[int, int]]:
    """Every living descendant of a process, each with its parent: ``(child, parent)`` pairs."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        below = children(parent)
        found += [(child, parent) for child in below]
        todo += below
    return found


def descendants(pid: int) -> list[int]:
    """Every living descendant of a process."""
    return [child for child, _ in family(pid)]


def command_line(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def is_kernel(pid: int) -> bool:
    """Whether the process is a Jupyter (IPython) kernel, by its command line."""
    try:
        command = command_line(pid)
    except OSError:
        return False
    return any(marker in command for marker in KERNEL_MARKERS)


def _update(peaks: dict[int, int], pid: int, parent: int) -> None:
    """Raise ``peaks[pid]`` to the process's ``VmHWM``, unless it is still a copy of its parent.

    A process forked to run a program shows its parent's memory (and command line) until it
    execs: its parent's pages, not its own. Its command line is read first, so a peak read
    after it differs from the parent's is the new program's.
    """
    try:
        command = command_line(pid)
        if not command or command == command_line(parent):
            return
        value = peak_resident_bytes(pid)
    except (OSError, RuntimeError):
        return  # it ended between the listing and the read (or is a zombie)
    peaks[pid] = max(peaks.get(pid, 0), value)


class _Sampler:
    """Calls ``sample()`` every ``interval`` seconds in a thread, between enter and exit."""

    def __init__(self, interval: float):
        self.interval = interval
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self):
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


class ChildPeaks(_Sampler):
    """Watches the descendants of a process in a thread, keeping each one's largest ``VmHWM``."""

    def __init__(self, pid: int, interval: float = 0.25):
        super().__init__(interval)
        self.pid = pid
        self.peaks: dict[int, int] = {}

    def sample(self):
        with self.lock:
            for child, parent in family(self.pid):
                _update(self.peaks, child, parent)


class KernelPeaks(_Sampler):
    """Watches every kernel below a process (a book build): each kernel's peak and its children's.

    A kernel is a descendant of ``pid`` whose command line names ipykernel; every process
    below a kernel is that kernel's child (a kernel started by a kernel too). ``kernels``
    maps each kernel's pid to ``{"kernel": its peak, "children": {pid: peak}, "alive": bool}``,
    in the order they were first seen.
    """

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(interval)
        self.pid = pid
        self.kernels: dict[int, dict] = {}  # in the order first seen
        self._kernels_seen: set[int] = set()

    def sample(self):
        with self.lock:
            found, todo = [], children(self.pid)
            while todo:
                pid = todo.pop()
                # Only a yes is remembered: a process forked to become a kernel shows its
                # parent's command line until it execs.
                if pid in self._kernels_seen or is_kernel(pid):
                    self._kernels_seen.add(pid)
                    found.append(pid)
                else:
                    todo += children(pid)
            for record in self.kernels.values():
                record["alive"] = False
            for pid in found:
                record = self.kernels.setdefault(pid, {"kernel": 0, "children": {}, "alive": False})
                try:
                    record["kernel"] = max(record["kernel"], peak_resident_bytes(pid))
                    record["alive"] = True
                except (OSError, RuntimeError):
                    continue  # it has ended: its last sample holds its peak
                for child, parent in family(pid):
                    _update(record["children"], child, parent)


def charge(kernel_bytes: int, children_peaks: dict[int, int]) -> dict:
    """A measurement in MB (10^6 bytes): the kernel's peak plus the sum of its children's peaks."""
    children_bytes = sum(children_peaks.values())
    return {
        "peak_mb": round((kernel_bytes + children_bytes) / 1e6, 1),
        "kernel_mb": round(kernel_bytes / 1e6, 1),
        "children_mb": round(children_bytes / 1e6, 1),
        "children": len(children_peaks),
    }
