"""What the chapter tests read from a notebook's source: its text, its code, its figures.

The checks every chapter must pass live in test_notebooks.py; a chapter's own test file
reads its notebook with these helpers for what only that chapter claims.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

BOOK = Path(__file__).resolve().parents[1] / "book"
GLUE_ROLE = re.compile(r"\{glue:text\}`([^`]+)`")
FIGURE_MAKERS = {"subplots", "figure", "subplot_mosaic"}  # plt.<maker>(...) makes a figure.


def read(chapter: str | Path) -> nbformat.NotebookNode:
    """The notebook of ``chapter``: a path, or a name under book/ ("sgd")."""
    path = Path(chapter) if str(chapter).endswith(".ipynb") else BOOK / f"{chapter}.ipynb"
    return nbformat.read(path, as_version=4)


def markdown(notebook) -> str:
    """The chapter's text: its markdown cells, one after the other."""
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def code_cells(notebook) -> list:
    return [c for c in notebook.cells if c.cell_type == "code"]


def code(notebook) -> str:
    """The chapter's code: its code cells, one after the other."""
    return "\n".join(c.source for c in code_cells(notebook))


def cell(notebook, cell_id: str):
    return next(c for c in notebook.cells if c.id == cell_id)


def flat(text: str) -> str:
    """``text`` with every run of white space made one space (sentences broken over lines)."""
    return " ".join(text.split())


def parse(source: str) -> ast.Module:
    """A code cell's syntax tree; IPython magics (%config, !pip) stand as ``pass``."""
    return ast.parse("\n".join(
        line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!"))
        else line for line in source.splitlines()))


def assignments(source: str) -> dict:
    """The literal values assigned at the top level of a cell: ``x = 0.1``, ``a, b = f(), 2``
    (each element of a tuple on its own: the literal ones are kept)."""
    found = {}

    def literal(node):
        try:
            return True, ast.literal_eval(node)
        except ValueError:
            return False, None

    for node in parse(source).body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name):
                ok, value = literal(node.value)
                if ok:
                    found[target.id] = value
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for name, element in zip(target.elts, node.value.elts):
                    ok, value = literal(element)
                    if ok and isinstance(name, ast.Name):
                        found[name.id] = value
    return found


def glue_roles(text: str) -> list[str]:
    """The names ``{glue:text}`name:format``` roles show, in order, without the format."""
    return [role.split(":")[0] for role in GLUE_ROLE.findall(text)]


def figure_calls(tree: ast.AST) -> list[ast.Call]:
    """The calls that make a figure: ``plt.subplots(...)``, ``plt.figure(...)``, ..."""
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr in FIGURE_MAKERS
            and getattr(node.func.value, "id", None) == "plt"]


def figure_cells(notebook) -> list:
    """The code cells that make a static figure or show one."""
    def is_figure(source):
        tree = parse(source)
        shows = any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "show"
                    for n in ast.walk(tree))
        return shows or bool(figure_calls(tree))
    return [c for c in code_cells(notebook) if is_figure(c.source)]


def check_calls(notebook) -> list[ast.Call]:
    """The exercise check cells' calls, ``check_…(..., answer=None)``, in order."""
    return [node for c in code_cells(notebook) for node in ast.walk(parse(c.source))
            if isinstance(node, ast.Call) and getattr(node.func, "id", "").startswith("check_")
            and any(k.arg == "answer" and ast.unparse(k.value) == "None" for k in node.keywords)]


def check_call(notebook, name: str) -> dict:
    """The keyword arguments, answer aside, of the first check cell's call to ``name``."""
    for call in check_calls(notebook):
        if call.func.id == name:
            return {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg != "answer"}
    raise AssertionError(f"no cell calls {name}(..., answer=None)")
