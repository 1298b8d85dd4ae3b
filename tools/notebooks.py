"""Keep the chapter notebooks in their committed form.

Every chapter notebook is committed without outputs, and starts with one hidden cell that
installs the ``descent`` package where it is missing (Colab) and does nothing elsewhere.
That cell is written from the repository URL in ``_config.yml``, the one place it is set.

    python tools/notebooks.py check   # list notebooks that are not in committed form
    python tools/notebooks.py fix     # strip outputs, write the install cell
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
INSTALL_TAG = "descent-install"
HIDDEN_TAG = "remove-cell"  # Jupyter Book drops the cell from the static page.
# The kernel's spec as ipykernel reports it: JupyterLab writes that report into a notebook
# it opens, so any other spec marks a chapter modified the moment it is opened.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def chapter_notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook under book/, checkpoints excepted."""
    return sorted(p for p in (root / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def install_cell_source(root: Path = ROOT) -> str:
    """The first cell of every chapter, built from ``repository`` in ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/")
    branch = config["repository"].get("branch", "main")
    return (
        "# On Colab, or anywhere the book's environment is not installed, this installs the\n"
        "# book's `descent` package. Where `descent` is importable already, it does nothing.\n"
        "import importlib.util\n"
        "\n"
        'if importlib.util.find_spec("descent") is None:\n'
        f'    %pip install --quiet "descent-book @ git+{url}@{branch}"'
    )


def _install_cell(root: Path) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(install_cell_source(root))
    cell.metadata["tags"] = [HIDDEN_TAG, INSTALL_TAG]
    cell.pop("id", None)
    return cell


def problems(path: Path, root: Path = ROOT) -> list[str]:
    """What keeps ``path`` from its committed form; empty when it is fine."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            found.append(f"cell {index} has outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {index} has an execution count")
    if nb.metadata.get("kernelspec") != KERNELSPEC:
        found.append(f"the kernelspec is not {KERNELSPEC}")
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != "code" or INSTALL_TAG not in first.metadata.get("tags", []):
        found.append("the first cell is not the install cell")
    else:
        if first.source != install_cell_source(root):
            found.append("the install cell differs from the one _config.yml gives")
        if HIDDEN_TAG not in first.metadata.get("tags", []):
            found.append(f"the install cell lacks the tag {HIDDEN_TAG!r}")
    return found


def fix(path: Path, root: Path = ROOT) -> None:
    """Strip outputs and execution counts; write the install cell first."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    cells = [c for c in nb.cells if INSTALL_TAG not in c.get("metadata", {}).get("tags", [])]
    cell = _install_cell(root)
    cell["id"] = "install-descent"
    nb.cells = [cell, *cells]
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nbformat.validate(nb)
    nbformat.write(nb, path)


def final_calls(path: Path, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each call ``name(...)``, name one of ``names``, that ends a code cell of ``path``.

    How the tests and the benchmarks build a chapter's explorers exactly as the page shows
    them: (name, source) in the order of the cells; empty when there is none (or the
    notebook does not exist).
    """
    if not path.exists():
        return []
    calls = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or not any(name in cell.source for name in names):
            continue
        try:
            body = ast.parse(cell.source).body
        except SyntaxError:
            continue
        last = body[-1].value if body and isinstance(body[-1], ast.Expr) else None
        if isinstance(last, ast.Call) and isinstance(last.func, ast.Name) and last.func.id in names:
            calls.append((last.func.id, ast.get_source_segment(cell.source, last)))
    return calls


def final_call(path: Path, name: str) -> str | None:
    """The source of the first call ``name(...)`` that ends a code cell of ``path``, or None."""
    calls = final_calls(path, (name,))
    return calls[0][1] if calls else None


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"check", "fix"}:
        print(__doc__)
        return 2
    bad = 0
    for path in chapter_notebooks():
        if argv[0] == "fix":
            fix(path)
        for problem in problems(path):
            print(f"{path.relative_to(ROOT)}: {problem}")
            bad += 1
    if bad and argv[0] == "check":
        print("Run `make notebooks` (python tools/notebooks.py fix) to fix them.")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
