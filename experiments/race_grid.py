"""The optimizer race's full grid: every optimizer, a log grid of learning rates, three seeds.

Writes ``book/data/race-grid.json``, which the chapter ``book/race.ipynb`` reads: for each
optimizer of :data:`descent.race.OPTIMIZERS`, every (learning rate, seed) run of the
protocol of :mod:`descent.race` for ``--steps`` steps, and beside the numbers the command,
the git revision, the package versions, the machine and the wall time.

Run it from the repository's root, in the book's environment (23.5 minutes measured on two
CPU cores; unchanged on a GPU, where JAX finds it by itself):

    .venv/bin/python experiments/race_grid.py

``tests/test_race_grid.py`` reruns one cell of the grid (one optimizer at one learning rate,
all the seeds) and checks the stored numbers, so a change to an optimizer or to the protocol
that changes the results fails until this script is run again and its file committed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "book" / "data" / "race-grid.json"

STEPS = 500  # The budget of every run.
SEEDS = (0, 1, 2)
# Seven learning rates a half-decade apart, 3e-5 to 3e-2, the same for every optimizer but
# Adadelta: they hold the page's 1e-3 and, by a pilot run of 100 steps, each optimizer's best
# and the rates on either side where it gets worse (RMSProp's lie half a decade lower). Adadelta's α multiplies its own
# unit-free step (Zeiler's has α = 1), so its grid is centred on 1.
GRIDS = {name: (-4.5, -1.5) for name in
         ("sgd", "adagrad", "momentum", "adam", "nesterov", "rmsprop", "nadam", "amsgrad", "adamw")}
GRIDS["rmsprop"] = (-5.5, -2.5)  # Its good rates lie lower: 3e-6 to 3e-3.
GRIDS["adadelta"] = (-1.5, 1.5)
CURVE_EVERY = 5  # The validation curves are stored every this many steps.
CHUNK = 50  # Steps per call of the compiled program: the progress bar's unit.
PACKAGES = ("jax", "jaxlib", "flax", "optax", "numpy", "descent-book")
DIGITS = 6  # Significant digits kept in the file.


def learning_rates(optimizer: str) -> np.ndarray:
    low, high = GRIDS[optimizer]
    return 10.0 ** np.linspace(low, high, 7)


def machine() -> dict:
    import jax

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "jax_backend": jax.default_backend(),
        "jax_devices": [str(d) for d in jax.devices()],
    }


def git_revision() -> dict:
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    changed = git("status", "--porcelain", "--untracked-files=no").splitlines()  # "XY path"
    # The tracked files that differ from the commit: whether any of them can change the numbers
    # (src/descent, this script) or not (the book's text, the tests), the reader can see.
    return {"commit": git("rev-parse", "HEAD").strip() or None, "dirty": bool(changed),
            "changed_files": sorted(line[3:] for line in changed)}


def rounded(a) -> list:
    """An array as nested lists of floats to DIGITS significant digits, None for NaN."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return None if not np.isfinite(a) else float(f"{a:.{DIGITS}g}")
    return [rounded(x) for x in a]


def summary(runs, curves: bool) -> dict:
    from descent.race import steps_to_target

    record = {
        "learning_rates": rounded(runs.learning_rates),
        "seeds": [int(s) for s in runs.seeds],
        "steps_to_target": rounded(steps_to_target(runs.validation)),
        "final": {name: rounded(value) for name, value in runs.final.items()},
        "seconds": round(runs.seconds, 2),
        "compile_seconds": round(runs.compile_seconds, 2),
        "state_floats": runs.state_floats,
        "parameters": runs.parameters,
        # The last 50 batch losses' mean: the training loss the optimizer saw at the end.
        "train_last50": rounded(np.mean(runs.train[..., -50:], axis=-1)),
    }
    if curves:
        record["validation_every"] = CURVE_EVERY
        record["validation"] = rounded(runs.validation[..., ::CURVE_EVERY])
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS, help="steps of every run (default %(default)s)")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="number of seeds (default %(default)s)")
    parser.add_argument("--optimizers", nargs="+", default=None,
                        help="only these (default: every optimizer of descent.race.OPTIMIZERS)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the results file (default %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.steps < CHUNK or args.steps % CHUNK:
        parser.error(f"--steps must be a positive multiple of {CHUNK}, got {args.steps}")
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1, got {args.seeds}")

    from descent import race

    names = args.optimizers or list(race.OPTIMIZERS)
    unknown = [n for n in names if n not in race.OPTIMIZERS]
    if unknown:
        parser.error(f"unknown optimizers {unknown}; choose from {list(race.OPTIMIZERS)}")
    revision = git_revision()  # Before the runs: the code they ran.
    start = time.perf_counter()
    data = race.race_data()
    results = {}
    for name in names:
        began = time.perf_counter()
        runs = race.race(name, learning_rates(name), list(range(args.seeds)), args.steps, data,
                         chunk=CHUNK, progress=not args.no_progress)
        results[name] = summary(runs, curves=True)
        results[name]["wall_seconds"] = round(time.perf_counter() - began, 1)  # All of it.
        print(f"{name}: {runs.seconds:.0f} s for {runs.validation[..., 1:].size:,} run-steps "
              f"({runs.compile_seconds:.1f} s compiling)", file=sys.stderr, flush=True)
    wall = time.perf_counter() - start

    provenance = {
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name,
                                                      *map(str, [Path(sys.argv[0]).as_posix()]),
                                                      *sys.argv[1:]]),
        "git": revision,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "packages": {p: metadata.version(p) for p in PACKAGES},
        "machine": machine(),
        "wall_seconds": round(wall, 1),
    }
    record = {
        "description": "The optimizer race's full grid (experiments/race_grid.py; "
                       "protocol in descent.race).",
        **provenance,
        "protocol": {
            "hidden": list(race.HIDDEN), "batch": race.BATCH, "validation": race.VALIDATION,
            "threshold": race.THRESHOLD, "steps": args.steps,
            "fixed_arguments": {n: race.OPTIMIZERS[n][1] for n in names},
        },
        "optimizers": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {args.output} ({wall / 60:.1f} min)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
