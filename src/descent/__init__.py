"""Descent: the code of the interactive textbook on optimization for deep learning.

Every chapter imports this package; each module holds one concept of the book:

- :mod:`descent.data`: Fashion-MNIST, found or downloaded and verified.
- :mod:`descent.exercises`: the checks that say whether an exercise's answer is right.
"""

from descent import data, exercises

__version__ = "0.1.0"
__all__ = ["data", "exercises"]
