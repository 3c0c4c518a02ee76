"""A fitted quantizer shared by threads, and pickled: same results either way."""

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from sklearn_colorquant import ColorQuantizer


@pytest.mark.parametrize("color_space", ["rgb", "lab"])
def test_eight_threads_give_the_serial_results(china, flower, astronaut, color_space):
    quantizer = ColorQuantizer(32, color_space=color_space, random_state=0)
    quantizer.fit(china.reshape(-1, 3))
    images = [image.reshape(-1, 3) for image in (flower, astronaut, china)] * 8
    fresh = pickle.loads(pickle.dumps(quantizer))
    serial = [fresh.transform(image) for image in images]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(quantizer.transform, images))
    for expected, got in zip(serial, threaded):
        np.testing.assert_array_equal(got, expected)


def test_pickle_round_trip_keeps_results_and_drops_the_cache(china, flower):
    quantizer = ColorQuantizer(16, random_state=0).fit(china.reshape(-1, 3))
    expected = quantizer.transform(flower.reshape(-1, 3))
    restored = pickle.loads(pickle.dumps(quantizer))
    np.testing.assert_array_equal(restored.palette_, quantizer.palette_)
    np.testing.assert_array_equal(restored.transform(flower.reshape(-1, 3)), expected)
    # The lookup structures are a cache: the pickle stays small.
    assert len(pickle.dumps(quantizer)) < 20_000


@pytest.mark.parametrize("color_space", ["rgb", "lab"])
def test_joblib_round_trip_is_identical(tmp_path, china, flower, color_space):
    joblib = pytest.importorskip("joblib")
    quantizer = ColorQuantizer(16, color_space=color_space, random_state=0)
    quantizer.fit(china.reshape(-1, 3))
    expected = quantizer.transform(flower.reshape(-1, 3))
    joblib.dump(quantizer, tmp_path / "quantizer.joblib")
    restored = joblib.load(tmp_path / "quantizer.joblib")
    assert restored.get_params() == quantizer.get_params()
    for name in ("palette_", "cluster_centers_", "palette_frequencies_"):
        np.testing.assert_array_equal(getattr(restored, name), getattr(quantizer, name))
    assert restored.n_colors_ == quantizer.n_colors_
    np.testing.assert_array_equal(restored.transform(flower.reshape(-1, 3)), expected)


def test_palette_file_is_the_safe_way_to_keep_a_quantizer(tmp_path, china, flower):
    from sklearn_colorquant import load_palette, save_palette

    quantizer = ColorQuantizer(16, random_state=0).fit(china.reshape(-1, 3))
    save_palette(tmp_path / "palette.json", quantizer.palette_)
    palette = load_palette(tmp_path / "palette.json")
    rebuilt = ColorQuantizer(codebook=palette).fit(palette)
    np.testing.assert_array_equal(
        rebuilt.transform(flower.reshape(-1, 3)),
        quantizer.transform(flower.reshape(-1, 3)),
    )
