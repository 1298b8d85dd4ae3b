"""descent.notebook: what a chapter's kernel needs (issue 12: every kernel ≤ 700 MB)."""

from __future__ import annotations

import subprocess
import sys

# In a process of its own: an IPython shell made here would outlive the test, and the
# hooks limit_memory registers would run after every cell of any later test that uses it.
_SCRIPT = """
from IPython.core.interactiveshell import InteractiveShell
import descent.notebook as notebook

shell = InteractiveShell.instance()
freed = []
notebook.release_memory = lambda: freed.append(len(freed))
notebook.limit_memory(limit_mb=1e9)  # The kernel is never too large: only compiles count.
shell.run_cell("import jax.numpy as jnp")
print(len(freed))
shell.run_cell("for n in range(1, 31): jnp.zeros(n).sum()")  # 30 shapes, 60 programs.
print(len(freed))
shell.run_cell("y = jnp.zeros(1).sum()")  # Compiled before: no new program.
print(len(freed))
"""


def test_limit_memory_frees_the_programs_after_a_cell_that_compiled_many():
    # Before: only a kernel above 400 MB freed them, so a cell that compiled many in a small
    # kernel left them (about 1.5 MB each, 50 MB after learning-vs-optimization's first
    # cells) to the next cell, which loads the 60 000 training images (188 MB).
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["0", "1", "1"], out.stdout + out.stderr
