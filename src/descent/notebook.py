"""What a chapter needs from its notebook environment, wherever it runs.

The book's build (myst-nb) turns :func:`glue` into numbers in the prose. A reader who opens
a chapter in Colab, or in a Jupyter that only has the ``descent`` package, has no myst-nb:
there :func:`glue` shows the value when asked to and is otherwise silent, so every chapter
runs unchanged in both places.

>>> glue("answer", 42, display=False)  # In the book: the prose's {glue:text}`answer` is 42.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue", "limit_memory", "release_memory", "resident_mb", "tune_malloc"]


def glue(name: str, value: Any, display: bool = True) -> None:
    """Record ``value`` under ``name`` for the book's prose; show it too if ``display``.

    The same signature as ``myst_nb.glue``, and the same output when myst-nb is installed:
    the value's display data, marked with ``name`` for myst-nb to find, under a MIME type
    no front end shows unless ``display``. It writes that output itself, because
    ``myst_nb.glue`` imports nbformat, whose JSON-schema checks cost the kernel 20 MB.
    """
    from IPython.display import display as show

    try:
        import myst_nb  # noqa: F401  Only whether it is there: the book's build reads the output.
    except ImportError:  # Colab, or a plain Jupyter: no book to glue into.
        if display:
            show(value)
        return
    from IPython.core.formatters import format_display_data

    bundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = dict(name=name, mime_prefix=prefix)
    show({prefix + kind: data for kind, data in bundle.items()}, raw=True, metadata=metadata)


#: The MIME-type prefix of a value glued with ``display=False`` (``myst_nb.ext.glue``'s).
GLUE_PREFIX = "application/papermill.record/"


#: The resident memory, in MB, above which :func:`limit_memory` frees JAX's compiled programs.
MEMORY_LIMIT_MB = 400

#: How many programs JAX may compile before :func:`limit_memory` frees them (about 1 MB each).
PROGRAM_LIMIT = 20

#: The event JAX records for each program it compiles (``jax.monitoring``).
_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


def limit_memory(limit_mb: float = MEMORY_LIMIT_MB, programs: int = PROGRAM_LIMIT) -> None:
    """After every cell, free JAX's compiled programs if they, or the kernel, grew too large.

    JAX keeps every program it compiles, each with its MLIR module (about 1 MB, even for
    ``x + 1``), for as long as the kernel lives; a chapter compiles a few hundred, so its
    kernel would keep growing past a gigabyte, and Binder gives a reader about 2 GB in all.
    Freeing them (``jax.clear_caches()``) changes no result: a function used again is
    compiled again, in a fraction of a second. They are freed after a cell once the kernel
    holds more than ``limit_mb``, or once more than ``programs`` were compiled since they
    were last freed (so that a cell which compiles many does not leave them to the next
    one, whose data may need the room); cells that compile a few in a small kernel keep
    everything. Outside IPython, or where the memory cannot be read (not Linux), it does
    nothing.

    It also tunes glibc's allocator (:func:`tune_malloc`), so that memory freed within a
    cell goes back to the system instead of piling up in the heap.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or resident_mb() is None:
        return
    import jax.monitoring

    tune_malloc()
    previous = getattr(shell, "_descent_limit_memory", None)
    if previous is not None:  # Running the import cell again replaces the hooks.
        shell.events.unregister("post_run_cell", previous[0])
        jax.monitoring.unregister_event_duration_listener(previous[1])
    compiled = [0]  # Programs compiled since they were last freed.

    def count(event: str, duration: float, **kwargs: Any) -> None:
        if event == _COMPILE_EVENT:
            compiled[0] += 1

    def after_cell(result: Any) -> None:
        if (resident_mb() or 0) > limit_mb or compiled[0] > programs:
            release_memory()
            compiled[0] = 0

    shell._descent_limit_memory = (after_cell, count)
    shell.events.register("post_run_cell", after_cell)
    jax.monitoring.register_event_duration_secs_listener(count)


#: glibc's mallopt parameters (malloc.h): M_MMAP_THRESHOLD and M_ARENA_MAX.
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8


def tune_malloc(mmap_threshold: int = 256 * 1024, arenas: int = 1) -> bool:
    """Make glibc's malloc give large blocks back to the system as soon as they are freed.

    By default glibc raises its mmap threshold each time a large block is freed (up to
    32 MB), so XLA's temporaries of a few MB end up in the heap, where freed memory stays
    resident; and every thread that allocates gets a heap (an arena) of its own, up to
    eight per core. Measured on why-hard, a fixed threshold of 256 kB and one arena lower
    the kernel's peak by about 150 MB; results are unchanged (only where memory comes from
    changes). Returns whether it could (False where the C library is not glibc).
    """
    libc = _glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))) and bool(
        mallopt(_M_ARENA_MAX, int(arenas)))


def resident_mb() -> float | None:
    """This process's resident memory in MB (10⁶ bytes), or None where it cannot be read."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def release_memory() -> None:
    """Free JAX's compiled programs and Python's garbage, and give the freed memory back."""
    import gc

    import jax

    jax.clear_caches()
    gc.collect()
    libc = _glibc()  # glibc keeps freed memory for reuse; malloc_trim returns it to the system.
    if libc is not None:  # Not glibc (macOS, musl): the memory is reused anyway.
        libc.malloc_trim(0)


def _glibc() -> Any:
    """The C library if it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
