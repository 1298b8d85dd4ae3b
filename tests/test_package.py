"""The package's front door: what `import descent` gives a chapter."""

from __future__ import annotations

import doctest

import jax.numpy as jnp
import optax

import descent


def test_doctests():
    import descent.notebook

    for module, examples in ((descent, 4), (descent.notebook, 1)):
        failures, tried = doctest.testmod(module)
        assert tried >= examples and failures == 0, (module.__name__, failures, tried)


def test_top_level_names_are_the_modules_own():
    assert descent.apply_updates is descent.optimizers.apply_updates
    assert descent.run is descent.runner.run
    assert descent.train is descent.runner.train
    for name in descent.__all__:
        assert hasattr(descent, name), name


def test_optax_drops_into_the_same_loop():
    params = {"w": jnp.array([1.0, -2.0])}
    grads = {"w": jnp.array([0.5, 0.5])}
    ours, theirs = descent.optimizers.adam(0.1), optax.adam(0.1)
    u1, _ = ours.update(grads, ours.init(params), params)
    u2, _ = theirs.update(grads, theirs.init(params), params)
    assert jnp.allclose(descent.apply_updates(params, u1)["w"], optax.apply_updates(params, u2)["w"])


def test_glue_without_myst_nb_shows_the_value_only_when_asked(monkeypatch, capsys):
    import builtins

    from descent.notebook import glue

    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):
        if name == "myst_nb":
            raise ImportError("no myst_nb here, as on Colab")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    glue("hidden", 1.5, display=False)
    assert capsys.readouterr().out == ""
    glue("shown", 2.5)
    assert capsys.readouterr().out.strip() == "2.5"
