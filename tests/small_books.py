"""Small books built with the real _config.yml and build script, for the build's own tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def write_small_book(root: Path, chapters: dict[str, str]) -> None:
    """A book in ``root``: the real configuration, and one notebook per chapter, in order.

    ``chapters`` maps each chapter's file name (without .ipynb) to the source of its one code
    cell, after a title.
    """
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "_ext", root / "_ext")
    (root / "book").mkdir()
    count = "one chapter" if len(chapters) == 1 else f"{len(chapters)} chapters"
    (root / "book" / "intro.md").write_text(f"# A small book\n\nIt has {count}.\n")
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n" + "".join(
        f"  - file: book/{name}\n" for name in chapters))
    for name, source in chapters.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {name.title()}"), nbformat.v4.new_code_cell(source)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / "book" / f"{name}.ipynb")


def build(root: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Build the book in ``root`` with tools/build_book.py, as `make book` does."""
    return subprocess.run([sys.executable, str(ROOT / "tools" / "build_book.py"), str(root)],
                          capture_output=True, text=True, timeout=timeout)
