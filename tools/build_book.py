"""Build the book: execute every notebook, fail on any cell error or Sphinx warning.

    python tools/build_book.py [BOOK_DIR]

Runs ``jupyter-book build BOOK_DIR --all -W -n --keep-going``. Notebook outputs are kept
in a jupyter-cache (``_build/.jupyter_cache``) so an unchanged chapter is not executed
again; since a chapter's outputs also depend on the ``descent`` package and the pinned
environment, the cache is emptied whenever ``src/`` or ``requirements.txt`` change.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def environment_fingerprint(root: Path = ROOT) -> str:
    """A hash of everything outside a notebook that its outputs depend on."""
    digest = hashlib.sha256()
    files = sorted((root / "src").rglob("*.py")) + [root / "requirements.txt"]
    for path in files:
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
        print("src/ or requirements.txt changed: emptying the execution cache")
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
