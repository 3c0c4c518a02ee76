"""Hostile and careless input to the API: every input gets a right answer or a
ValueError that names the problem, never a crash or a silently wrong result."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_colorquant import ColorQuantizer, save_indexed_image
from sklearn_colorquant.metrics import (
    delta_e_scorer,
    mean_delta_e,
    peak_signal_noise_ratio,
    psnr_scorer,
)


def test_huge_finite_floats_raise_instead_of_crashing():
    # Run apart: the crash this guards against took the interpreter down.
    script = textwrap.dedent(
        """
        import numpy as np
        from sklearn_colorquant import ColorQuantizer
        rng = np.random.default_rng(0)
        for value in (7e305, 1e308, 1e200, 1.1e150, -1e300):
            X = rng.random((100, 3))
            X[0] = value
            try:
                ColorQuantizer(2, random_state=0).fit(X)
            except ValueError as error:
                assert "magnitude" in str(error), error
            else:
                raise AssertionError(f"fit took {value}")
        quantizer = ColorQuantizer(2, random_state=0).fit(rng.random((100, 3)))
        X = rng.random((2000, 3))
        X[1500] = 1e308
        try:
            quantizer.transform(X)
        except ValueError as error:
            assert "magnitude" in str(error), error
        else:
            raise AssertionError("transform took 1e308")
        print("done")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "done"


def test_large_but_safe_floats_are_quantized_as_given():
    X = np.array([[1e140, 0.0, 0.0], [0.0, 0.0, 0.0], [0.5, 0.5, 0.5]])
    with pytest.warns(UserWarning, match=r"outside \[0, 1\].*divide 0..255 data"):
        quantizer = ColorQuantizer(3, random_state=0).fit(X)
    assert {tuple(color) for color in quantizer.palette_} == {tuple(c) for c in X}
    with pytest.warns(UserWarning, match="outside"):
        np.testing.assert_array_equal(
            quantizer.transform(quantizer.palette_)[:, 0], [0, 1, 2]
        )


@pytest.mark.parametrize(
    "dtype, extreme",
    [
        (np.uint64, 2**64 - 1),
        (np.int64, 2**63 - 1),
        (np.int64, -(2**63)),
        (np.uint32, 2**32 - 1),
        (np.int32, -(2**31)),
    ],
)
def test_integer_extremes_never_wrap(dtype, extreme):
    X = np.array([[extreme, 0, 0], [0, 0, 0]], dtype=dtype)
    quantizer = ColorQuantizer(2, random_state=0).fit(X)
    assert quantizer.n_colors_ == 2
    # The extreme color comes back as the nearest value a float64 holds, on the
    # side of zero: never wrapped to the other end of the dtype.
    far = np.argmax(np.abs(quantizer.palette_[:, 0].astype(np.float64)))
    extreme_color = quantizer.palette_[far]
    assert np.sign(int(extreme_color[0])) == np.sign(extreme)
    assert abs(int(extreme_color[0]) - extreme) <= 2048
    np.testing.assert_array_equal(quantizer.transform(quantizer.palette_)[:, 0], [0, 1])


@pytest.mark.parametrize(
    "palette, data, message",
    [
        ([[0, 0, 0], [0.5, 0.5, 0.5]], "uint8", "fractional values but the data is"),
        ([[300.0, 0, 0]], "uint8", r"values in \[0, 300\], outside \[0, 255\]"),
        ([[0, 0, 0], [255.0, 255, 255]], "float", r"outside \[0, 1\]"),
        ([[0, 0, 0], [-0.5, 0, 0]], "float", r"values in \[-0.5, 0\]"),
        ([[0, 0, 0], [70000, 0, 0]], "uint16", r"outside \[0, 65535\]"),
    ],
)
def test_a_palette_in_the_wrong_scale_is_an_error(china_pixels, palette, data, message):
    X = {
        "uint8": china_pixels,
        "float": china_pixels / 255.0,
        "uint16": china_pixels.astype(np.uint16) * 257,
    }[data]
    with pytest.raises(ValueError, match=message):
        ColorQuantizer(codebook=np.array(palette)).fit(X)


def test_a_palette_of_whole_floats_in_the_data_scale_is_taken(china_pixels):
    palette = np.array([[0.0, 0, 0], [128.0, 128, 128], [255.0, 255, 255]])
    quantizer = ColorQuantizer(codebook=palette).fit(china_pixels)
    np.testing.assert_array_equal(quantizer.palette_, palette.astype(np.uint8))


def test_float_colors_on_the_uint8_scale_are_warned(china_pixels):
    with pytest.warns(UserWarning, match=r"in \[\d+, 255\], outside \[0, 1\]"):
        ColorQuantizer(8, random_state=0).fit(china_pixels.astype(np.float64))
    # Fitted on uint8, then given the same colors as 0..255 floats: warned in
    # RGB; refused in RGB beside CIELAB, which "auto" is for uint8 RGB.
    quantizer = ColorQuantizer(8, random_state=0).fit(china_pixels)
    with pytest.warns(UserWarning, match="divide 0..255 data by 255"):
        quantizer.transform(china_pixels.astype(np.float64))
    auto = ColorQuantizer(8, color_space="auto", random_state=0).fit(china_pixels)
    assert auto.color_space_ == "rgb+lab"
    with pytest.raises(ValueError, match="divide 0..255 data by 255"):
        auto.transform(china_pixels.astype(np.float64))
    # The same colors as floats on [0, 1] go by the dtype rules, without a word.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        as_unit = quantizer.transform(china_pixels / 255.0)
    agree = np.mean(as_unit == quantizer.transform(china_pixels))
    assert agree > 0.999


@pytest.mark.parametrize(
    "metric",
    [
        lambda a, b: peak_signal_noise_ratio(a, b),
        lambda a, b: mean_delta_e(a, b),
    ],
    ids=["psnr", "delta_e"],
)
def test_metrics_refuse_out_of_range_images(china, metric):
    image = china[:40, :40].astype(np.float64)  # 0..255 floats
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*divide 0..255"):
        metric(image, image * 0.9)
    broken = china[:40, :40] / 255.0
    broken[3, 4, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        metric(broken, china[:40, :40] / 255.0)


@pytest.mark.parametrize("scorer", [psnr_scorer, delta_e_scorer])
def test_scorers_refuse_out_of_range_data(china_pixels, scorer):
    quantizer = ColorQuantizer(8, random_state=0).fit(china_pixels / 255.0)
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scorer(quantizer, china_pixels.astype(np.float64))


def test_subnormal_palette_colors_are_merged_with_a_warning():
    X = np.array([[2.22507386e-313, 0, 0], [0, 0, 0]])
    with pytest.warns(UserWarning, match="no squared distance tells them apart"):
        quantizer = ColorQuantizer(2, random_state=0).fit(X)
    assert quantizer.n_colors_ == 1
    np.testing.assert_array_equal(quantizer.transform(quantizer.palette_)[:, 0], [0])


@pytest.mark.parametrize(
    "indices",
    [[[0, 300]], [[0, -1]], [[0, 2]], [[0.5, 1]], [[np.nan, 0]]],
    ids=["300", "-1", "past-palette", "fraction", "nan"],
)
def test_save_indexed_image_refuses_indices_it_would_wrap(tmp_path, indices):
    palette = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    with pytest.raises(ValueError, match=r"whole numbers in \[0, 1\]"):
        save_indexed_image(tmp_path / "x.png", np.array(indices), palette)
    assert not (tmp_path / "x.png").exists()


# --- hypothesis over every dtype fit accepts ---------------------------------

DTYPES = [
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
]


@st.composite
def any_dtype_colors(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    n_pixels = draw(st.integers(1, 60))
    channels = draw(st.sampled_from([1, 3, 4]))
    if dtype.kind == "b":
        elements = st.booleans()
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        # The extremes of the dtype are drawn often, as hostile input.
        elements = st.one_of(
            st.sampled_from([info.min, info.max, 0, 1]),
            st.integers(int(info.min), int(info.max)),
        )
    else:
        finite = float(np.finfo(dtype).max)
        tiny = float(np.finfo(dtype).smallest_subnormal)
        special = [0.0, 1.0, finite, -finite, tiny, min(1e300, finite)]
        elements = st.one_of(
            st.sampled_from(special),
            st.floats(-finite, finite, width=dtype.itemsize * 8),
        )
    return draw(arrays(dtype, (n_pixels, channels), elements=elements))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=any_dtype_colors(), n_colors=st.integers(1, 6), seed=st.integers(0, 99))
@example(
    X=np.array([[2**64 - 1, 0, 0], [0, 0, 0]], dtype=np.uint64), n_colors=2, seed=0
)
@example(X=np.array([[2**63 - 1, 0, 0], [0, 0, 0]], dtype=np.int64), n_colors=2, seed=0)
@example(X=np.array([[1e308, 0, 0], [0, 0, 0]]), n_colors=2, seed=0)
@example(X=np.array([[2.2e-313, 0, 0], [0, 0, 0]]), n_colors=2, seed=0)
def test_every_dtype_gives_a_right_answer_or_a_value_error(X, n_colors, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            quantizer = ColorQuantizer(n_colors, random_state=seed).fit(X)
        except ValueError as error:
            # Only what the package names: colors too large to compare.
            assert "magnitude" in str(error)
            assert np.abs(X.astype(np.float64)).max() > 1e150
            return
        indices = quantizer.transform(X)
        colors = quantizer.inverse_transform(indices)
        own = quantizer.transform(quantizer.palette_)[:, 0]
    palette = quantizer.palette_
    assert palette.dtype == X.dtype and np.all(np.isfinite(palette.astype(float)))
    assert 0 <= indices.min() and indices.max() < quantizer.n_colors_ <= n_colors
    assert colors.dtype == X.dtype
    np.testing.assert_array_equal(own, np.arange(quantizer.n_colors_))
    # Palette colors are means of data colors: within the data's range per
    # channel, never wrapped around (with float rounding at the int64 ends).
    as_float = X.astype(np.float64)
    low, high = as_float.min(axis=0), as_float.max(axis=0)
    values = palette.astype(np.float64)
    slack = 2048.0 if X.dtype.itemsize == 8 and X.dtype.kind in "iu" else 0.0
    if X.dtype.kind == "f" and X.dtype.itemsize < 8:
        slack = np.abs(as_float).max() * np.finfo(X.dtype).eps
    assert np.all(values >= low - slack) and np.all(values <= high + slack)
