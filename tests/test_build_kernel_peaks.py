"""The book build measures each chapter's kernel peak as it executes it (tools/build_book.py).

First on a fake build: a script that prints myst-nb's log lines and starts fake kernels
(processes whose command line names ipykernel_launcher) of known sizes, one of them with a
child, one that fails; then on a real small book of two chapters, one of which allocates
200 MB in its last cell, built twice with the build script `make book` uses.
"""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path

import nbformat

import small_books
from small_books import write_small_book

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_book  # noqa: E402

# A fake kernel: allocates MB megabytes, optionally starts a child that allocates CHILD_MB,
# then exits (before the build logs "Executed", as a real kernel may).
FAKE_KERNEL = textwrap.dedent("""
    import subprocess, sys, time
    mb, child_mb = int(sys.argv[1]), int(sys.argv[2])
    a = bytearray(mb * 1_000_000); a[::4096] = b'x' * len(a[::4096]); del a
    if child_mb:
        code = (f"a = bytearray({child_mb} * 1_000_000); a[::4096] = b'x' * len(a[::4096]); "
                "import time; time.sleep(0.5)")
        subprocess.run([sys.executable, "-c", code])
    time.sleep(0.5)
""")

# A fake build: for each notebook, myst-nb's lines around a kernel that runs to its end.
FAKE_BUILD = textwrap.dedent("""
    import subprocess, sys
    kernel, book = sys.argv[1], sys.argv[2]
    for name, mb, child_mb, fails in [("large", 200, 100, False), ("broken", 300, 0, True),
                                      ("small", 20, 0, False)]:
        path = f"{book}/{name}.ipynb"
        print(f"\\x1b[01mreading sources... \\x1b[39;49;00m{name}", flush=True)
        print(f"{path}: Executing notebook using local CWD [mystnb]", flush=True)
        subprocess.run([sys.executable, kernel, str(mb), str(child_mb), "ipykernel_launcher"])
        if fails:
            print(f"{path}: Executing notebook failed: CellExecutionError [mystnb]", file=sys.stderr)
        else:
            print(f"{path}: Executed notebook in 1.25 seconds [mystnb]", flush=True)
            print(f"{path}: Cached executed notebook: ID=1 [mystnb]", flush=True)
""")


def test_each_kernel_is_charged_to_the_chapter_it_ran(tmp_path, capfd):
    (tmp_path / "kernel.py").write_text(FAKE_KERNEL)
    (tmp_path / "build.py").write_text(FAKE_BUILD)
    for name in ("large", "broken", "small"):
        (tmp_path / f"{name}.ipynb").write_text(name)
    code, results = build_book.run_measured(
        [sys.executable, str(tmp_path / "build.py"), str(tmp_path / "kernel.py"), str(tmp_path)], tmp_path)
    assert code == 0
    # The failed chapter is measured for no chapter, and its 300 MB are charged to no other.
    assert sorted(results) == ["large", "small"]
    large, small = results["large"], results["small"]
    assert 200 <= large["kernel_mb"] < 260, large
    assert (large["children"], small["children"]) == (1, 0)
    assert 100 <= large["children_mb"] < 130, large
    assert abs(large["peak_mb"] - (large["kernel_mb"] + large["children_mb"])) <= 0.1 + 1e-9  # each rounded
    assert small["peak_mb"] < 100, small
    assert large["seconds"] == small["seconds"] == 1.25
    assert large["sha256"] == build_book.sha256(tmp_path / "large.ipynb")
    assert small["kernels"] == large["kernels"] == 1
    output = capfd.readouterr().out
    # The build's own lines pass unchanged, colors included; one line per measured chapter.
    assert "\x1b[01mreading sources... \x1b[39;49;00mlarge\n" in output
    assert f"{tmp_path}/small.ipynb: Executed notebook in 1.25 seconds [mystnb]\n" in output
    assert [line.split()[2] for line in output.splitlines() if line.startswith("kernel peak ")] == [
        "large", "small"]


def test_a_process_the_build_leaves_behind_does_not_hold_the_build(tmp_path, monkeypatch):
    # It inherits the build's output and keeps it open after the build has exited.
    monkeypatch.setattr(build_book, "OUTPUT_GRACE", 1)
    left = "import subprocess, sys, time; subprocess.Popen(['sleep', '20']); print('bye', flush=True)"
    start = time.perf_counter()
    code, results = build_book.run_measured([sys.executable, "-c", left], tmp_path)
    assert (code, results) == (0, {})
    assert time.perf_counter() - start < 10


CHAPTERS = {
    "small": "print(sum(range(10)))",
    # Freed at once, and the kernel shuts down soon after: only its high-water mark keeps
    # it. (The sleep leaves the sampler time: a peak in a kernel's last ~0.1 s may be missed.)
    "large": "a = bytearray(200_000_000)\na[::4096] = b'x' * len(a[::4096])\ndel a\n"
             "import time\ntime.sleep(0.3)",
}


def small_book(root: Path) -> None:
    """The real _config.yml, with two chapters: `small`, and `large`, whose last cell takes 200 MB."""
    write_small_book(root, CHAPTERS)


def build(root: Path) -> tuple[str, dict]:
    result = small_books.build(root, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout, json.loads((root / "_build" / build_book.PEAKS).read_text())


def test_the_build_writes_each_executed_chapter_s_kernel_peak(tmp_path):
    small_book(tmp_path)
    output, peaks = build(tmp_path)
    assert sorted(peaks) == ["large", "small"]
    small, large = peaks["small"], peaks["large"]
    assert large["peak_mb"] >= 200 and large["peak_mb"] - small["peak_mb"] >= 190, peaks
    assert small["sha256"] == build_book.sha256(tmp_path / "book" / "small.ipynb")
    assert "kernel peak large" in output and "kernel peak small" in output

    # Built again with `small` changed: `small` runs and is measured again; `large` comes
    # from the cache and keeps its measurement.
    nb = nbformat.read(tmp_path / "book" / "small.ipynb", as_version=4)
    nb.cells[1].source += "\nprint('changed')"
    nbformat.write(nb, tmp_path / "book" / "small.ipynb")
    output, again = build(tmp_path)
    assert "kernel peak large" not in output and "kernel peak small" in output
    assert again["large"] == large
    assert again["small"]["sha256"] == build_book.sha256(tmp_path / "book" / "small.ipynb") != small["sha256"]


def test_a_changed_environment_forgets_the_measurements(tmp_path):
    (tmp_path / "src").mkdir()
    for relative in ("src/x.py", "requirements.txt", "pyproject.toml", "_config.yml"):
        (tmp_path / relative).write_text(relative)
    peaks = tmp_path / "_build" / build_book.PEAKS
    build_book.invalidate_stale_cache(tmp_path, root=tmp_path)  # the first build writes the stamp
    peaks.write_text("{}")
    build_book.invalidate_stale_cache(tmp_path, root=tmp_path)
    assert peaks.exists()
    (tmp_path / "src" / "x.py").write_text("changed")
    build_book.invalidate_stale_cache(tmp_path, root=tmp_path)
    assert not peaks.exists()
