"""How long one slider move of QuadraticExplorer takes, against a naive full redraw.

    python benchmarks/explorers.py

A slider move is timed from setting the slider's value in the kernel until the new
image bytes are in the widget, ready to send (the callback is synchronous, so that is
the time of the assignment). Every slider is swept over 50 values of its range. The
naive redraw is what most notebooks do on each move: recompute the contour grid, draw 50
contour levels with labels, plot the trajectory, render a PNG. Ends with one JSON line.
"""

from __future__ import annotations

import io
import json
import time

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from descent.explorers import Explorer, LossCurveExplorer, MinibatchExplorer, QuadraticExplorer
from descent.problems import quadratic, rosenbrock
from descent.runner import run

SWEEP = 50


def sweeps() -> dict[str, np.ndarray]:
    return {
        "learning_rate": np.geomspace(1e-3, 10.0, SWEEP),
        "momentum": np.linspace(0.0, 0.99, SWEEP),
        "lambda1": np.geomspace(0.01, 100.0, SWEEP),
        "lambda2": np.geomspace(0.01, 100.0, SWEEP),
        "angle": np.linspace(0.0, 180.0, SWEEP),
        "steps": np.linspace(1, 300, SWEEP).round().astype(int),
    }


def time_blitted() -> tuple[list[float], dict[str, float]]:
    explorer = QuadraticExplorer(optimizer="momentum", momentum=0.5)
    for name, values in sweeps().items():  # Warm up: compile, fill the caches of level sets.
        explorer.sliders[name].value = values[len(values) // 2]
    explorer.sliders["saddle"].value = True
    explorer.sliders["saddle"].value = False
    times, medians = [], {}
    for name, values in sweeps().items():
        slider = explorer.sliders[name]
        start_value = slider.value
        these = []
        for value in values:
            value = int(value) if name == "steps" else float(value)
            before = explorer._image.value
            start = time.perf_counter()
            slider.value = value
            these.append(time.perf_counter() - start)
            assert explorer._image.value is not before or value == start_value
        slider.value = start_value
        times += these
        medians[name] = 1e3 * float(np.median(these))
    return times, medians


def naive_full_redraw(learning_rate: float) -> bytes:
    problem = quadratic((1.0, 6.0), angle=0.0, init=(9.5, -1.0))
    Q = np.asarray(problem.Q)
    x = np.linspace(-11, 11, 200)
    X, Y = np.meshgrid(x, x)
    Z = 0.5 * (Q[0, 0] * X**2 + 2 * Q[0, 1] * X * Y + Q[1, 1] * Y**2)  # The grid, again.
    fig = Figure(figsize=(10.5, 3.9), dpi=90)
    FigureCanvasAgg(fig)
    ax_path, ax_loss, ax_error = fig.subplots(1, 3)
    contours = ax_path.contour(X, Y, Z, levels=50)
    ax_path.clabel(contours, fontsize=6)
    result = run(problem, "sgd", 50, learning_rate=learning_rate)
    trajectory = np.asarray(result.trajectory)
    ax_path.plot(trajectory[:, 0], trajectory[:, 1], "o-")
    ax_loss.semilogy(np.asarray(result.losses))
    ax_error.semilogy(np.abs(trajectory))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def time_full_redraw() -> list[float]:
    naive_full_redraw(0.1)  # Warm up.
    times = []
    for learning_rate in np.geomspace(1e-3, 0.3, SWEEP):
        start = time.perf_counter()
        naive_full_redraw(float(learning_rate))
        times.append(time.perf_counter() - start)
    return times


def static_sizes() -> dict[str, int]:
    explorers = {
        "QuadraticExplorer": QuadraticExplorer(),
        "QuadraticExplorer(main='lambda2')": QuadraticExplorer(main="lambda2"),
        "Explorer(rosenbrock())": Explorer(rosenbrock()),
        "LossCurveExplorer": LossCurveExplorer(),
        "MinibatchExplorer": MinibatchExplorer(),
    }
    return {name: len(e.static_html().encode()) for name, e in explorers.items()}


def main() -> None:
    blitted, per_slider = time_blitted()
    full = time_full_redraw()
    median, p95 = 1e3 * np.median(blitted), 1e3 * np.percentile(blitted, 95)
    full_median = 1e3 * np.median(full)
    print(f"QuadraticExplorer, one slider move ({len(blitted)} moves, {SWEEP} per slider):")
    print(f"  median {median:.1f} ms, p95 {p95:.1f} ms, max {1e3 * max(blitted):.1f} ms")
    print("  median per slider: " + ", ".join(f"{k} {v:.1f} ms" for k, v in per_slider.items()))
    print(f"naive full redraw ({len(full)} moves): median {full_median:.1f} ms, "
          f"p95 {1e3 * np.percentile(full, 95):.1f} ms")
    print(f"speedup (median): {full_median / median:.1f}x")
    sizes = static_sizes()
    for name, size in sizes.items():
        print(f"static version of {name}: {size / 1e6:.2f} MB")
    print(json.dumps({
        "median_ms": round(median, 2), "p95_ms": round(p95, 2),
        "full_redraw_median_ms": round(full_median, 2), "speedup": round(full_median / median, 1),
        "per_slider_median_ms": {k: round(v, 2) for k, v in per_slider.items()},
        "static_bytes": sizes,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
