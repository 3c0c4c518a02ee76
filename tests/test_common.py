"""scikit-learn's estimator checks over every configuration of ColorQuantizer."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import BisectingKMeans
from sklearn.utils.estimator_checks import (
    check_global_output_transform_pandas,
    check_global_set_output_transform_polars,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_set_output_transform_polars,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from sklearn_colorquant import ColorQuantizer

GRAYS = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [1.0, 1.0, 1.0]])

# Configurations that accept any number of features and any float values: the full
# suite must pass with no expected failure.
GENERAL = [
    ColorQuantizer(),
    ColorQuantizer(codebook="minibatch"),
    ColorQuantizer(codebook="random"),
    ColorQuantizer(codebook=BisectingKMeans()),
    ColorQuantizer(encode="color"),
    ColorQuantizer(n_colors=3, subsample=50),
    ColorQuantizer(encode="histogram"),
    ColorQuantizer(encode="onehot"),
    # RGB beside CIELAB for RGB colors, RGB for the rest: any data.
    ColorQuantizer(color_space="auto"),
]

# Configurations that only accept data of 3 channels (a fixed RGB palette, images
# with n_channels=3) or RGB values in [0, 1] (the perceptual spaces).
THREE_CHANNELS = [
    ColorQuantizer(codebook=GRAYS),
    ColorQuantizer(n_channels=3),
    ColorQuantizer(n_channels=3, encode="histogram"),
]
PERCEPTUAL = [
    ColorQuantizer(color_space=space)
    for space in ("lab", "luv", "ycbcr", "oklab", "rgb+lab")
]

# The checks below fit on data of 1, 2, 4, 5 or 10 features, or feed values outside
# the RGB range [0, 1]; these configurations reject such data with a ValueError that
# says so, as they must.
_NOT_THREE_CHANNELS = "fits on data whose feature count is not 3 (or a multiple of 3)"
_NOT_RGB_RANGE = "fits on values outside the RGB range [0, 1]"
_THREE_CHANNEL_FAILURES = {
    "check_dtype_object": _NOT_THREE_CHANNELS,
    "check_estimators_dtypes": _NOT_THREE_CHANNELS,
    "check_estimators_fit_returns_self": _NOT_THREE_CHANNELS,
    "check_estimators_overwrite_params": _NOT_THREE_CHANNELS,
    "check_fit2d_1feature": _NOT_THREE_CHANNELS,
    "check_fit2d_1sample": _NOT_THREE_CHANNELS,
    "check_fit_check_is_fitted": _NOT_THREE_CHANNELS,
    "check_fit_idempotent": _NOT_THREE_CHANNELS,
    "check_n_features_in": _NOT_THREE_CHANNELS,
    "check_n_features_in_after_fitting": _NOT_THREE_CHANNELS,
    "check_positive_only_tag_during_fit": _NOT_THREE_CHANNELS,
    "check_readonly_memmap_input": _NOT_THREE_CHANNELS,
    "check_sample_weights_not_an_array": _NOT_THREE_CHANNELS,
    "check_sample_weights_not_overwritten": _NOT_THREE_CHANNELS,
    "check_sample_weights_pandas_series": _NOT_THREE_CHANNELS,
    "check_sample_weights_shape": _NOT_THREE_CHANNELS,
}
# This check fits on 30 features: 10 pixels of 3 channels for n_channels=3, but 30
# channels per color for a fixed RGB palette or a perceptual space.
_FIXED_PALETTE_FAILURES = {
    **_THREE_CHANNEL_FAILURES,
    "check_sample_weight_equivalence_on_dense_data": _NOT_THREE_CHANNELS,
}
_PERCEPTUAL_FAILURES = {
    **_FIXED_PALETTE_FAILURES,
    "check_dict_unchanged": _NOT_RGB_RANGE,
    "check_dont_overwrite_parameters": _NOT_RGB_RANGE,
    "check_estimators_pickle": _NOT_RGB_RANGE,
    "check_f_contiguous_array_estimator": _NOT_RGB_RANGE,
    "check_fit2d_predict1d": _NOT_RGB_RANGE,
    "check_methods_sample_order_invariance": _NOT_RGB_RANGE,
    "check_methods_subset_invariance": _NOT_RGB_RANGE,
    "check_pipeline_consistency": _NOT_RGB_RANGE,
    "check_transformer_data_not_an_array": _NOT_RGB_RANGE,
    "check_transformer_general": _NOT_RGB_RANGE,
}


def _expected_failed_checks(estimator):
    if estimator.color_space not in ("auto", "rgb"):
        return _PERCEPTUAL_FAILURES
    if isinstance(estimator.codebook, np.ndarray):
        return _FIXED_PALETTE_FAILURES
    if estimator.n_channels == 3:
        return _THREE_CHANNEL_FAILURES
    return {}


@pytest.fixture(autouse=True)
def _quiet_small_data():
    # The checks fit 64 colors on a few dozen samples: the "fewer distinct colors"
    # warning is right there, and not what these checks are about.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The data has .* distinct colors")
        # The checks feed normal draws, not colors on [0, 1]: warned, and legal.
        warnings.filterwarnings("ignore", "X holds float colors in")
        yield


@parametrize_with_checks(
    GENERAL + THREE_CHANNELS + PERCEPTUAL,
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_default_passes_with_no_expected_failure():
    assert _expected_failed_checks(ColorQuantizer()) == {}
    for estimator in GENERAL:
        assert _expected_failed_checks(estimator) == {}


OUTPUT_CHECKS = [
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_global_output_transform_pandas,
    check_set_output_transform_polars,
    check_global_set_output_transform_polars,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
]


@pytest.mark.parametrize("check", OUTPUT_CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("estimator", GENERAL, ids=repr)
def test_set_output_and_feature_names(estimator, check):
    pytest.importorskip("pandas")
    if "polars" in check.__name__:
        pytest.importorskip("polars")
    check(type(estimator).__name__, estimator)
