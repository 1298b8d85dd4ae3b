"""Reproducible installs: the locks, Binder's folder, CI's cache key and its scheduled build.

requirements.txt is the lock of every package, compiled by uv from requirements.in;
binder/requirements.txt is the readers' subset of it. The CI cache of executed notebooks is
keyed on the same files tools/build_book.py fingerprints, a weekly workflow builds with no
cache at all, and a `floors` job tests the package at the lowest versions it declares.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.txt"
BINDER_LOCK = ROOT / "binder" / "requirements.txt"
WORKFLOWS = ROOT / ".github" / "workflows"
LOCK_COMMAND = "uv pip compile requirements.in --universal --python-version 3.11 -o requirements.txt"
BINDER_COMMAND = ("grep -v '^-e' requirements.txt | uv pip compile pyproject.toml binder/requirements.in "
                  "--universal --python-version 3.11 -c - -o binder/requirements.txt")
# What builds or tests the book; a reader running the chapters needs none of it.
TOOLING = re.compile(r"^(jupyter-book|sphinx.*|pydata-sphinx-theme|myst-.*|jupyter-cache|docutils|"
                     r"django-static-mathjax|pytest.*|hypothesis|playwright|actionlint.*|uv)$")

sys.path.insert(0, str(ROOT / "tools"))
import build_book  # noqa: E402


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, list[tuple[str, str]]]:
    """name -> [(version, marker)] of every `name==version ; marker` line of a lock."""
    found: dict[str, list[tuple[str, str]]] = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement, _, marker = line.partition(";")
        match = re.fullmatch(r"([A-Za-z0-9._-]+)\s*==\s*(\S+)", requirement.strip())
        assert match, f"{path.name}: not pinned with ==: {line!r}"
        found.setdefault(normalize(match[1]), []).append((match[2], marker.strip()))
    return found


def pinned_here(entries: list[tuple[str, str]]) -> str | None:
    """The version a lock's entries give on this interpreter and platform."""
    for version, marker in entries:
        if not marker or Marker(marker).evaluate():
            return version
    return None


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(flow: dict) -> dict:
    return flow[True] if True in flow else flow["on"]  # YAML 1.1 reads `on` as True


# The main lock.

def test_the_lock_pins_every_package_the_environment_installs():
    """Walk the requirements from requirements.in through every installed package's own:
    each one reached is pinned in the lock at the version installed here."""
    lock = pins(LOCK)
    roots = [Requirement(line) for line in top_level_requirements()]
    roots += [Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]
    seen: set[str] = set()
    missing, differ = [], {}
    todo = [(r, "") for r in roots]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = normalize(requirement.name)
        for wanted in requirement.extras | {""}:
            key = f"{name}[{wanted}]"
            if key in seen:
                continue
            seen.add(key)
            try:
                distribution = importlib.metadata.distribution(name)
            except importlib.metadata.PackageNotFoundError:
                pytest.fail(f"{name} is required but not installed: run `make env`")
            if wanted == "":
                version = pinned_here(lock.get(name, []))
                if version is None:
                    missing.append(name)
                elif version != distribution.version:
                    differ[name] = (version, distribution.version)
            todo += [(Requirement(r), wanted) for r in distribution.requires or []]
    assert missing == [], f"installed but not in requirements.txt: {sorted(missing)}"
    assert differ == {}, f"the lock's version differs from the installed one (lock, installed): {differ}"
    assert len(seen) > 100  # the walk went all the way down


def top_level_requirements() -> list[str]:
    lines = [l.split("#")[0].strip() for l in (ROOT / "requirements.in").read_text().splitlines()]
    return [l for l in lines if l and not l.startswith("-")]


def test_every_top_level_requirement_is_locked_at_its_version():
    lock = pins(LOCK)
    for line in top_level_requirements():
        requirement = Requirement(line)
        (specifier,) = requirement.specifier  # requirements.in pins each one by hand
        versions = [v for v, _ in lock.get(normalize(requirement.name), [])]
        assert versions == [specifier.version], f"{requirement.name}: {versions} in the lock, {specifier} in .in"


def test_the_lock_installs_the_package_editable_and_never_from_the_registry():
    lines = [l.strip() for l in LOCK.read_text().splitlines()]
    assert "-e ." in lines
    assert "descent-book" not in pins(LOCK)
    assert "-e ." in [l.split("#")[0].strip() for l in (ROOT / "requirements.in").read_text().splitlines()]


def test_the_locks_say_how_they_were_made_and_the_readme_agrees():
    assert LOCK_COMMAND in LOCK.read_text().split("\n", 3)[1]
    header = BINDER_LOCK.read_text().split("\n", 3)[1]
    assert BINDER_COMMAND.split(" | ")[1] in header
    readme = (ROOT / "README.md").read_text()
    for command in (LOCK_COMMAND, BINDER_COMMAND):
        assert command in readme
        assert command in (ROOT / "requirements.in").read_text()


def test_make_installs_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    rule = re.search(r"^\$\(VENV\)/\.installed:(.*?)\n\n", makefile, re.S | re.M)
    assert rule and "requirements.txt" in rule.group(1).splitlines()[0]
    assert re.search(r"pip install .*-r requirements\.txt", rule.group(1))


# Binder.

def test_the_binder_lock_is_the_main_locks_versions_without_the_tools():
    main, binder = pins(LOCK), pins(BINDER_LOCK)
    not_in_main = {n: e for n, e in binder.items() if not set(e) <= set(main.get(n, []))}
    assert not_in_main == {}, f"binder/requirements.txt pins what requirements.txt does not: {not_in_main}"
    tools = sorted(n for n in binder if TOOLING.match(n))
    assert tools == [], f"Binder would install build and test tools: {tools}"
    needed = {normalize(Requirement(r).name)
              for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    needed |= {"jupyterlab", "ipykernel", "ipywidgets", "anywidget"}
    assert needed - set(binder) == set()
    assert len(binder) < len(main) - 30


def test_the_binder_lock_leaves_the_package_to_the_publish_step():
    text = BINDER_LOCK.read_text()
    assert not re.search(r"^\s*(-e|descent-book)", text, re.M)
    assert "descent-book @ git+" in (ROOT / "binder" / "requirements.in").read_text()


def test_binder_reads_its_own_folder_and_the_root_has_no_stale_copies():
    binder = ROOT / "binder"
    runtime = (binder / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.1[12]", runtime), runtime
    assert [l for l in (binder / "apt.txt").read_text().splitlines() if l and not l.startswith("#")] == [
        "dataset-fashion-mnist"]
    post_build = binder / "postBuild"
    assert os.access(post_build, os.X_OK)
    script = post_build.read_text()
    assert 'cd "$(dirname "$0")/.."' in script
    for source in ("tools/jupyterlab-overrides.json", "tools/jupyter_server_config.py"):
        assert f"cp {source}" in script and (ROOT / source).exists()
    # repo2docker reads binder/ alone once it exists: root copies would drift unread.
    for name in ("postBuild", "runtime.txt", "apt.txt", "environment.yml"):
        assert not (ROOT / name).exists(), f"{name} at the root: Binder reads binder/{name}"


def test_every_system_install_reads_the_one_apt_list():
    assert "binder/apt.txt" in (ROOT / ".ci" / "run").read_text()
    for name in ("book.yml", "weekly.yml"):
        runs = " ".join(s.get("run", "") for job in workflow(name)["jobs"].values() for s in job["steps"])
        if "apt-get install" in runs:
            assert "binder/apt.txt" in runs, name


# The cache of executed notebooks.

def hash_files_args(expression: str) -> list[list[str]]:
    return [re.findall(r"'([^']*)'", call) for call in re.findall(r"hashFiles\(([^)]*)\)", expression)]


def test_the_ci_cache_key_covers_what_build_book_fingerprints_and_the_python():
    job = workflow("book.yml")["jobs"]["test"]
    python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    cache = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/cache@"))["with"]
    key = cache["key"]
    assert f"steps.{python['id']}.outputs.python-version" in key
    environment, chapters = hash_files_args(key)
    assert environment == list(build_book.ENVIRONMENT)
    assert chapters == ["book/**"]
    # Restore only a cache made in the same environment: the key less its chapters' hash.
    (restore,) = cache["restore-keys"].strip().splitlines()
    assert restore == key[: key.rindex("${{ hashFiles('book/**') }}")]
    assert {"_build/.jupyter_cache", "_build/descent-environment.sha256"} <= set(cache["path"].split())


def test_the_fingerprint_covers_every_file_of_the_package_and_the_python(tmp_path, monkeypatch):
    for relative in ("src/descent/__init__.py", "src/descent/explorers/compute.js", "requirements.txt",
                     "pyproject.toml", "_config.yml", "_ext/offline_assets.py", "_ext/static/descent.css"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(relative)
    before = build_book.environment_fingerprint(tmp_path)
    for relative in ("src/descent/explorers/compute.js", "requirements.txt", "pyproject.toml", "_config.yml",
                     "_ext/static/descent.css"):
        path = tmp_path / relative
        path.write_text("changed")
        assert build_book.environment_fingerprint(tmp_path) != before, relative
        path.write_text(relative)
    assert build_book.environment_fingerprint(tmp_path) == before
    # What running Python leaves behind is not part of it; which Python runs it is.
    (tmp_path / "src/descent/__pycache__").mkdir()
    (tmp_path / "src/descent/__pycache__/x.pyc").write_bytes(b"\0")
    (tmp_path / "src/descent_book.egg-info").mkdir()
    (tmp_path / "src/descent_book.egg-info/PKG-INFO").write_text("x")
    assert build_book.environment_fingerprint(tmp_path) == before
    monkeypatch.setattr(sys, "version", "3.99.0 (another build)")
    assert build_book.environment_fingerprint(tmp_path) != before


def test_a_changed_environment_empties_the_execution_cache(tmp_path):
    for relative in ("src/descent/__init__.py", "requirements.txt", "pyproject.toml", "_config.yml", "_ext/x.py"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(relative)
    cache = tmp_path / "_build" / ".jupyter_cache"
    build_book.invalidate_stale_cache(tmp_path, root=tmp_path)  # the first build writes the stamp
    cache.mkdir(parents=True)
    (cache / "kept").write_text("")
    build_book.invalidate_stale_cache(tmp_path, root=tmp_path)
    assert (cache / "kept").exists()
    (tmp_path / "_config.yml").write_text("execute: {timeout: 1}")
    build_book.invalidate_stale_cache(tmp_path, root=tmp_path)
    assert not cache.exists()


# The scheduled build and the floors.

def test_a_weekly_workflow_builds_from_nothing():
    flow = workflow("weekly.yml")
    on = triggers(flow)
    assert "workflow_dispatch" in on
    (schedule,) = on["schedule"]
    assert len(schedule["cron"].split()) == 5
    for job in flow["jobs"].values():
        steps = job["steps"]
        assert not any(s.get("uses", "").startswith("actions/cache@") for s in steps)
        for step in steps:
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert "cache" not in step.get("with", {})
        assert job["env"]["PIP_NO_CACHE_DIR"] == "1"
        assert any(s.get("run", "").strip().startswith("make test") for s in steps)
        assert {"3.11", "3.12"} <= set(job["strategy"]["matrix"]["python"])


def floors_job() -> dict:
    return workflow("book.yml")["jobs"]["floors"]


def test_the_floors_job_installs_the_lowest_declared_versions():
    runs = "\n".join(s.get("run", "") for s in floors_job()["steps"])
    install = next(l for l in runs.replace("\\\n", " ").splitlines() if "uv pip install" in l)
    assert "--resolution lowest-direct" in install and "-e ." in install
    assert "-r requirements.txt" not in install and "-c " not in install  # nothing pulls the floors up
    assert "pytest" in runs and "$UNIT_TESTS" in runs


def test_the_floors_job_runs_unit_tests_that_need_only_the_package():
    """Each test file the floors job runs exists and imports nothing the package does not bring
    (a collection error there would hide the floors' results), and needs no book or browser."""
    allowed = {normalize(Requirement(r).name)
               for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    allowed |= {"pytest", "hypothesis", "descent", "pil", "conftest", "explorer-cases"}
    files = floors_job()["env"]["UNIT_TESTS"].split()
    assert "tests/test_optimizers.py" in files and len(files) >= 15
    for name in files:
        source = (ROOT / name).read_text()
        modules = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
        outside = {m for m in modules - set(sys.stdlib_module_names) - {"__future__"} if normalize(m) not in allowed}
        assert outside == set(), f"{name} imports {outside}, which the floors job does not install"
        assert not re.search(r"mark\.(book|browser)|\b(built_book|site_url|browser)\b", source), name
