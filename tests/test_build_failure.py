"""A cell that raises fails the build, and so `make test`.

A small book with the real _config.yml and one chapter is built twice with the same
build script `make book` uses: once with a chapter that runs (the build passes, so the
failure below is not a broken setup) and once with a cell that raises.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def build_small_book(tmp_path: Path, cell_source: str) -> subprocess.CompletedProcess:
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "_ext", tmp_path / "_ext")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# A small book\n\nIt has one chapter.\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/chapter\n"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Chapter"), nbformat.v4.new_code_cell(cell_source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "book" / "chapter.ipynb")
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_book.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )


@pytest.mark.parametrize(
    ("cell", "passes"),
    [
        ("print('the cell ran:', sum(range(10)) * 1009)", True),
        ("raise RuntimeError('this cell is broken on purpose')", False),
    ],
    ids=["cell-runs", "cell-raises"],
)
def test_a_cell_that_raises_fails_the_build(tmp_path, cell, passes):
    result = build_small_book(tmp_path, cell)
    output = result.stdout + result.stderr
    if passes:
        assert result.returncode == 0, output[-4000:]
        html = (tmp_path / "_build" / "html" / "book" / "chapter.html").read_text()
        outputs = re.findall(r'<div class="cell_output[^"]*">(.*?)</div>\s*</div>', html, re.S)
        assert any("the cell ran: 45405" in o for o in outputs), "the cell's output is not on the page"
        # The small book's executed notebooks are cached in its own _build, never the project's.
        assert (tmp_path / "_build" / ".jupyter_cache").is_dir()
        assert f"Using jupyter-cache at: {(tmp_path / '_build' / '.jupyter_cache').resolve()}" in output
    else:
        assert result.returncode != 0, "a cell raised but the build passed"
        assert "this cell is broken on purpose" in output
        assert "The book build FAILED" in output
