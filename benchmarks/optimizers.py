"""How fast are the book's optimizers? As fast as optax, on the same machine, in the same run.

    python benchmarks/optimizers.py            # or: make benchmarks

1. Adam and heavy-ball momentum on a 10-million-parameter pytree (six float32 leaves),
   one jitted update (update + apply_updates, buffers donated) of descent against the same
   of optax: the median time per update, their ratio (target: ≤ 1.05), and the memory
   bandwidth the update achieves as a fraction of a copy's, measured here too (an update
   is memory-bound: Adam reads θ, g, m, v and writes θ, m, v, 7 arrays; momentum 5).
2. The MLP 784-128-10 on Fashion-MNIST: 1000 steps of batch 256 with Adam, the whole loop
   one jitted scan (descent.train): wall time with and without compilation.

It ends with one JSON line, so the figures can be tracked over time.
"""

from __future__ import annotations

import functools
import json
import platform
import statistics
import time

import jax
import jax.numpy as jnp
import optax

import descent.optimizers as ours
from descent.problems import mlp_classifier
from descent.runner import train

SHAPES = {  # 9,968,128 float32 parameters, about 40 MB.
    "w1": (4096, 1024), "b1": (4096,),
    "w2": (1024, 4096), "b2": (1024,),
    "w3": (1024, 1536), "b3": (1536,),
}
ROUNDS, WARMUP = 40, 5


def random_tree(key):
    keys = jax.random.split(key, len(SHAPES))
    return {name: jax.random.normal(k, shape, jnp.float32) for k, (name, shape) in zip(keys, SHAPES.items())}


def jitted_step(optimizer, apply_updates):
    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def step(params, state, grads):
        updates, state = optimizer.update(grads, state, params)
        return apply_updates(params, updates), state

    return step


def compare(name, ours_optimizer, optax_optimizer, grads):
    """Median seconds per update of each, alternating the two so drift hits both alike."""
    runners = {}
    for label, optimizer, apply in (("descent", ours_optimizer, ours.apply_updates),
                                    ("optax", optax_optimizer, optax.apply_updates)):
        params = random_tree(jax.random.key(1))
        runners[label] = [jitted_step(optimizer, apply), params, optimizer.init(params)]
    times = {label: [] for label in runners}
    for round_ in range(WARMUP + ROUNDS):
        for label, runner in runners.items():
            step, params, state = runner
            start = time.perf_counter()
            params, state = step(params, state, grads)
            jax.block_until_ready(params)
            if round_ >= WARMUP:
                times[label].append(time.perf_counter() - start)
            runner[1:] = [params, state]
    medians = {label: statistics.median(t) for label, t in times.items()}
    print(f"{name:9s} descent {medians['descent'] * 1e3:7.2f} ms   optax {medians['optax'] * 1e3:7.2f} ms"
          f"   ratio {medians['descent'] / medians['optax']:.3f}")
    return medians


def copy_bandwidth(n):
    """Bytes per second of a jitted y = 2x over n float32 (one read, one write).

    Called with as many floats as an update touches, so the copy and the update work on
    the same amount of memory and meet the same caches.
    """
    x = jnp.ones((n,), jnp.float32)
    scale = jax.jit(lambda x: x * 2.0, donate_argnums=0)
    times = []
    for round_ in range(WARMUP + ROUNDS):
        start = time.perf_counter()
        x = scale(x)
        x.block_until_ready()
        if round_ >= WARMUP:
            times.append(time.perf_counter() - start)
    return 2 * 4 * n / statistics.median(times)


def mlp_seconds():
    problem = mlp_classifier(key=jax.random.key(0))
    kwargs = dict(steps=1000, batch_size=256, key=jax.random.key(1), learning_rate=1e-3)
    start = time.perf_counter()
    result = train(problem, "adam", problem.train_data, **kwargs)
    jax.block_until_ready(result.losses)
    first = time.perf_counter() - start
    start = time.perf_counter()
    result = train(problem, "adam", problem.train_data, **kwargs)
    jax.block_until_ready(result.losses)
    second = time.perf_counter() - start
    accuracy = float(problem.accuracy(result.params, problem.test_data))
    print(f"MLP 784-128-10, 1000 Adam steps of batch 256: {first:.1f} s with compilation, "
          f"{second:.1f} s compiled; final minibatch loss {float(result.losses[-1]):.3f}, "
          f"test accuracy {accuracy:.3f}")
    return first, second, accuracy


def main():
    n = sum(int(jnp.prod(jnp.array(s))) for s in SHAPES.values())
    print(f"{platform.processor() or platform.machine()}, {jax.device_count()} {jax.default_backend()} "
          f"device(s), jax {jax.__version__}, optax {optax.__version__}; {n:,} float32 parameters")
    grads = random_tree(jax.random.key(0))
    adam = compare("adam", ours.adam(1e-3), optax.adam(1e-3), grads)
    heavy_ball = compare("momentum", ours.momentum(1e-2, 0.9), optax.sgd(1e-2, momentum=0.9), grads)
    copy = copy_bandwidth(7 * n // 2)  # Reads and writes 7n floats, as Adam does.
    achieved = 7 * 4 * n / adam["descent"]
    fraction = achieved / copy
    print(f"copy bandwidth {copy / 1e9:.1f} GB/s; descent's Adam moves 7 arrays at "
          f"{achieved / 1e9:.1f} GB/s, {100 * fraction:.0f} % of a copy")
    mlp_first, mlp_second, accuracy = mlp_seconds()
    print(json.dumps({
        "adam_ratio": round(adam["descent"] / adam["optax"], 4),
        "momentum_ratio": round(heavy_ball["descent"] / heavy_ball["optax"], 4),
        "bandwidth_fraction": round(fraction, 4),
        "adam_ms": round(adam["descent"] * 1e3, 3),
        "optax_adam_ms": round(adam["optax"] * 1e3, 3),
        "momentum_ms": round(heavy_ball["descent"] * 1e3, 3),
        "optax_momentum_ms": round(heavy_ball["optax"] * 1e3, 3),
        "copy_gb_s": round(copy / 1e9, 2),
        "mlp_1000_steps_s": round(mlp_first, 2),
        "mlp_1000_steps_compiled_s": round(mlp_second, 2),
        "mlp_test_accuracy": round(accuracy, 4),
        "parameters": n,
    }))


if __name__ == "__main__":
    main()
