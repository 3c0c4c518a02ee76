"""The thread policy: results that do not depend on the thread count, callers'
limits honoured, one thread under someone else's parallel level."""

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from joblib import Parallel, delayed
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from threadpoolctl import threadpool_limits

from sklearn_colorquant import ColorQuantizer, _threads, quantize_images
from sklearn_colorquant._image import apply_palette


@pytest.fixture
def many_cores(monkeypatch):
    """As if on an idle machine of 8 cores, with 7 helper threads: the policy
    then lets calls use as many threads as they ask for, within the caller's
    OpenMP limits (read as scikit-learn reads them)."""
    unlimited = _openmp_effective_n_threads(only_physical_cores=False)
    if unlimited < 2:
        pytest.skip("needs two cores to tell a limit from none")

    def caller_limit():
        limit = _openmp_effective_n_threads(only_physical_cores=False)
        return 8 if limit >= unlimited else limit

    pool = ThreadPoolExecutor(7, initializer=_threads._mark_helper)
    monkeypatch.setattr(_threads, "_pool", pool)
    monkeypatch.setattr(_threads, "_idle_cores", lambda: 8)
    monkeypatch.setattr(_threads, "_caller_limit", caller_limit)
    yield
    pool.shutdown()


@pytest.fixture
def thread_counts(monkeypatch):
    """The thread count of every ``run_blocks`` call, by calling thread."""
    counts = []
    run_blocks = _threads.run_blocks

    def recorded(*args, **kwargs):
        result = run_blocks(*args, **kwargs)
        counts.append((threading.current_thread().name, _threads.last_thread_count()))
        return result

    for module in ("_assign", "_kmeans", "_dither", "_targets"):
        monkeypatch.setattr(f"sklearn_colorquant.{module}.run_blocks", recorded)
    return counts


def _everything(image, n_threads, n_colors):
    """Palette, labels, dithered labels and an auto size, with ``n_threads``."""
    pixels = image.reshape(-1, 3)
    quantizer = ColorQuantizer(n_colors, random_state=0, n_threads=n_threads)
    quantizer.fit(pixels)
    auto = ColorQuantizer(
        "auto", max_delta_e=3.0, random_state=0, n_threads=n_threads
    ).fit(pixels)
    lab = ColorQuantizer(16, color_space="lab", random_state=0, n_threads=n_threads)
    lab.fit(pixels[::7])
    return [
        quantizer.palette_,
        quantizer.transform(pixels),
        apply_palette(
            np.stack([image, image[::-1]]), quantizer, dither="floyd-steinberg"
        ),
        apply_palette(image, quantizer, dither="ordered"),
        auto.palette_,
        lab.palette_,
        lab.transform(pixels),
    ]


@pytest.mark.parametrize("n_colors", [16, 256])
def test_results_are_identical_for_any_thread_count(
    china, many_cores, thread_counts, n_colors
):
    one = _everything(china, 1, n_colors)
    assert {count for _, count in thread_counts} == {1}
    for n_threads in (2, 8):
        thread_counts.clear()
        for expected, got in zip(one, _everything(china, n_threads, n_colors)):
            np.testing.assert_array_equal(got, expected)
        # The work was really cut among that many threads somewhere.
        assert max(count for _, count in thread_counts) == n_threads
    thread_counts.clear()
    with threadpool_limits(1):
        for expected, got in zip(one, _everything(china, None, n_colors)):
            np.testing.assert_array_equal(got, expected)
    assert {count for _, count in thread_counts} == {1}


def test_threadpool_limits_and_n_threads_bound_the_count(many_cores):
    assert _threads.available() == 8
    assert _threads.available(3) == 3
    with _threads.limit(2):
        assert _threads.available() == 2
        assert _threads.available(5) == 2
        with _threads.limit(6):
            assert _threads.available() == 2
    with threadpool_limits(1):
        assert _threads.available() == 1
    assert _threads.available() == 8


def test_threadpool_limits_reach_the_policy():
    with threadpool_limits(1):
        assert _threads._caller_limit() == 1
        assert _threads.available() == 1


def test_calls_nested_in_joblib_threads_run_on_one_thread(
    china, flower, astronaut, many_cores, thread_counts
):
    images = [china, flower, astronaut, china[::-1]]
    quantize_images(images, n_colors=64, random_state=0, n_jobs=2)
    workers = [count for name, count in thread_counts if name != "MainThread"]
    assert workers, "the images were not quantized in joblib's threads"
    assert set(workers) == {1}
    # Another joblib call of the user's, with our estimator inside.
    thread_counts.clear()
    Parallel(n_jobs=2, prefer="threads")(
        delayed(ColorQuantizer(64, random_state=0).fit)(image.reshape(-1, 3))
        for image in images
    )
    assert {count for _, count in thread_counts} == {1}
    # The same fits from the main thread do use the threads.
    thread_counts.clear()
    ColorQuantizer(64, random_state=0).fit(china.reshape(-1, 3))
    assert max(count for _, count in thread_counts) > 1


def test_quantize_images_gives_the_same_results_in_parallel(china, flower):
    images = [china, flower, china[::-1], flower[:, ::-1]]
    serial, _ = quantize_images(images, n_colors=32, random_state=0, n_jobs=1)
    parallel, _ = quantize_images(images, n_colors=32, random_state=0, n_jobs=2)
    for expected, got in zip(serial, parallel):
        np.testing.assert_array_equal(got, expected)


def test_a_busy_core_is_left_alone():
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/stat")
    cpus = len(os.sched_getaffinity(0))
    if cpus < 2:
        pytest.skip("needs Linux and two cores")
    spin = "while True: pass"
    busy = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(cpus - 1)]
    try:
        time.sleep(0.3)
        # Only this thread's own core is free.
        assert _threads._idle_cores() == 1
        assert _threads.available() == 1
    finally:
        for process in busy:
            process.kill()
            process.wait()


def test_threads_finishing_up_are_not_a_busy_machine(monkeypatch):
    # Right after a joblib call with processes returns, its threads are still
    # finishing up for a moment: GridSearchCV(n_jobs=-1)'s refit, which comes
    # next, read one idle core every time. /proc/stat is read again while it
    # shows others, for a fifth of a millisecond: here the others have finished
    # by the third reading (this thread counts itself in each).
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/stat")
    cpus = len(os.sched_getaffinity(0))
    readings = iter([1 + cpus, 2, 1, 1])
    monkeypatch.setattr(_threads, "_running", lambda: next(readings))
    assert _threads._idle_cores() == cpus
    # Others that stay are counted.
    monkeypatch.setattr(_threads, "_running", lambda: 2)
    assert _threads._idle_cores() == max(1, cpus - 1)


def test_a_long_call_reads_the_idle_cores_again(many_cores, monkeypatch):
    # A fit that began while another job ran, or before a busy process started,
    # follows the machine: the idle cores are read again every
    # _READ_AGAIN_AFTER seconds, within the same limits.
    now, idle = [0.0], [1]
    monkeypatch.setattr(_threads, "_clock", lambda: now[0])
    monkeypatch.setattr(_threads, "_idle_cores", lambda: idle[0])
    with _threads.limit(4):
        assert _threads.available() == 1
        idle[0] = 8
        assert _threads.available() == 1  # not yet
        now[0] += _threads._READ_AGAIN_AFTER
        assert _threads.available() == 4  # its own bound still holds
        with _threads.limit():  # a call inside keeps reading
            idle[0] = 2
            now[0] += _threads._READ_AGAIN_AFTER
            assert _threads.available() == 2
            with _threads.limit(1):
                idle[0] = 8
                now[0] += _threads._READ_AGAIN_AFTER
                assert _threads.available() == 1
    # Under a caller's limit of one thread, or nested, nothing is read again.
    with threadpool_limits(1), _threads.limit():
        now[0] += _threads._READ_AGAIN_AFTER
        assert _threads.available() == 1


def test_errors_in_a_block_reach_the_caller(many_cores):
    def fail_on_the_third(start, stop):
        if start == 2:
            raise RuntimeError("block 2")
        return start

    with pytest.raises(RuntimeError, match="block 2"):
        _threads.run_blocks(fail_on_the_third, 6, block_items=1)
    assert _threads.run_blocks(lambda a, b: (a, b), 5, block_items=2) == [
        (0, 2),
        (2, 4),
        (4, 5),
    ]


@pytest.mark.parametrize("n_threads", [0, -1, 1.5])
def test_n_threads_is_checked(china_pixels, n_threads):
    with pytest.raises(ValueError, match="n_threads"):
        ColorQuantizer(4, n_threads=n_threads).fit(china_pixels)


def test_dask_blocks_run_on_one_thread(china, many_cores, thread_counts):
    pytest.importorskip("dask")
    from sklearn_colorquant.dask import _block_labels

    # In RGB, where uint8 pixels go through the cube's lists on threads.
    quantizer = ColorQuantizer(256, color_space="rgb", random_state=0)
    quantizer.fit(china.reshape(-1, 3))
    thread_counts.clear()
    labels = _block_labels(china, quantizer._fitted_palette, 3)
    assert {count for _, count in thread_counts} == {1}
    # The same lookup outside a Dask block does use the threads.
    thread_counts.clear()
    np.testing.assert_array_equal(
        quantizer._fitted_palette.labels(china.reshape(-1, 3)), labels
    )
    assert max(count for _, count in thread_counts) > 1


def test_tasks_on_a_dask_worker_see_one_thread(many_cores):
    distributed = pytest.importorskip("distributed")
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as client:
        assert client.submit(_threads.available).result() == 1
    assert _threads.available() == 8
