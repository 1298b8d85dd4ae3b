"""Build the book: execute every notebook, fail on any cell error or Sphinx warning.

    python tools/build_book.py [BOOK_DIR]

Runs ``jupyter-book build BOOK_DIR --all -W -n --keep-going``. Notebook outputs are kept
in a jupyter-cache (``_build/.jupyter_cache``) so an unchanged chapter is not executed
again. A chapter's outputs also depend on what lies outside it: the ``descent`` package,
the locked environment, the book's execution settings and the Python that runs it
(ENVIRONMENT below). The cache is emptied whenever any of these change; the CI cache key
(.github/workflows/book.yml) hashes the same files and the Python version, and a test holds
the two lists equal.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# Everything outside a notebook that its executed outputs depend on, as glob patterns
# relative to the repository (the workflow's hashFiles takes the same): the package, all its
# files (compute.js too); the lock; the package's metadata; the execution settings; the
# Sphinx extensions. The Python version is added to the hash. Not _toc.yml: which chapters
# the book lists changes no chapter's outputs.
ENVIRONMENT = ("src/**", "requirements.txt", "pyproject.toml", "_config.yml", "_ext/**")
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
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)


def build(book_dir: Path) -> int:
    invalidate_stale_cache(book_dir)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(book_dir), "--all", "-W", "-n", "--keep-going"]
    print("$", " ".join(command), flush=True)
    start = time.perf_counter()
    code = subprocess.call(command)
    seconds = time.perf_counter() - start
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
