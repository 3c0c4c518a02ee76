"""DaskColorQuantizer on a real LocalCluster with worker processes."""

import dask
import numpy as np
import pytest
from sklearn.base import clone

from sklearn_colorquant import ColorQuantizer
from sklearn_colorquant.dask import DaskColorQuantizer
from sklearn_colorquant.datasets import make_image_collection

distributed = pytest.importorskip("distributed")

N_IMAGES = 100
# A fit of 60 images takes seconds; one that waits this long is stuck.
FIT_TIMEOUT = 120


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def images_in_memory():
    return make_image_collection(N_IMAGES)


@pytest.fixture(scope="module")
def images_on_workers(client):
    """The collection made by the workers and kept in their memory."""
    images = make_image_collection(N_IMAGES, lazy=True).persist()
    distributed.wait(images)
    return images


@pytest.fixture(scope="module")
def fitted_pair(client, images_on_workers, images_in_memory):
    quantizer = ColorQuantizer(32, random_state=0)
    on_dask = DaskColorQuantizer(quantizer).fit(images_on_workers)
    in_memory = clone(quantizer).fit(images_in_memory.reshape(-1, 3))
    return on_dask, in_memory


def _transfers(dask_worker):
    """Every key that this worker sent or received, with its size in bytes."""
    moved = []
    for log in (dask_worker.transfer_incoming_log, dask_worker.transfer_outgoing_log):
        for entry in log:
            moved.extend(entry["keys"].items())
    return moved


def _forget_transfers(dask_worker):
    dask_worker.transfer_incoming_log.clear()
    dask_worker.transfer_outgoing_log.clear()


def _busy(dask_worker):
    """Tasks this worker still has to fetch, receive or run."""
    return sum(
        task.state not in ("memory", "released", "forgotten")
        for task in dask_worker.state.tasks.values()
    )


def _forget_transfers_when_quiet(client):
    """Clear the transfer logs once every worker is idle, fetches queued or under
    way included: an earlier test's fit on a slice of the same collection may
    move a chunk (it is allowed to), and that move must not be logged as this
    test's."""
    import time

    deadline = time.monotonic() + 30
    while any(client.run(_busy).values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    client.run(_forget_transfers)


def _task_name(key):
    return (key if isinstance(key, str) else key[0]).rsplit("-", 1)[0]


def test_collection_is_real_and_varied(images_in_memory):
    assert images_in_memory.shape == (N_IMAGES, 427, 640, 3)
    # Each image has its own colors: no two images are the same.
    firsts = {images[0].tobytes() for images in images_in_memory[:, :2]}
    assert len(firsts) == N_IMAGES


def test_distributed_palette_equals_the_in_memory_one(fitted_pair, images_in_memory):
    on_dask, in_memory = fitted_pair
    np.testing.assert_array_equal(on_dask.palette_, in_memory.palette_)
    np.testing.assert_array_equal(
        on_dask.palette_frequencies_, in_memory.palette_frequencies_
    )
    assert on_dask.n_colors_ == 32
    distinct = np.unique(images_in_memory.reshape(-1, 3), axis=0)
    assert on_dask.n_histogram_colors_ == len(distinct) > 1_000_000


def test_distributed_indices_equal_the_in_memory_ones(
    fitted_pair, images_on_workers, images_in_memory
):
    on_dask, in_memory = fitted_pair
    lazy = on_dask.transform(images_on_workers)
    assert lazy.shape == (N_IMAGES, 427, 640)
    assert lazy.dtype == np.uint8
    assert lazy.chunks == images_on_workers.chunks[:3]
    expected = in_memory.transform(images_in_memory.reshape(-1, 3))
    np.testing.assert_array_equal(lazy.compute(), expected.reshape(lazy.shape))
    colors = on_dask.inverse_transform(lazy)
    assert colors.shape == images_on_workers.shape
    assert colors.chunks == images_on_workers.chunks
    np.testing.assert_array_equal(
        colors[:3].compute(),
        in_memory.palette_[expected[: 3 * 427 * 640, 0]].reshape(3, 427, 640, 3),
    )


@pytest.mark.parametrize("part", [slice(0, 20), slice(1, None, 5)], ids=str)
def test_part_of_a_persisted_collection(images_on_workers, images_in_memory, part):
    quantizer = ColorQuantizer(8, random_state=0)
    on_dask = DaskColorQuantizer(quantizer).fit(images_on_workers[part])
    in_memory = clone(quantizer).fit(images_in_memory[part].reshape(-1, 3))
    np.testing.assert_array_equal(on_dask.palette_, in_memory.palette_)


@pytest.mark.parametrize("on_workers", [True, False], ids=["persisted", "lazy"])
def test_fit_moves_histograms_never_pixels(own_cluster, on_workers):
    # A cluster of its own: other tests move chunks of the same keys (as they
    # may), and none of that may be counted here.
    client = own_cluster
    images = make_image_collection(N_IMAGES, lazy=True)
    if on_workers:
        images = images.persist()
        distributed.wait(images)
    _forget_transfers_when_quiet(client)
    quantizer = DaskColorQuantizer(ColorQuantizer(16, random_state=0)).fit(images)

    moved = [item for items in client.run(_transfers).values() for item in items]
    names = {_task_name(key) for key, _ in moved}
    # The merged histogram went to the client; histograms went between workers.
    assert "_colors_and_counts" in names
    assert names <= {
        "_block_histogram",
        "_only_item",
        "_merged_histogram",
        "_colors_and_counts",
    }, [item for item in moved if "histogram" not in str(item[0])][:10]
    assert not any(_task_name(key) == _task_name(images.name) for key, _ in moved)
    # What reached the client is one histogram: 11 bytes per distinct color.
    to_client = sum(
        size for key, size in moved if _task_name(key) == "_colors_and_counts"
    )
    assert to_client < 12 * quantizer.n_histogram_colors_ + 10_000
    assert to_client < images.nbytes / 2


def _keys_in_memory(dask_scheduler):
    return {key for key, task in dask_scheduler.tasks.items() if task.state == "memory"}


def test_a_fit_leaves_nothing_in_the_workers_memory(
    client, images_on_workers, monkeypatch
):
    # Every wait for the histogram times out: a timed-out wait's traceback holds
    # the fit's future in a reference cycle, and the workers kept the merged
    # histogram (a later fit of the same data found it there) until the garbage
    # collector ran; with the collector off, until the end.
    import gc
    import time

    import sklearn_colorquant.dask as dask_module

    monkeypatch.setattr(dask_module, "_WATCH_SECONDS", 0.001)
    before = client.run_on_scheduler(_keys_in_memory)
    gc.disable()
    try:
        DaskColorQuantizer(ColorQuantizer(16, random_state=0)).fit(images_on_workers)
        # The release reaches the scheduler a moment later.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            left = client.run_on_scheduler(_keys_in_memory) - before
            if not left:
                break
            time.sleep(0.05)
    finally:
        gc.enable()
    assert not left, sorted(map(str, left))[:5]


def test_fit_graph_makes_each_histogram_in_the_task_that_makes_its_chunk():
    """On the task graph: no task outputs a chunk of pixels; each task that makes
    one (fused with it) outputs that chunk's histogram."""
    images = make_image_collection(N_IMAGES, lazy=True)
    quantizer = ColorQuantizer(16)
    wrapper = DaskColorQuantizer(quantizer)
    histogram, pinned_to = wrapper._histogram(
        *wrapper._checked(images, quantizer), quantizer
    )
    assert pinned_to == set()  # lazy chunks: made where their histogram is
    (optimized,) = dask.optimize(histogram)
    graph = dict(optimized.__dask_graph__())
    assert not any(_task_name(key) == _task_name(images.name) for key in graph)
    makers = [key for key, task in graph.items() if not task.dependencies]
    assert len(makers) == N_IMAGES
    # Fused: named after the first and last tasks, the index and the histogram.
    assert all(key[0].startswith("arange-_block_histogram_cell") for key in makers)
    with dask.config.set(scheduler="synchronous"):
        codes, counts = dask.compute(histogram)[0]
    assert counts.sum() == images.size // 3


def test_result_writes_to_zarr_chunk_by_chunk(fitted_pair, images_on_workers, tmp_path):
    zarr = pytest.importorskip("zarr")
    on_dask, in_memory = fitted_pair
    indices = on_dask.transform(images_on_workers[:10])
    indices.to_zarr(str(tmp_path / "indices.zarr"))
    stored = zarr.open_array(str(tmp_path / "indices.zarr"), mode="r")
    assert stored.shape == (10, 427, 640)
    assert stored.dtype == np.uint8
    assert stored.chunks == (1, 427, 640)
    np.testing.assert_array_equal(stored[:], indices.compute())


def test_rows_with_n_channels_and_color_encoding(images_in_memory):
    rows = images_in_memory[:12, ::4, ::4].reshape(12, -1)
    lazy_rows = dask.array.from_array(rows, chunks=(5, -1))
    quantizer = ColorQuantizer(8, n_channels=3, encode="color", random_state=0)
    with dask.config.set(scheduler="synchronous"):
        on_dask = DaskColorQuantizer(quantizer).fit(lazy_rows)
        in_memory = clone(quantizer).fit(rows)
        np.testing.assert_array_equal(on_dask.palette_, in_memory.palette_)
        colors = on_dask.transform(lazy_rows)
        assert colors.chunks == lazy_rows.chunks
        np.testing.assert_array_equal(colors.compute(), in_memory.transform(rows))

        indices = DaskColorQuantizer(clone(quantizer).set_params(encode="index"))
        indices = indices.fit(lazy_rows).transform(lazy_rows)
        assert indices.shape == (12, rows.shape[1] // 3)
        assert indices.chunks == ((5, 5, 2), (rows.shape[1] // 3,))


def test_lab_on_the_threaded_scheduler(images_in_memory):
    images = images_in_memory[:4, ::2, ::2]
    chunked = dask.array.from_array(images, chunks=(1, 100, 100, 3))
    quantizer = ColorQuantizer(16, color_space="lab", random_state=0)
    with dask.config.set(scheduler="threads"):
        on_dask = DaskColorQuantizer(quantizer, split_every=3).fit(chunked)
        labels = on_dask.transform(chunked).compute()
    in_memory = clone(quantizer).fit(images.reshape(-1, 3))
    np.testing.assert_array_equal(on_dask.palette_, in_memory.palette_)
    np.testing.assert_array_equal(
        labels.reshape(-1), in_memory.transform(images.reshape(-1, 3))[:, 0]
    )


def test_subsample_is_a_reproducible_sample_of_every_chunk(images_in_memory):
    floats = dask.array.from_array(
        images_in_memory[:6, ::2, ::2] / 255.0, chunks=(1, 107, 320, 3)
    )
    quantizer = ColorQuantizer(8, subsample=20_000, random_state=0)
    with dask.config.set(scheduler="synchronous"):
        first = DaskColorQuantizer(quantizer).fit(floats)
        again = DaskColorQuantizer(quantizer).fit(floats)
        other = DaskColorQuantizer(clone(quantizer).set_params(random_state=1)).fit(
            floats
        )
    np.testing.assert_array_equal(first.palette_, again.palette_)
    assert not np.array_equal(first.palette_, other.palette_)
    assert first.n_histogram_colors_ <= 20_000
    # Every chunk gave its share: the sample covers all six images.
    used = first.transform(floats).compute()
    assert all(len(np.unique(image)) > 1 for image in used)


@pytest.mark.parametrize(
    "X, message",
    [
        (dask.array.full((2, 4, 4, 3), np.nan), "X contains NaN or infinite values"),
        (dask.array.zeros(10), r"images of shape \(N, H, W, C\)"),
        (dask.array.zeros((0, 4, 3)), "empty array"),
        (dask.array.from_array(np.array([["a", "b", "c"]])), "numeric data"),
    ],
    ids=["nan", "1-d", "empty", "strings"],
)
def test_bad_input(X, message):
    with dask.config.set(scheduler="synchronous"):
        with pytest.raises(ValueError, match=message):
            DaskColorQuantizer(ColorQuantizer(2)).fit(X)


def test_perceptual_space_rejects_out_of_range_floats():
    X = dask.array.full((2, 4, 4, 3), 2.0, chunks=(1, 4, 4, 3))
    with dask.config.set(scheduler="synchronous"):
        with pytest.raises(ValueError, match=r"Float colors must lie in \[0, 1\]"):
            DaskColorQuantizer(ColorQuantizer(2, color_space="lab")).fit(X)


def test_histograms_on_dask_are_lazy_and_equal_in_memory(china, flower):
    # Images cut into spatial chunks: each image's counts are summed over its
    # chunks before they become shares.
    images = np.stack([china[:, :600], flower[:, :600]])
    chunked = dask.array.from_array(images, chunks=(1, 150, 250, 3))
    quantizer = ColorQuantizer(16, encode="histogram", random_state=0)
    with dask.config.set(scheduler="synchronous"):
        on_dask = DaskColorQuantizer(quantizer).fit(chunked)
        shares = on_dask.transform(chunked)
        assert isinstance(shares, dask.array.Array)
        assert shares.shape == (2, 16) and shares.dtype == np.float64
        computed = shares.compute()
        single = on_dask.transform(chunked[1]).compute()
    in_memory = clone(quantizer).set_params(n_channels=3)
    expected = in_memory.fit(images.reshape(2, -1)).transform(images.reshape(2, -1))
    np.testing.assert_array_equal(on_dask.palette_, in_memory.palette_)
    np.testing.assert_allclose(computed, expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(single, expected[1:], rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="cannot rebuild pixels"):
        on_dask.inverse_transform(shares)


def test_histogram_and_onehot_rows_on_dask_equal_in_memory(china):
    rows = np.stack([china[top : top + 8, :64:4] for top in range(0, 400, 8)]).reshape(
        50, -1
    )
    lazy_rows = dask.array.from_array(rows, chunks=(12, -1))
    with dask.config.set(scheduler="synchronous"):
        for encode in ("histogram", "onehot"):
            quantizer = ColorQuantizer(8, n_channels=3, encode=encode, random_state=0)
            on_dask = DaskColorQuantizer(quantizer).fit(lazy_rows)
            in_memory = clone(quantizer).fit(rows)
            out = on_dask.transform(lazy_rows)
            expected = in_memory.transform(rows)
            assert out.shape == expected.shape
            assert out.chunks[0] == (12, 12, 12, 12, 2)
            computed = out.compute()
            if encode == "onehot":
                import scipy.sparse as sp

                assert sp.issparse(computed)
                computed, expected = computed.toarray(), expected.toarray()
                back = on_dask.inverse_transform(out).compute()
                np.testing.assert_array_equal(
                    back, in_memory.inverse_transform(in_memory.transform(rows))
                )
            np.testing.assert_array_equal(computed, expected)
        with pytest.raises(ValueError, match="encode='onehot'.*images"):
            on_dask.transform(dask.array.from_array(china[None], chunks=-1))


@pytest.fixture
def own_cluster():
    """A cluster of two worker processes for a test that kills one of them."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _exit_soon():
    import os
    import threading

    threading.Timer(0.05, os._exit, (1,)).start()


def _kill(client, address):
    """End a worker's process, as a crash or the OOM killer would; its nanny
    starts a new one, at a new address."""
    import time

    client.run(_exit_soon, workers=[address])
    deadline = time.monotonic() + 60
    while address in client.scheduler_info()["workers"]:
        assert time.monotonic() < deadline, "the worker did not die"
        time.sleep(0.1)


@pytest.mark.parametrize("when", ["after-pinning", "mid-fit"])
def test_a_worker_killed_during_a_fit_neither_hangs_nor_changes_it(
    own_cluster, monkeypatch, when
):
    import threading

    import sklearn_colorquant.dask as dask_module

    client = own_cluster
    images = make_image_collection(60, lazy=True).persist()
    distributed.wait(images)
    killed = []
    real_holders = dask_module._holders

    def holders_then_kill(X):
        # The graph is pinned to workers, one of which then dies: the case that
        # used to wait for the dead address forever.
        found = real_holders(X)
        if found and not killed:
            killed.append(next(iter(found.values()))[0])
            _kill(client, killed[0])
        return found

    if when == "after-pinning":
        monkeypatch.setattr(dask_module, "_holders", holders_then_kill)
    else:
        victim = next(iter(client.scheduler_info()["workers"]))

        def kill_victim():
            _kill(client, victim)
            killed.append(victim)

        timer = threading.Timer(0.4, kill_victim)
        timer.start()
    quantizer = ColorQuantizer(32, random_state=0)
    result = {}
    fitting = threading.Thread(
        target=lambda: result.update(fitted=DaskColorQuantizer(quantizer).fit(images)),
        daemon=True,
    )
    fitting.start()
    fitting.join(timeout=FIT_TIMEOUT)
    assert not fitting.is_alive(), f"the fit still waits after {FIT_TIMEOUT} s"
    fitted = result["fitted"]
    if when == "mid-fit":
        timer.join(timeout=60)
    assert killed
    in_memory = clone(quantizer).fit(make_image_collection(60).reshape(-1, 3))
    np.testing.assert_array_equal(fitted.palette_, in_memory.palette_)
