"""A cell that raises fails the build, and so `make test`.

A small book with the real _config.yml and one chapter is built twice with the same
build script `make book` uses: once with a chapter that runs (the build passes, so the
failure below is not a broken setup) and once with a cell that raises.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from small_books import build, write_small_book

ROOT = Path(__file__).resolve().parents[1]


def build_small_book(tmp_path: Path, cell_source: str) -> subprocess.CompletedProcess:
    write_small_book(tmp_path, {"chapter": cell_source})
    return build(tmp_path)


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
