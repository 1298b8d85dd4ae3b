"""The GitHub workflow and .ci/run run the README's commands, and the workflow lints clean."""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def readme_commands() -> list[str]:
    """The commands of the README's first bash block after 'two commands'."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"two commands:\s*```bash\n(.*?)```", text, re.S)
    assert block, "the README has no block of set-up commands"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def actionlint() -> str:
    exe = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if exe is None:
        if sys.platform == "linux" and platform.machine() == "x86_64":
            pytest.fail("actionlint is missing: it is in requirements.txt for Linux x86-64; run `make test`")
        pytest.skip("actionlint ships no binary wheel for this platform; the YAML checks below still run")
    return exe


def test_readme_gives_exactly_two_commands_and_the_makefile_has_them():
    assert readme_commands() == ["make book", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    for target in ("book", "test", "lab", "serve"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no target {target}"


def test_ci_runs_the_readme_test_command_after_apt():
    script = (ROOT / ".ci" / "run").read_text()
    commands = [l.strip() for l in script.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    assert commands[-1] == "make test"
    assert "binder/apt.txt" in script and "chromium" in script


def test_workflow_builds_tests_and_publishes():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    test_steps = workflow["jobs"]["test"]["steps"]
    runs = [step.get("run", "").strip() for step in test_steps]
    assert "make test" in runs
    uses = {step["uses"].split("@")[0]: step for step in test_steps if "uses" in step}
    assert "binder/apt.txt" in " ".join(runs)
    assert "_build/.jupyter_cache" in uses["actions/cache"]["with"]["path"]  # its key: tests/test_locks.py
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert "main" in uses["actions/upload-pages-artifact"]["if"]
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "test" and deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])


def test_actionlint_passes_on_every_workflow():
    assert {w.name for w in WORKFLOWS} >= {"book.yml", "weekly.yml"}
    result = subprocess.run([actionlint(), "-no-color", "-oneline", *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_an_outdated_action(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "book.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(re.sub(r"actions/checkout@v\d+", "actions/checkout@v2", WORKFLOW.read_text()))
    result = subprocess.run([actionlint(), "-no-color", "-oneline", str(broken)], capture_output=True, text=True)
    assert result.returncode != 0 and "checkout@v2" in result.stdout
