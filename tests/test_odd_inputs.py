"""Odd and hostile input: a clear answer, never a crash or a silently wrong image."""

import warnings

import numpy as np
import pytest
from skimage import data
from sklearn.utils.validation import _get_feature_names

from sklearn_colorquant import ColorQuantizer, quantize_image


def _fit(X, **params):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The data has .* distinct colors")
        return ColorQuantizer(random_state=0, **params).fit(X)


def test_a_single_pixel():
    with pytest.warns(UserWarning, match="1 distinct colors, fewer than n_colors=64"):
        quantizer = ColorQuantizer().fit(np.array([[10, 20, 30]], dtype=np.uint8))
    assert quantizer.n_colors_ == 1
    np.testing.assert_array_equal(
        quantizer.transform([[10, 20, 30], [0, 0, 0]]), [[0], [0]]
    )


def test_one_distinct_color():
    flat = np.full((500, 3), 77, dtype=np.uint8)
    quantizer = _fit(flat, n_colors=8)
    assert quantizer.n_colors_ == 1
    np.testing.assert_array_equal(quantizer.palette_, [[77, 77, 77]])
    np.testing.assert_array_equal(quantizer.palette_frequencies_, [1.0])


@pytest.mark.parametrize(
    "n_colors, dtype",
    [(1, np.uint8), (256, np.uint8), (257, np.uint16), (65536, np.uint16)],
)
def test_index_dtype_follows_the_palette_size(n_colors, dtype):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(max(3 * n_colors, 300), 3), dtype=np.uint8)
    quantizer = _fit(pixels, n_colors=n_colors, codebook="random")
    indices = quantizer.transform(pixels)
    assert quantizer.n_colors_ == n_colors
    assert indices.dtype == dtype
    np.testing.assert_array_equal(
        quantizer.inverse_transform(indices), quantizer.palette_[indices[:, 0]]
    )


def test_more_than_65536_colors_widen_to_uint32():
    palette = np.random.default_rng(0).random((65537, 3))
    quantizer = ColorQuantizer(codebook=palette).fit(palette)
    assert quantizer.transform(palette[:5]).dtype == np.uint32
    np.testing.assert_array_equal(quantizer.transform(palette[:5])[:, 0], np.arange(5))


@pytest.mark.parametrize(
    "dtype", [bool, np.int16, np.uint16, np.float16, np.float32, np.float64, object]
)
def test_dtypes(dtype, china_pixels):
    if dtype is bool:
        X = china_pixels > 128
    elif dtype is np.uint16:
        X = china_pixels.astype(np.uint16) * 257
    elif dtype is np.int16:
        X = china_pixels.astype(np.int16) - 128
    elif dtype in (np.float16, np.float32, np.float64):
        X = (china_pixels / 255).astype(dtype)
    else:
        X = (china_pixels / 255).astype(object)
    quantizer = _fit(X, n_colors=8)
    colors = quantizer.inverse_transform(quantizer.transform(X))
    expected_dtype = np.float64 if dtype is object else np.dtype(dtype)
    assert quantizer.palette_.dtype == expected_dtype
    assert colors.dtype == expected_dtype and colors.shape == X.shape
    assert quantizer.n_colors_ == (
        8 if dtype is not bool else len(np.unique(X, axis=0))
    )


def test_object_array_of_strings():
    with pytest.raises(ValueError, match="could not convert string to float"):
        ColorQuantizer().fit(np.array([["red", "green", "blue"]], dtype=object))


@pytest.mark.parametrize("dtype", [">f8", ">u2", "<u2"])
def test_byte_orders(dtype, china_pixels):
    scale = 1 / 255 if dtype == ">f8" else 257
    values = china_pixels.astype(np.float64) * scale
    X = values.astype(dtype)
    native = values.astype(np.dtype(dtype).newbyteorder("="))
    np.testing.assert_array_equal(
        _fit(X, n_colors=8).transform(X), _fit(native, n_colors=8).transform(native)
    )


def test_non_contiguous_and_read_only_memory_mapped(tmp_path, china):
    strided = china[::3, ::2].reshape(-1, 3)[::2]
    contiguous = np.ascontiguousarray(strided)
    np.testing.assert_array_equal(
        _fit(strided, n_colors=8).transform(strided),
        _fit(contiguous, n_colors=8).transform(contiguous),
    )
    np.save(tmp_path / "pixels.npy", contiguous)
    mapped = np.load(tmp_path / "pixels.npy", mmap_mode="r")
    assert not mapped.flags.writeable
    quantizer = _fit(mapped, n_colors=8)
    np.testing.assert_array_equal(
        quantizer.transform(mapped), _fit(contiguous, n_colors=8).transform(contiguous)
    )
    np.testing.assert_array_equal(mapped, contiguous)  # untouched


@pytest.mark.parametrize("channels", [1, 2, 4])
def test_images_of_1_2_and_4_channels(channels):
    rgb = data.astronaut()[::4, ::4]
    if channels == 1:
        image = rgb[..., 0]
    else:
        image = np.dstack(
            [rgb[..., : channels - 1], np.full(rgb.shape[:2], 200, np.uint8)]
        )
    quantized, quantizer = quantize_image(image, 6, random_state=0)
    assert quantized.shape == image.shape and quantized.dtype == image.dtype
    assert quantizer.palette_.shape == (6, channels)


def test_polars_in_and_out(china_pixels):
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame(china_pixels[:2000], schema=["r", "g", "b"])
    quantizer = ColorQuantizer(4, encode="color", random_state=0).set_output(
        transform="polars"
    )
    out = quantizer.fit_transform(frame)
    assert isinstance(out, pl.DataFrame) and out.n_unique() <= 4
    if _get_feature_names(frame) is None:
        # scikit-learn before 1.7 reads no column names from polars frames, for
        # any estimator; names are then generated, as its own transformers do.
        assert out.columns == ["x0", "x1", "x2"]
    else:
        assert out.columns == ["r", "g", "b"]


def test_perceptual_space_rejects_negative_integers():
    with pytest.raises(ValueError, match=r"dtype int16 must lie in \[0, 255\]"):
        ColorQuantizer(color_space="lab").fit(
            np.array([[-1, 0, 0], [5, 5, 5]], dtype=np.int16)
        )
