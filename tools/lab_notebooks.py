"""Copy the reader's edition into ``lab/``, where ``make lab`` opens it, keeping a reader's work.

    python tools/lab_notebooks.py [EDITION] [LAB]     (defaults: _build/readers/book, lab)

The build writes the reader's edition of every chapter to ``_build/readers/book/`` and
rewrites it on every build, so readers do not work there. This copies it to ``lab/``.
A notebook in ``lab/`` that has changed since it was copied (the reader ran and saved it,
or wrote in it) is kept, and named; delete it to get the current edition.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ".edition.json"  # name -> sha256 of the copy as it was made


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync(edition: Path, lab: Path) -> tuple[list[str], list[str]]:
    """Copy every notebook of ``edition`` into ``lab``; return (copied, kept) names."""
    notebooks = sorted(edition.glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"No reader's edition in {edition}: build the book first (`make book`).")
    lab.mkdir(parents=True, exist_ok=True)
    manifest_path = lab / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    copied, kept = [], []
    for notebook in notebooks:
        target = lab / notebook.name
        if target.exists() and _digest(target) != manifest.get(notebook.name):
            kept.append(notebook.name)
            continue
        shutil.copyfile(notebook, target)
        manifest[notebook.name] = _digest(target)
        copied.append(notebook.name)
    data = edition / "data"
    if data.is_dir():
        shutil.copytree(data, lab / "data", dirs_exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return copied, kept


def main(argv: list[str]) -> int:
    edition = Path(argv[0]) if argv else ROOT / "_build" / "readers" / "book"
    lab = Path(argv[1]) if len(argv) > 1 else ROOT / "lab"
    copied, kept = sync(edition, lab)
    print(f"{len(copied)} chapters copied from the reader's edition into {lab}/")
    for name in kept:
        print(f"  kept {name}: you changed it (delete it to get the current edition)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
