r"""Showing a static figure of the book: with a description, at its true shape, on any screen.

Every chapter ends a figure cell with :func:`show` instead of letting the inline backend
print the figure:

>>> from matplotlib.figure import Figure
>>> fig = Figure(figsize=(4, 3))
>>> _ = fig.add_subplot().plot([0, 1], [1, 0])
>>> show(fig, alt="A falling line.")  # doctest: +SKIP

:func:`show` displays the figure as a PNG together with ``alt``, a description of what the
figure shows for readers who cannot see it, and closes it.
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["show"]


def _png(fig: Any, dpi: float) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def show(fig: Any, alt: str) -> None:
    """Display ``fig`` with the description ``alt``, then close it.

    Args:
        fig: a matplotlib figure.
        alt: what the figure shows, in a sentence or two, for a reader who cannot see it
            (the image's alt text on the site).
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("show: give the figure an alt text that says what it shows")
    from IPython.display import Image, display

    display(Image(data=_png(fig, dpi=2 * fig.dpi), format="png", alt=alt.strip(), retina=True))
    import matplotlib.pyplot as plt

    plt.close(fig)
