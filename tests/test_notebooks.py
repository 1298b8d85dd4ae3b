"""Chapters are committed in one form: no outputs, and the Colab install cell first."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402

CHAPTERS = notebooks.chapter_notebooks()


def test_there_are_chapters_and_all_are_in_the_toc():
    toc = (ROOT / "_toc.yml").read_text()
    assert CHAPTERS, "no notebooks under book/"
    for path in CHAPTERS:
        assert f"file: {path.relative_to(ROOT).with_suffix('').as_posix()}" in toc, f"{path} is not in _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_committed_without_outputs_and_with_install_cell(path):
    assert notebooks.problems(path) == [], "run `make notebooks` to strip outputs and write the install cell"


def test_install_cell_uses_the_repository_url_from_config():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    source = notebooks.install_cell_source()
    assert f"git+{config['repository']['url']}@{config['repository']['branch']}" in source
    assert 'find_spec("descent") is None' in source


def test_check_finds_outputs_and_a_missing_install_cell(tmp_path):
    # The check itself must be able to fail: feed it a notebook with an output.
    for name in ("_config.yml",):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "book").mkdir()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1")
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    nb.cells = [cell]
    path = tmp_path / "book" / "chapter.ipynb"
    nbformat.write(nb, path)
    found = notebooks.problems(path, root=tmp_path)
    assert "cell 0 has outputs" in found
    assert "cell 0 has an execution count" in found
    assert "the first cell is not the install cell" in found
    notebooks.fix(path, root=tmp_path)
    assert notebooks.problems(path, root=tmp_path) == []
    fixed = nbformat.read(path, as_version=4)
    assert fixed.cells[1].source == "1 + 1" and fixed.cells[1].outputs == []


def test_install_cell_is_valid_ipython_and_does_nothing_when_descent_is_importable():
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell(notebooks.install_cell_source())
    calls = []
    namespace = {"get_ipython": lambda: type("Shell", (), {"run_line_magic": lambda self, *a: calls.append(a)})()}
    exec(compile(python, "<install cell>", "exec"), namespace)
    assert calls == [], "the install cell ran pip although descent is importable"


ANATOMY = ["## The question", "## Theory", "## From scratch", "## See it", "## Summary",
           "## Exercises", "## References"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_follows_the_anatomy_and_its_exercises_have_solutions(path):
    """BOOK_STYLE's scaffold, in order; ≥ 3 exercises, each with a solution in a dropdown;
    every check an exercise names is called in a code cell."""
    import re

    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    positions = [markdown.find(heading) for heading in ANATOMY]
    assert all(p >= 0 for p in positions), dict(zip(ANATOMY, positions))
    assert positions == sorted(positions), "the sections are out of order"
    labels = re.findall(r"```\{exercise\}\n:label: (\S+)", markdown)
    assert len(labels) >= 3, labels
    for label in labels:
        solution = re.search(r"```\{solution\} " + re.escape(label) + r"\n:class: dropdown\n", markdown)
        assert solution, f"{label} has no solution in a dropdown"
    for check in set(re.findall(r"`(check_\w+)\(", markdown)):
        assert f"{check}(" in code, f"{check} is named in an exercise but never called"


def _imported_modules(path) -> set[str]:
    import ast

    modules = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        # IPython magics (%pip, %config) are not Python; stand a `pass` in their place.
        source = "\n".join(
            line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
            for line in cell.source.splitlines()
        )
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_imports_only_what_its_colab_install_provides(path):
    """On Colab the first cell installs descent-book and its dependencies (pyproject.toml),
    and nothing else: a chapter that imports anything more (myst_nb, say) fails there."""
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!~ ;\[]", spec)[0].lower().replace("-", "_") for spec in project["dependencies"]}
    provided = names | {"descent", "IPython"} | set(sys.stdlib_module_names)
    assert _imported_modules(path) - provided == set()
