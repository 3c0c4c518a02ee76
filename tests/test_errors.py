"""Bad input gets an error that names the problem and the fix."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.cluster import DBSCAN
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_colorquant import ColorQuantizer, apply_palette, quantize_image


@pytest.fixture
def pixels():
    return np.random.default_rng(0).integers(0, 256, size=(200, 3), dtype=np.uint8)


@pytest.fixture
def fitted(pixels):
    return ColorQuantizer(4, random_state=0).fit(pixels)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[0.1, np.nan, 0.2]] * 5), "Input X contains NaN"),
        (np.array([[0.1, np.inf, 0.2]] * 5), "Input X contains infinity"),
        (np.zeros(5), "Expected 2D array, got 1D array instead"),
        (np.zeros((0, 3)), r"0 sample\(s\) \(shape=\(0, 3\)\)"),
        (np.array([["a", "b", "c"]] * 3), "Convert your data to numeric values"),
        (sparse.csr_matrix(np.eye(3)), "dense data is required"),
        (np.zeros((4, 5, 3)), r"image of shape \(H, W, C\) as image.reshape\(-1, C\)"),
    ],
    ids=["nan", "inf", "1-d", "empty", "strings", "sparse", "image-array"],
)
def test_bad_data_in_fit(X, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ColorQuantizer(2).fit(X)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"color_space": "hsv"}, "'color_space' parameter .* Got 'hsv' instead"),
        ({"codebook": "octree"}, "'codebook' parameter .* Got 'octree' instead"),
        ({"encode": "ordinal"}, "'encode' parameter .* Got 'ordinal' instead"),
        ({"n_colors": 0}, r"'n_colors' parameter .* range \[1, inf\) or .*'auto'"),
        ({"n_channels": 0}, "'n_channels' parameter"),
        ({"subsample": -1}, "'subsample' parameter"),
    ],
)
def test_unknown_options(pixels, params, message):
    with pytest.raises(InvalidParameterError, match=message):
        ColorQuantizer(**params).fit(pixels)


@pytest.mark.parametrize("color_space", ["lab", "luv", "ycbcr", "oklab", "rgb+lab"])
def test_perceptual_space_needs_three_channels(color_space):
    gray = np.linspace(0, 1, 20).reshape(-1, 1)
    with pytest.raises(ValueError, match="needs RGB colors with 3 channels, got 1"):
        ColorQuantizer(2, color_space=color_space).fit(gray)


@pytest.mark.parametrize("color_space", ["lab", "luv", "ycbcr", "oklab", "rgb+lab"])
def test_perceptual_space_needs_floats_in_unit_range(pixels, color_space):
    as_255_floats = pixels.astype(np.float64)
    with pytest.raises(ValueError, match=r"Float colors must lie in \[0, 1\].*by 255"):
        ColorQuantizer(2, color_space=color_space).fit(as_255_floats)
    with pytest.raises(ValueError, match=r"got colors in \[-0.5, 1\]"):
        ColorQuantizer(2, color_space=color_space).fit(
            np.array([[-0.5, 0, 1], [0, 0, 0], [1, 1, 1]])
        )


def test_perceptual_space_checks_integer_range():
    with pytest.raises(ValueError, match=r"dtype int64 must lie in \[0, 255\]"):
        ColorQuantizer(2, color_space="lab").fit(np.array([[300, 0, 0], [0, 0, 0]]))


def test_rgb_takes_any_values():
    data = np.array([[-3.0, 1e3], [2.0, -7.0], [5.0, 5.0]])
    assert ColorQuantizer(2, random_state=0).fit(data).n_colors_ == 2


def test_features_not_a_multiple_of_n_channels(pixels):
    with pytest.raises(
        ValueError, match="10 features per row, which is not a multiple"
    ):
        ColorQuantizer(2, n_channels=3).fit(np.zeros((4, 10)))


def test_transform_with_other_feature_count(fitted, pixels):
    with pytest.raises(
        ValueError, match="X has 2 features, but ColorQuantizer is expect"
    ):
        fitted.transform(pixels[:, :2])


def test_transform_before_fit(pixels):
    with pytest.raises(Exception, match="not fitted yet"):
        ColorQuantizer().transform(pixels)


@pytest.mark.parametrize(
    "indices, message",
    [
        (
            np.array([[4]]),
            r"integer palette indices in \[0, 3\], got values in \[4, 4\]",
        ),
        (np.array([[-1]]), r"integer palette indices in \[0, 3\]"),
        (np.array([[0.5]]), r"integer palette indices"),
        (np.array([[0, 1]]), "with 1 column"),
    ],
)
def test_inverse_transform_bad_indices(fitted, indices, message):
    with pytest.raises(ValueError, match=message):
        fitted.inverse_transform(indices)


@pytest.mark.parametrize(
    "palette, message",
    [
        ([[0, 0, np.nan]], "codebook contains NaN or infinite values"),
        ([0, 0, 0], r"shape \(k, n_channels\) with k >= 1, got shape \(3,\)"),
        (np.zeros((0, 3)), r"got shape \(0, 3\)"),
        ([[0, 0], [255, 255]], "2 channel.*data has 3; pass a palette of shape"),
    ],
)
def test_bad_fixed_palette(pixels, palette, message):
    with pytest.raises(ValueError, match=message):
        ColorQuantizer(codebook=palette).fit(pixels)


def test_fixed_palette_in_wrong_scale_for_float_data(pixels):
    palette = np.array([[0, 0, 0], [255, 255, 255]])
    with pytest.raises(ValueError, match="integer dtype int64 but the data is float64"):
        ColorQuantizer(codebook=palette).fit(pixels / 255)
    for color_space in ("rgb", "lab"):
        with pytest.raises(ValueError, match=r"values in \[0, 255\], outside \[0, 1\]"):
            ColorQuantizer(codebook=palette * 1.0, color_space=color_space).fit(
                pixels / 255
            )


@pytest.mark.parametrize(
    "sample_weight, message",
    [
        (np.full(200, -1.0), "Negative values in data passed to `sample_weight`"),
        (np.zeros(200), "at least one non-zero number"),
        (np.ones(199), r"sample_weight.shape == \(199,\), expected \(200,\)"),
        (np.full(200, np.nan), "Input sample_weight contains NaN"),
    ],
    ids=["negative", "all-zero", "length", "nan"],
)
def test_bad_sample_weight(pixels, sample_weight, message):
    with pytest.raises(ValueError, match=message):
        ColorQuantizer(2).fit(pixels, sample_weight=sample_weight)


def test_fractional_weights_for_clusterer_without_sample_weight(pixels):
    from test_quantizer import ExtremeColors

    with pytest.raises(ValueError, match="must then be a whole number"):
        ColorQuantizer(2, codebook=ExtremeColors()).fit(
            pixels, sample_weight=np.full(200, 0.5)
        )


def test_clusterer_without_centers(pixels):
    with pytest.raises(TypeError, match="has no cluster_centers_ after fit"):
        ColorQuantizer(2, codebook=DBSCAN()).fit(pixels)


def test_image_helpers_reject_other_shapes():
    with pytest.raises(ValueError, match=r"\(H, W\), \(H, W, C\) or a batch"):
        quantize_image(np.zeros(10))
    with pytest.raises(ValueError, match=r"\(H, W\), \(H, W, C\) or a batch"):
        apply_palette(np.zeros((1, 2, 3, 4, 3)), None)


# Defects 12-15 of issue 26, found by hostile input.
def test_set_params_after_fit_is_validated_by_transform(china_pixels):
    quantizer = ColorQuantizer(4, random_state=0).fit(china_pixels)
    quantizer.set_params(encode="bogus")
    with pytest.raises(InvalidParameterError, match="'encode' parameter"):
        quantizer.transform(china_pixels)
    with pytest.raises(InvalidParameterError, match="'encode' parameter"):
        quantizer.inverse_transform(np.zeros((3, 1), dtype=np.uint8))


def test_datetime_data_is_refused():
    X = np.arange(30).reshape(10, 3).astype("datetime64[s]")
    with pytest.raises(ValueError, match="must hold numbers"):
        ColorQuantizer(2).fit(X)


@pytest.mark.parametrize("count", [True, False, np.True_])
def test_a_bool_is_not_a_palette_size(count, china_pixels):
    with pytest.raises(InvalidParameterError, match="'n_colors' parameter"):
        ColorQuantizer(count).fit(china_pixels)


def test_an_image_without_channels_is_named():
    with pytest.raises(ValueError, match="no channels"):
        quantize_image(np.zeros((10, 10, 0), dtype=np.uint8))
    with pytest.raises(ValueError, match="no channels"):
        apply_palette(np.zeros((10, 10, 0), dtype=np.uint8), np.zeros((2, 3)))
