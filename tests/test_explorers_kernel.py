"""The explorers in a real IPython kernel, as a notebook runs them.

One kernel (jupyter_client) creates each explorer, moves its sliders the way the
frontend's messages do (setting ``value`` runs the same observers), and prints the data
of the lines and the figure's message as JSON, which the test parses.
"""

from __future__ import annotations

import json
import queue

import numpy as np
import pytest
from jupyter_client.manager import start_new_kernel

from descent.problems import quadratic, rosenbrock
from descent.runner import run


@pytest.fixture(scope="module")
def kernel():
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client, code: str, timeout: float = 120) -> tuple[str, list[dict]]:
    """Run ``code``; return its stdout and its display outputs. Fail on an error."""
    msg_id = client.execute(code)
    stdout, displays = [], []
    while True:
        try:
            msg = client.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"the kernel did not finish within {timeout} s: {code[:200]}")
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stdout":
            stdout.append(content["text"])
        elif kind in ("display_data", "execute_result"):
            displays.append(content["data"])
        elif kind == "error":
            pytest.fail("the kernel raised:\n" + "\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(stdout), displays


def line_json(expression: str) -> str:
    return f"print(json.dumps(np.column_stack({expression}.get_data()).tolist()))"


def test_quadratic_explorer_in_a_kernel(kernel):
    _, displays = execute(kernel, (
        "import json, numpy as np\n"
        "from descent.explorers import QuadraticExplorer, Explorer, LossCurveExplorer\n"
        "from descent.problems import rosenbrock\n"
        "q = QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=0.1, steps=30)\n"
        "q"
    ))
    (bundle,) = displays
    assert "application/vnd.jupyter.widget-view+json" in bundle and "descent-scrubber" in bundle["text/html"]

    before, _ = execute(kernel, line_json("q.artists['trajectory']") + "\nfirst = bytes(q.image)")
    out, _ = execute(kernel, "q.sliders['learning_rate'].value = 0.25\n" + line_json("q.artists['trajectory']")
                     + "\nprint(bytes(q.image) != first)")
    after, changed = out.strip().splitlines()
    assert changed == "True"
    assert json.loads(before) != json.loads(after)
    expected = run(quadratic((1.0, 6.0)), "sgd", steps=30, learning_rate=0.25).trajectory
    np.testing.assert_allclose(json.loads(after), expected, rtol=1e-5, atol=1e-6)

    out, _ = execute(kernel, "q.sliders['learning_rate'].value = 3.0\nprint(q.message)")
    assert out.startswith("diverged at step") and "> 2/λ_max = 0.333" in out

    out, _ = execute(kernel, "q.sliders['learning_rate'].value = 0.1\nprint(repr(q.message))")
    assert out.strip() == "''"


def test_explorer_and_loss_curves_in_a_kernel(kernel):
    execute(kernel, (
        "import json, numpy as np\n"
        "from descent.explorers import Explorer, LossCurveExplorer\n"
        "from descent.problems import rosenbrock\n"
        "x = Explorer(rosenbrock(), steps=100)\n"
        "c = LossCurveExplorer(steps=50)"
    ))
    out, _ = execute(kernel, "x.sliders['gd'].value = 2e-3\n" + line_json("x.artists['gd trajectory']"))
    expected = run(rosenbrock(), "sgd", steps=100, learning_rate=2e-3).trajectory
    np.testing.assert_allclose(json.loads(out), expected, rtol=1e-5)
    out, _ = execute(kernel, "x.sliders['gd'].value = 0.1\nprint(x.message)")
    assert out.startswith("gd diverged at step")

    before, _ = execute(kernel, line_json("c.artists['target (0, 1) loss']"))
    after, _ = execute(kernel, "c.sliders['b1'].value = 0.0\n" + line_json("c.artists['target (0, 1) loss']"))
    assert json.loads(before) != json.loads(after)
    out, _ = execute(kernel, "c.sliders['learning_rate'].value = 10.0\nprint(repr(c._messages.value))")
    assert out.strip() == "''"


def test_minibatch_explorer_in_a_kernel(kernel):
    execute(kernel, (
        "import json, numpy as np\n"
        "from descent.explorers import MinibatchExplorer\n"
        "m = MinibatchExplorer(batch_size=8, steps=100)"
    ))
    before, _ = execute(kernel, line_json("m.artists['sgd path']"))
    after, _ = execute(kernel, "m.sliders['batch_size'].value = 256\n" + line_json("m.artists['sgd path']"))
    gd, _ = execute(kernel, line_json("m.artists['gd path']"))
    assert json.loads(before) != json.loads(after)
    np.testing.assert_allclose(json.loads(after), json.loads(gd), rtol=1e-5, atol=1e-6)  # B = n is GD.
    out, _ = execute(kernel, "m.sliders['learning_rate'].value = 3.0\nprint(m.message)")
    assert "diverged at step" in out


def test_explorer_messages_in_a_kernel(kernel):
    """What the figure says, in a kernel: β's with their defaults, and which way a run blew up."""
    execute(kernel, (
        "from descent.explorers import QuadraticExplorer, Explorer\n"
        "from descent.problems import saddle\n"
        "p = QuadraticExplorer(eigenvalues=(1.0, 20.0), optimizer='preconditioned (diagonal)',\n"
        "                      learning_rate=1.0, main='angle',\n"
        "                      sliders=['optimizer', 'angle', 'learning_rate', 'lambda1', 'lambda2'])\n"
        "r = Explorer(saddle(), optimizers={'gd': {'learning_rate': 0.05},\n"
        "             'momentum': {'learning_rate': 0.05, 'momentum': 0.9}}, steps=300)"
    ))
    out, _ = execute(kernel, "print(p.info.splitlines()[-1])")
    assert "reached the minimum in 1 step" in out
    out, _ = execute(kernel, "p.sliders['optimizer'].value = 'momentum'\nprint(p.info.splitlines()[-1])")
    assert "β = 0.9" in out
    out, _ = execute(kernel, "r.sliders['gd'].value = 4.77\nprint(r.message)")
    assert out.startswith("gd diverged at step 1 (α = 4.77") and "momentum ran off to infinity" in out
