"""What a chapter needs from its notebook environment, wherever it runs.

The book's build (myst-nb) turns :func:`glue` into numbers in the prose. A reader who opens
a chapter in Colab, or in a Jupyter that only has the ``descent`` package, has no myst-nb:
there :func:`glue` shows the value when asked to and is otherwise silent, so every chapter
runs unchanged in both places.

>>> glue("answer", 42, display=False)  # In the book: the prose's {glue:text}`answer` is 42.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


def glue(name: str, value: Any, display: bool = True) -> None:
    """Record ``value`` under ``name`` for the book's prose; show it too if ``display``.

    The same signature as ``myst_nb.glue``, which it calls when myst-nb is installed.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab, or a plain Jupyter: no book to glue into.
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)
