"""A first fit's kernels compiled by two processes at once.

With an empty Numba cache, a first ``fit`` + ``transform`` spends most of its
time compiling kernels, one after another on one core (Numba compiles under one
lock per process). When the cache lacks them and the caller's limits allow a
second thread, the first fit of a process starts a helper process that compiles
the same kernels from the last one a fit needs back to the first, and writes
each to Numba's cache. The fit compiles from the first on, as before, and finds
in the cache what the helper has finished: the two meet about halfway. The
helper runs at a lower priority: beside a busy process it takes what is left of
the second core, and the fit loses nothing (a momentary reading of the idle
cores, as ``_threads`` takes for each call, would leave it out for seconds of
compiling on the strength of a millisecond).

The helper changes what is in the cache, nothing else: a kernel it has not
finished is compiled by the fit itself, and the cache's entries are the ones the
fit would have written. ``SKLEARN_COLORQUANT_COMPILE_AHEAD=0`` (or ``false``, ``no``,
``off``) turns it off.
"""

import importlib
import os
import subprocess
import sys
import threading

from numba.core.types import (
    Array,
    Tuple,
    boolean,
    float64,
    int16,
    int32,
    int64,
    uint8,
    uint32,
)

from . import _threads

_F1, _F2 = float64[::1], float64[:, ::1]
_I1, _I2 = int64[::1], int64[:, ::1]
_LLOYD_STATE = Tuple(
    (_F2, int32[::1], _F1, _F1, _F1, _F1, _I1, _I1, _I2, _I1)
    + (_F1, _F1, _F1, _F1, int32[::1], _F1)
)
_SEED_CELLS = Tuple((_I1, _F2, _F1))
_LLOYD_TOTALS = Tuple((float64, int64, float64, boolean, float64))

# The kernels that a first fit + transform of an RGB uint8 image compiles, in
# that order, with the argument types the calls give them (the key of Numba's
# cache). tests/test_compile_ahead.py checks the list against a first fit in a
# new process and prints the types it found when they differ.
FIRST_FIT_KERNELS = (
    ("_distinct_kernels", "counted_keys", (uint32[::1], int64)),
    ("_assign_kernels", "grid_cells", (_F2, int64)),
    ("_kmeans_kernels", "cell_means", (_F2, _F1, _I1, int64)),
    (
        "_kmeans_kernels",
        "kmeans_plusplus",
        (_F2, _F1, _SEED_CELLS, int64, _F1, int64, _F2, float64),
    ),
    (
        "_kmeans_kernels",
        "lloyd_assign",
        (_LLOYD_STATE, _LLOYD_TOTALS, _F2, _I1, _F2, _F1, int64, int64),
    ),
    ("_kmeans_kernels", "lloyd_sums", (_F2, _F1, int32[::1], _F2, _F1, int64, int64)),
    (
        "_kmeans_kernels",
        "lloyd_move",
        (_F2, _F1, _F2, _F2, _F1, _F1, _F1, int64, float64),
    ),
    ("_kmeans_kernels", "lloyd_gaps", (_LLOYD_STATE, boolean, _I1)),
    (
        "_kmeans_kernels",
        "lloyd_shift_sums",
        (_F2, _F1, int32[::1], _F2, _F1, _I1, _I1, int64, int64),
    ),
    (
        "_assign_kernels",
        "nearest_in_cells",
        (_F2, _I1, _I1, _F2, _F1, _F2, _I1, _F1, boolean[::1], int64, int64),
    ),
    (
        "_assign_kernels",
        "list_blocks",
        (_F2, _F1, _F1, int64, int64, _I1, _I2, _I1, int64, int64),
    ),
    (
        "_assign_kernels",
        "list_cells",
        (_F2, _F1, _F1, int64, int64, int64, _I1, boolean[::1], _I2, _I1)
        + (int16[:, ::1], _I1, int64, int64),
    ),
    ("_assign_kernels", "join_lists", (int16[:, ::1], _I1)),
    (
        "_assign_kernels",
        "nearest_in_cube",
        (Array(uint8, 2, "C", readonly=True), _F2, int16[::1], _I1, uint8[::1]),
    ),
)

_started = False
_start_lock = threading.Lock()
# Kept so that the helper is not reported as a leaked process when the
# interpreter exits first.
_helper = None


def start():
    """Start the helper, at most once per process, when the cache lacks a first
    fit's kernels and the caller's limits allow a second thread."""
    global _started, _helper
    with _start_lock:
        if _started:
            return
        _started = True
        if (
            _turned_off()
            or not _python_to_start()
            or _threads.allowed() < 2
            or not _cache_lacks_first_fit()
        ):
            return
        try:
            _helper = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:  # the interpreter could not be started
            pass


def _turned_off():
    setting = os.environ.get("SKLEARN_COLORQUANT_COMPILE_AHEAD", "")
    return setting.strip().lower() in ("0", "false", "no", "off")


def _python_to_start():
    """True when ``sys.executable`` is a Python interpreter: in a frozen or an
    embedding application it is the application itself, which must not be
    started again."""
    executable = os.path.basename(sys.executable or "").lower()
    return executable.startswith("python") and not getattr(sys, "frozen", False)


def _cache_lacks_first_fit():
    """True when Numba's cache has no entry for the first or the last kernel of
    a first fit. False when it cannot tell: no cache, or Numba's layout changed."""
    for module, name, _ in (FIRST_FIT_KERNELS[0], FIRST_FIT_KERNELS[-1]):
        kernel = _kernel(module, name)
        cache_file = getattr(getattr(kernel, "_cache", None), "_cache_file", None)
        index = getattr(cache_file, "_index_path", None)
        if not isinstance(index, str):
            return False
        if not os.path.exists(index):
            return True
    return False


def _kernel(module, name):
    return getattr(importlib.import_module(f".{module}", __package__), name)


def compile_backwards():
    """Compile a first fit's kernels, the last one it needs first."""
    for module, name, argument_types in reversed(FIRST_FIT_KERNELS):
        _kernel(module, name).compile(argument_types)


if __name__ == "__main__":
    if hasattr(os, "nice"):
        # Second to the fit it helps, and to anything else the user runs.
        os.nice(10)
    compile_backwards()
