"""How many threads a call uses, decided in one place, and the pool that runs them.

The compiled loops are serial and release the GIL; parallel work is cut into
blocks that this module hands to threads. One rule decides the count:

- the caller's limits, as scikit-learn's OpenMP code honours them
  (``threadpoolctl.threadpool_limits``, ``OMP_NUM_THREADS``, which joblib sets
  in its worker processes) and the CPUs the process may run on;
- one thread inside a parallel level of someone else's: a joblib worker thread,
  a Dask worker, or one of this pool's threads (``limit`` sets a limit for the
  calls made inside it, as the estimators and the Dask wrapper do);
- only cores that nobody else is running on: a thread that the OS gives to
  another process holds up every block handed to it, so on a busy machine one
  thread is faster than two;
- no more threads than the work pays for: waking a thread costs tens of
  microseconds.

Blocks are cut by the work alone, never by the thread count, and results are
combined in block order: 1, 2 or 8 threads give identical results.
"""

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

# Blocks smaller than this (in the callers' units of work, about one distance
# computation each) do not pay for handing them to another thread.
MIN_BLOCK_WORK = 200_000
# Busy cores: more readings of /proc/stat, this many seconds apart, while it
# shows other threads running (a fifth of a millisecond, on a busy machine only:
# more would show in small fits).
_BUSY_READINGS = 2
_BUSY_READING_GAP = 0.0001
# A decision that counted idle cores is read again after this many seconds:
# a long call follows the machine (a reading taken while a short job ran, or
# before a busy process started, does not hold for the rest of it).
_READ_AGAIN_AFTER = 0.05

_local = threading.local()
_pool = None
_pool_lock = threading.Lock()


@contextmanager
def limit(n_threads=None):
    """Decide the thread count for the calls made in this thread inside the
    block: at most ``n_threads`` (``None``: no bound of its own) and what
    ``available`` allows on entry; the idle cores are read again every
    ``_READ_AGAIN_AFTER`` seconds. Yields the count on entry."""
    previous = getattr(_local, "limit", None), getattr(_local, "read_again", None)
    _local.limit, cap = _decide(n_threads)
    # (when to read the idle cores again, the count before reading them)
    _local.read_again = None if cap is None else (_clock() + _READ_AGAIN_AFTER, cap)
    try:
        yield _local.limit
    finally:
        _local.limit, _local.read_again = previous


def available(n_threads=None):
    """Threads a call may use now, at most ``n_threads`` if given."""
    decided = getattr(_local, "limit", None)
    if decided is None:
        return _decide(n_threads)[0]
    read_again = getattr(_local, "read_again", None)
    if read_again is not None and _clock() >= read_again[0]:
        cap = read_again[1]
        decided = _local.limit = max(1, min(cap, _idle_cores()))
        _local.read_again = (_clock() + _READ_AGAIN_AFTER, cap)
    if n_threads is not None:
        decided = min(decided, n_threads)
    return max(1, decided)


def allowed():
    """Threads the caller's limits allow in this thread, however busy the cores
    are (``available`` counts the idle ones only)."""
    read_again = getattr(_local, "read_again", None)
    if read_again is not None:
        return read_again[1]
    decided = getattr(_local, "limit", None)
    if decided is not None:
        return decided
    count, cap = _decide(None)
    return count if cap is None else cap


def _decide(n_threads):
    """``(count, cap)``: the threads a call may use now, and, when the count
    depends on the idle cores, what it would be on an idle machine."""
    decided = getattr(_local, "limit", None)
    cap = None
    if decided is not None:
        count = available()  # inside a limit: what it allows now
        outer = getattr(_local, "read_again", None)
        if outer is not None:
            cap = outer[1] if n_threads is None else min(outer[1], n_threads)
    elif n_threads is not None and n_threads <= 1:
        count = 1  # nothing to read
    elif _nested():
        count = 1
    else:
        cap = _caller_limit()
        if n_threads is not None:
            cap = min(cap, n_threads)
        count = min(cap, _idle_cores())
    if n_threads is not None:
        count = min(count, n_threads)
    return max(1, count), (cap if cap is not None and cap > 1 else None)


def run_blocks(function, n_items, work_per_item=1.0, block_items=None):
    """``[function(start, stop) for each block]`` over ``range(n_items)``, the
    blocks run by as many threads as ``available`` allows and the work pays for.

    Blocks hold ``block_items`` items, by default enough for ``MIN_BLOCK_WORK``;
    they depend on ``n_items`` alone, so the results are the same for any
    number of threads. ``function`` must release the GIL to gain anything.
    """
    if block_items is None:
        block_items = max(1, int(MIN_BLOCK_WORK / max(work_per_item, 1e-9)))
    bounds = [
        (start, min(start + block_items, n_items))
        for start in range(0, n_items, block_items)
    ]
    if not bounds:
        return []
    n_threads = min(available(), len(bounds))
    _local.last_count = n_threads
    if n_threads <= 1:
        return [function(start, stop) for start, stop in bounds]
    return _run_on_pool(function, bounds, n_threads)


def last_thread_count():
    """How many threads the last ``run_blocks`` of this thread used (for tests)."""
    return getattr(_local, "last_count", None)


def _run_on_pool(function, bounds, n_threads):
    """Threads take the next block until none is left; the calling thread takes
    blocks too and waits only for blocks under way, not for helpers that have not
    started (on a busy machine a helper may start late, and then finds nothing)."""
    results = [None] * len(bounds)
    errors = []
    next_block = iter(range(len(bounds)))
    claim = threading.Lock()
    done = threading.Condition()
    n_done = 0

    def work():
        nonlocal n_done
        while True:
            with claim:
                block = next(next_block, None)
            if block is None:
                return
            try:
                results[block] = function(*bounds[block])
            except BaseException as error:  # re-raised in the calling thread
                errors.append(error)
            with done:
                n_done += 1
                done.notify_all()

    pool = _get_pool()
    for _ in range(n_threads - 1):
        pool.submit(work)
    work()
    with done:
        done.wait_for(lambda: n_done == len(bounds))
    if errors:
        raise errors[0]
    return results


def _get_pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=max(1, (os.cpu_count() or 1) - 1),
                thread_name_prefix="colorquant",
                initializer=_mark_helper,
            )
        return _pool


def _mark_helper():
    _local.helper = True


def _forget_pool():
    # A forked child has none of the parent's threads.
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _caller_limit():
    """The CPUs this process may use, within the caller's OpenMP limits."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    if "sklearn" in sys.modules:
        # scikit-learn's own reading of threadpoolctl's and joblib's limits;
        # without scikit-learn loaded (the command line), its OpenMP runtime is
        # not either, and the environment holds the only limit there can be.
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

        return min(cpus, _openmp_effective_n_threads(only_physical_cores=False))
    return min(cpus, _environment_limit() or cpus)


def _environment_limit():
    """``OMP_NUM_THREADS`` as OpenMP reads it (its first number), or None."""
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _nested():
    """True inside a parallel level of someone else's, where one thread is right."""
    if getattr(_local, "helper", False):
        return True
    if threading.current_thread() is not threading.main_thread():
        # joblib's worker threads run their tasks with a nested backend; its
        # worker processes get OMP_NUM_THREADS instead (see ``_caller_limit``).
        joblib_parallel = sys.modules.get("joblib.parallel")
        if joblib_parallel is not None and getattr(
            joblib_parallel.get_active_backend()[0], "nesting_level", 0
        ):
            return True
        distributed = sys.modules.get("distributed")
        if distributed is not None:
            try:
                distributed.get_worker()
                return True
            except ValueError:
                pass
    return False


def _idle_cores():
    """Cores that no other thread is running on right now (Linux), else all.

    ``procs_running`` in ``/proc/stat`` counts the threads running or ready to
    run, this one included. The least of a few readings over a fifth of a
    millisecond leaves out the short ones: the reading's own, and threads
    finishing up, such as joblib's right after a parallel call returns (the
    refit that ``GridSearchCV(n_jobs=-1)`` runs next saw them every time).
    """
    try:
        cpus = len(os.sched_getaffinity(0))
        others = _running() - 1
        for _ in range(_BUSY_READINGS):
            if others <= 0:
                break
            time.sleep(_BUSY_READING_GAP)
            others = min(others, _running() - 1)
    except (AttributeError, OSError, ValueError):
        return os.cpu_count() or 1
    return max(1, cpus - max(others, 0))


def _clock():
    return time.monotonic()


def _running():
    """Threads running or ready to run on the machine, from ``/proc/stat``."""
    with open("/proc/stat", "rb") as stat:
        for line in stat:
            if line.startswith(b"procs_running"):
                return int(line.split()[1])
    raise ValueError("no procs_running in /proc/stat")
