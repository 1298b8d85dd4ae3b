"""Build the book: execute every notebook, fail on any cell error or Sphinx warning.

    python tools/build_book.py [BOOK_DIR]

Runs ``jupyter-book build BOOK_DIR --all -W -n --keep-going``. Notebook outputs are kept
in a jupyter-cache (``_build/.jupyter_cache``) so an unchanged chapter is not executed
again. A chapter's outputs also depend on what lies outside it: the ``descent`` package,
the locked environment, the book's execution settings and the Python that runs it
(ENVIRONMENT below). The cache is emptied whenever any of these change; the CI cache key
(.github/workflows/book.yml) hashes the same files and the Python version, and a test holds
the two lists equal.

While the build executes a chapter, its kernel's peak memory is measured as
``benchmarks/kernel_memory.py`` measures it (the kernel's ``VmHWM`` plus its children's,
tools/process_memory.py), and written to ``_build/kernel-peaks.json`` with the SHA-256 of
the notebook it executed; chapters taken from the cache keep their earlier entry.
tests/test_kernel_memory.py reads it instead of running every chapter a second time.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from process_memory import KernelPeaks, charge  # tools/process_memory.py

ROOT = Path(__file__).resolve().parents[1]
# Each executed chapter's kernel peak (see the docstring), in <book>/_build.
PEAKS = "kernel-peaks.json"
# Seconds to wait, once the build has exited, for the rest of its output (a process it left
# behind may hold the output open).
OUTPUT_GRACE = 10


# Everything outside a notebook that its executed outputs depend on, as glob patterns
# relative to the repository (the workflow's hashFiles takes the same): the package, all its
# files (compute.js too); the lock; the package's metadata; the execution settings; the
# Sphinx extensions; the data files chapters read (book/data: the race's grid). The Python
# version is added to the hash. Not _toc.yml: which chapters the book lists changes no
# chapter's outputs.
ENVIRONMENT = ("src/**", "requirements.txt", "pyproject.toml", "_config.yml", "_ext/**",
               "book/data/**")
# Made by running or installing, never committed: not part of the environment.
GENERATED = {"__pycache__", ".ipynb_checkpoints"}


def environment_files(root: Path = ROOT) -> list[Path]:
    """The files ENVIRONMENT names, in a stable order."""
    files = []
    for pattern in ENVIRONMENT:
        if pattern.endswith("/**"):
            found = (root / pattern[:-3]).rglob("*")
            files += sorted(
                p for p in found
                if p.is_file() and not any(part in GENERATED or part.endswith(".egg-info")
                                           for part in p.relative_to(root).parts)
            )
        else:
            files.append(root / pattern)
    return files


def environment_fingerprint(root: Path = ROOT) -> str:
    """A hash of everything outside a notebook that its outputs depend on."""
    digest = hashlib.sha256(sys.version.encode())
    for path in environment_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def invalidate_stale_cache(book_dir: Path, root: Path = ROOT) -> None:
    cache = book_dir / "_build" / ".jupyter_cache"
    stamp = book_dir / "_build" / "descent-environment.sha256"
    fingerprint = environment_fingerprint(root)
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    if cache.exists():
        print(f"the environment changed ({', '.join(ENVIRONMENT)} or Python): emptying the execution cache")
        shutil.rmtree(cache)
    # Peaks measured in another environment no longer hold: every chapter runs again anyway.
    (book_dir / "_build" / PEAKS).unlink(missing_ok=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# myst-nb's log lines around a notebook's execution (myst_nb/core/execute/cache.py), each
# after the notebook's path: "Executing notebook using local CWD", then, if it ran,
# "Executed notebook in 26.36 seconds" (a failure logs a warning instead, to stderr).
_COLOR = re.compile(r"\x1b\[[0-9;]*m")
_EXECUTING = re.compile(r"(?P<path>.+?): Executing notebook using (?:local|temporary) CWD\b")
_EXECUTED = re.compile(r"(?P<path>.+?): Executed notebook in (?P<seconds>[0-9.]+) seconds\b")


class ChapterPeaks:
    """Charges each kernel the build starts to the chapter it executes, reading the build's log.

    ``kernels`` samples every kernel below the build process. Chapters execute one at a time,
    so the first kernel seen since the previous chapter ended is this chapter's when its
    "Executed" line comes (a kernel may have ended before: its last sample holds its peak;
    the next chapter's may have started: it is left for the next line).
    Kernels that ended before a chapter starts belong to a chapter whose execution failed:
    they are charged to no chapter.
    """

    def __init__(self, kernels: KernelPeaks, book_dir: Path):
        self.kernels, self.book_dir = kernels, book_dir
        self.claimed: set[int] = set()
        self.current: tuple[Path, str] | None = None  # the notebook executing, its SHA-256
        self.results: dict[str, dict] = {}

    def _path(self, logged: str) -> Path:
        return (self.book_dir / logged.strip()).resolve()  # absolute in the log: kept as is

    def feed(self, line: str) -> tuple[str, dict] | None:
        """Read one line of the build's output: (chapter, measurement) when a chapter has run."""
        line = _COLOR.sub("", line).strip()
        if match := _EXECUTING.match(line):
            self.kernels.sample()
            with self.kernels.lock:
                self.claimed |= {pid for pid, k in self.kernels.kernels.items() if not k["alive"]}
            path = self._path(match["path"])
            self.current = (path, sha256(path))
            return None
        match = _EXECUTED.match(line)
        if not match or self.current is None or self._path(match["path"]) != self.current[0]:
            return None
        path, digest = self.current
        self.current = None
        self.kernels.sample()
        with self.kernels.lock:
            # The first kernel not yet claimed: a chapter runs in one kernel, and the next
            # chapter's may already have started when this line is read (the log is read
            # while the build goes on).
            unclaimed = [pid for pid in self.kernels.kernels if pid not in self.claimed]
            mine = {pid: self.kernels.kernels[pid] for pid in unclaimed[:1]}
            self.claimed |= set(mine)
            kernel = sum(k["kernel"] for k in mine.values())
            children = {pid: peak for k in mine.values() for pid, peak in k["children"].items()}
        if not mine:
            print(f"kernel peak {path.stem}: no kernel seen (tests/test_kernel_memory.py runs it again)",
                  flush=True)
            return None
        self.results[path.stem] = {**charge(kernel, children), "kernels": len(mine),
                                   "seconds": float(match["seconds"]), "sha256": digest}
        return path.stem, self.results[path.stem]


def write_peaks(book_dir: Path, results: dict[str, dict]) -> Path:
    """Merge this build's measurements into ``<book>/_build/kernel-peaks.json``."""
    target = book_dir / "_build" / PEAKS
    try:
        merged = json.loads(target.read_text())
    except (OSError, ValueError):
        merged = {}
    merged.update(results)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".json.partial")
    partial.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n")
    partial.replace(target)
    return target


def _relay(stream, chapters: ChapterPeaks) -> None:
    """Echo the build's output line by line, unchanged, and measure the chapters it executes."""
    out = getattr(sys.stdout, "buffer", None)
    measuring = True
    for raw in iter(stream.readline, b""):
        if out is None:
            sys.stdout.write(raw.decode("utf-8", "replace"))
            sys.stdout.flush()
        else:
            out.write(raw)
            out.flush()
        if not measuring:
            continue
        try:
            done = chapters.feed(raw.decode("utf-8", "replace"))
        except Exception as error:  # a measurement must never break the build
            print(f"kernel peaks: none measured from here on ({error!r})", flush=True)
            measuring = False
            continue
        if done is not None:
            name, row = done
            print(f"kernel peak {name:28s} {row['peak_mb']:7.1f} MB {row['seconds']:6.1f} s", flush=True)


def run_measured(command: list[str], book_dir: Path, interval: float = 0.05) -> tuple[int, dict[str, dict]]:
    """Run the build, its output echoed line by line unchanged; each executed chapter's peak.

    A kernel lives about 0.2 s after its last cell (it shuts down before the "Executed"
    line): sampled every ``interval`` seconds, a peak reached in those last moments is still
    seen, unless the sampling thread is held up that long.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    with KernelPeaks(process.pid, interval) as kernels:
        chapters = ChapterPeaks(kernels, book_dir)
        relay = threading.Thread(target=_relay, args=(process.stdout, chapters), daemon=True)
        relay.start()
        code = process.wait()
        relay.join(timeout=OUTPUT_GRACE)
    if not relay.is_alive():
        process.stdout.close()
    return code, dict(chapters.results)


def build(book_dir: Path) -> int:
    invalidate_stale_cache(book_dir)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(book_dir), "--all", "-W", "-n", "--keep-going"]
    print("$", " ".join(command), flush=True)
    start = time.perf_counter()
    code, peaks = run_measured(command, book_dir)
    seconds = time.perf_counter() - start
    print(f"kernel peaks of {len(peaks)} executed chapter(s): {write_peaks(book_dir, peaks)}", flush=True)
    html = (book_dir / "_build" / "html").resolve()
    if code != 0:
        print(f"\nThe book build FAILED after {seconds:.0f} s (exit code {code}); see the errors above.")
        return code
    print(
        f"\nThe book is built ({seconds:.0f} s): {html / 'index.html'}\n"
        "Open it with `make serve`, then visit http://127.0.0.1:8000/ in a browser."
    )
    return 0


if __name__ == "__main__":
    sys.exit(build(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT))
