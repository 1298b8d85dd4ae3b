"""What `pip install descent-book` must bring: every module the package imports is declared.

Colab installs the package from pyproject.toml alone, so a module imported by
src/descent/ that only arrives as another package's dependency (requests through pooch,
Pillow through Matplotlib) could vanish from under it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Imported only inside `try: … except ImportError`, for the book's build: optional.
OPTIONAL = {"myst_nb"}


def imported_modules() -> set[str]:
    names = set()
    for path in (ROOT / "src" / "descent").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"descent", "__future__"} - OPTIONAL


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_module_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {normalize(re.split(r"[<>=!~ \[;]", d)[0]) for d in project["dependencies"]}
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for module in sorted(imported_modules()):
        distributions = {normalize(d) for d in providers.get(module, [module])}
        if not distributions & declared:
            missing[module] = sorted(distributions)
    assert missing == {}, f"imported by src/descent but not in pyproject's dependencies: {missing}"


def test_the_build_backend_understands_the_licence_field():
    """`license = "MIT"` (an SPDX expression) needs setuptools 77 or newer."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(pyproject["project"]["license"], str)
    (requirement,) = [r for r in pyproject["build-system"]["requires"] if r.startswith("setuptools")]
    floor = tuple(int(p) for p in re.search(r">=\s*([\d.]+)", requirement).group(1).split("."))
    assert floor >= (77,), requirement
