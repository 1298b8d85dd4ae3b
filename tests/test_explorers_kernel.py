"""The explorers in a real IPython kernel, as a notebook runs them.

One kernel (jupyter_client) creates each explorer and displays it; the test then moves its
controls the two ways a front end's move reaches the kernel: an assignment of ``values`` in
the kernel (what the widget's traitlet receives), and a real ``comm_msg`` "update" on the
widget's comm, sent from this client as JupyterLab sends it. Each time the ``result`` the
kernel computes (and, for the comm, the update it sends back to the front end) must be the
run ``descent`` computes here, in float64.
"""

from __future__ import annotations

import json
import math
import queue

import jax
import numpy as np
import pytest
from jupyter_client.manager import start_new_kernel

from descent.explorers import MinibatchExplorer
from descent.problems import quadratic, rosenbrock
from descent.runner import run


@pytest.fixture(scope="module")
def kernel():
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        execute(client, "import json\nfrom descent.explorers import QuadraticExplorer, Explorer, MinibatchExplorer\n"
                        "from descent.problems import rosenbrock")
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def collect(client, msg_id: str, timeout: float) -> tuple[str, list[dict], list[dict]]:
    """The stdout, display outputs and comm messages a request caused, until the kernel is idle."""
    stdout, displays, comms = [], [], []
    while True:
        try:
            msg = client.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"the kernel did not finish within {timeout} s")
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stdout":
            stdout.append(content["text"])
        elif kind in ("display_data", "execute_result"):
            displays.append(content["data"])
        elif kind == "comm_msg":
            comms.append(content)
        elif kind == "error":
            pytest.fail("the kernel raised:\n" + "\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(stdout), displays, comms


def execute(client, code: str, timeout: float = 180) -> tuple[str, list[dict]]:
    """Run ``code``; return its stdout and its display outputs. Fail on an error."""
    stdout, displays, _ = collect(client, client.execute(code), timeout)
    return stdout, displays


def value_of(client, expression: str):
    out, _ = execute(client, f"print(json.dumps({expression}, allow_nan=False))")
    return json.loads(out)


def move(client, name: str, **values) -> dict:
    """``name.values = {...}`` in the kernel, as the traitlet receives a move; the new result."""
    execute(client, f"{name}.values = {{**{name}.values, **json.loads({json.dumps(json.dumps(values))})}}")
    return value_of(client, f"{name}.result")


def send_update(client, name: str, **values) -> dict:
    """A front end's move: a comm_msg "update" of ``values`` on the widget's comm.

    Returns the state the kernel sends back on that comm (merged over its messages).
    """
    model_id = value_of(client, f"{name}.model_id")
    new = {**value_of(client, f"{name}.values"), **values}
    msg = client.session.msg("comm_msg", {"comm_id": model_id, "data": {
        "method": "update", "state": {"values": new}, "buffer_paths": []}})
    client.shell_channel.send(msg)
    _, _, comms = collect(client, msg["header"]["msg_id"], timeout=180)
    state = {}
    for content in comms:
        assert content["comm_id"] == model_id
        if content["data"].get("method") in ("update", "echo_update"):
            state.update(content["data"]["state"])
    assert value_of(client, f"{name}.values") == new
    return state


def as_array(values) -> np.ndarray:
    return np.array(values, dtype=object).astype(float)


def expected_quadratic(steps: int, learning_rate: float):
    with jax.enable_x64(True):
        return run(quadratic((1.0, 6.0), init=(9.5, -1.0)), "sgd", steps=300, learning_rate=learning_rate)


def assert_run(result: dict, expected, steps: int) -> None:
    """The result's first ``steps`` + 1 steps are those of ``expected`` (float64, to 1e-12)."""
    for key in ("trajectory", "losses"):
        np.testing.assert_allclose(as_array(result[key])[: steps + 1], np.asarray(getattr(expected, key))[: steps + 1],
                                   rtol=1e-12, atol=1e-300)


def test_quadratic_explorer_in_a_kernel(kernel):
    _, displays = execute(kernel, "q = QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=0.1, steps=30)\nq")
    (bundle,) = displays
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].startswith('<div class="descent-explorer"') and "text/plain" in bundle
    execute(kernel, "assert q.wait(120)")
    first = value_of(kernel, "q.result")
    assert_run(first, expected_quadratic(30, 0.1), 30)

    result = move(kernel, "q", learning_rate=0.25)
    assert result["trajectory"] != first["trajectory"]
    assert_run(result, expected_quadratic(30, 0.25), 30)
    assert result["diverged_at"] is None

    result = move(kernel, "q", learning_rate=3.0, steps=300)  # ×17 per step: L overflows float64.
    expected = expected_quadratic(300, 3.0)
    assert result["diverged_at"] == expected.diverged_at is not None
    assert result["losses"][-1] is None and result["trajectory"][-1] == [None, None]
    assert len(result["trajectory"]) == 301
    assert_run(result, expected, expected.diverged_at - 1)

    state = send_update(kernel, "q", learning_rate=0.3, steps=30)  # What JupyterLab sends.
    assert "result" in state, f"no result sent back to the front end: {sorted(state)}"
    assert_run(state["result"], expected_quadratic(30, 0.3), 30)
    assert state["result"] == value_of(kernel, "q.result")


def test_race_in_a_kernel(kernel):
    execute(kernel, "x = Explorer(rosenbrock(), steps=100)\nassert x.wait(120)")
    with jax.enable_x64(True):
        problem = rosenbrock()
        expected = run(problem, "sgd", steps=100, learning_rate=2e-3)
        diverging = run(problem, "sgd", steps=100, learning_rate=0.1)
    result = move(kernel, "x", gd=2e-3)
    gd = next(r for r in result["runs"] if r["label"] == "gd")
    np.testing.assert_allclose(as_array(gd["trajectory"]), expected.trajectory, rtol=1e-12)
    state = send_update(kernel, "x", gd=0.1)  # Far too large for Rosenbrock.
    gd = next(r for r in state["result"]["runs"] if r["label"] == "gd")
    assert gd["diverged_at"] == diverging.diverged_at is not None
    assert {r["label"] for r in state["result"]["runs"]} == {"gd", "momentum", "adam"}


def test_minibatch_explorer_in_a_kernel(kernel):
    execute(kernel, "m = MinibatchExplorer(batch_size=8, steps=100)\nassert m.wait(120)")
    before = value_of(kernel, "m.result")
    after = move(kernel, "m", batch_size=256)
    assert after["sgd"] != before["sgd"]
    np.testing.assert_allclose(as_array(after["sgd"]), as_array(after["gd"]), rtol=1e-12)  # B = N is GD.
    local = MinibatchExplorer(batch_size=8, steps=100)  # The same explorer, here: the same numbers.
    state = send_update(kernel, "m", batch_size=4, learning_rate=0.3, seed=5)
    expected = local.compute({"batch_size": 4, "learning_rate": 0.3, "seed": 5})
    np.testing.assert_allclose(as_array(state["result"]["sgd"]), as_array(expected["sgd"]), rtol=1e-12)
    assert state["result"]["floor"] == pytest.approx(local.noise_floor(4, 0.3), rel=1e-12)
    result = move(kernel, "m", learning_rate=10.0)  # ×17 per step: no floor, sent as null (∞).
    assert result["floor"] is None and result["fixed"] is None
    assert abs(result["gd"][-1][0]) > 1e100


def test_the_menu_in_a_kernel(kernel):
    """The menu's momentum uses the β it shows (0.9), and Jacobi on an axis-aligned Q is exact."""
    execute(kernel, (
        "p = QuadraticExplorer(eigenvalues=(1.0, 20.0), optimizer='preconditioned (diagonal)',\n"
        "                      learning_rate=1.0, main='angle',\n"
        "                      sliders=['optimizer', 'angle', 'learning_rate', 'lambda1', 'lambda2'])\n"
        "assert p.wait(120)"
    ))
    result = value_of(kernel, "p.result")
    assert result["losses"][0] > 0 and all(L == 0 for L in result["losses"][1:])  # One step to the minimum.
    state = send_update(kernel, "p", optimizer="momentum", learning_rate=0.05)
    assert value_of(kernel, "p.values")["momentum"] == 0.9
    with jax.enable_x64(True):
        expected = run(quadratic((1.0, 20.0), init=(9.5, -1.0)), "momentum", steps=300, learning_rate=0.05,
                       momentum=0.9)
    assert_run(state["result"], expected, 50)
    assert math.isclose(state["result"]["limit"][0], 2 * 1.9 / 20)
