"""Value ranges and color spaces: how data values map to the working space and back.

Ranges follow scikit-image: floats are taken as they are (``[0, 1]`` for RGB),
integers are on the uint8 scale ``0..255`` except uint16, which is ``0..65535``.
Every computation happens on float64 values in the working color space; data are
converted once on the way in and once on the way out. The working space of
``"rgb"`` is the data on the uint8 scale, that of the perceptual spaces is
scikit-image's conversion of RGB on ``[0, 1]``.
"""

import warnings
from functools import cache

import numpy as np
from skimage import color
from threadpoolctl import ThreadpoolController

COLOR_SPACES = ("rgb", "lab", "luv", "ycbcr")

_TO_WORKING = {"lab": color.rgb2lab, "luv": color.rgb2luv, "ycbcr": color.rgb2ycbcr}
_FROM_WORKING = {"lab": color.lab2rgb, "luv": color.luv2rgb, "ycbcr": color.ycbcr2rgb}


def full_scale(dtype):
    """Value of full intensity for data of ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype == np.uint16:
        return 65535.0
    if dtype.kind in "iu":
        return 255.0
    return 1.0


def to_unit(values, dtype):
    """Data values of ``dtype`` as float64 on the unit scale."""
    return np.asarray(values, dtype=np.float64) / full_scale(dtype)


def from_unit(values, dtype):
    """Unit-scale float values as data of ``dtype``, rounded and clipped if integer."""
    dtype = np.dtype(dtype)
    values = np.asarray(values, dtype=np.float64)
    if dtype.kind == "b":
        return values >= 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        scaled = np.rint(values * full_scale(dtype))
        return np.clip(scaled, info.min, info.max).astype(dtype)
    return values.astype(dtype)


def check_color_range(pixels, color_space, dtype=None):
    """Raise a ValueError unless ``pixels`` are valid input for ``color_space``.

    ``"rgb"`` takes any values and any number of channels; the perceptual spaces
    need 3 channels in the RGB range of ``dtype`` (default: the pixels' own).
    """
    dtype = pixels.dtype if dtype is None else np.dtype(dtype)
    if color_space == "rgb":
        return
    if pixels.shape[1] != 3:
        raise ValueError(
            f"color_space={color_space!r} needs RGB colors with 3 channels, got "
            f"{pixels.shape[1]} channel(s) per pixel. Use color_space='rgb' for "
            "other channel counts, or set n_channels=3 if each row holds a "
            "flattened RGB image."
        )
    if pixels.size == 0:
        return
    scale = full_scale(dtype)
    low, high = pixels.min(), pixels.max()
    if low < 0 or high > scale:
        if dtype.kind == "f":
            hint = (
                "Float colors must lie in [0, 1] (scikit-image's convention): "
                "divide 0..255 data by 255, or pass it as uint8."
            )
        else:
            hint = f"Integer colors of dtype {dtype} must lie in [0, {scale:g}]."
        raise ValueError(
            f"color_space={color_space!r} got colors in [{low:g}, {high:g}]. {hint}"
        )


def to_working(values, dtype, color_space):
    """Colors of ``dtype``, shape ``(n, channels)``, as float64 in the working space.

    The working space of ``"rgb"`` is the data on the uint8 scale 0..255: for
    uint8 data the values themselves, so that distances between them are exact
    and ties are ties.
    """
    if color_space == "rgb":
        return np.asarray(values, dtype=np.float64) * (255.0 / full_scale(dtype))
    with _single_threaded_blas():
        return _TO_WORKING[color_space](to_unit(values, dtype))


def from_working(colors, color_space):
    """Working-space colors on the unit scale, perceptual ones clipped to the gamut."""
    if color_space == "rgb":
        return colors / 255.0
    with warnings.catch_warnings():
        # Cluster centers can fall outside the RGB gamut; clipping is the answer,
        # so scikit-image's out-of-range warning says nothing new here.
        warnings.simplefilter("ignore")
        with _single_threaded_blas():
            rgb = _FROM_WORKING[color_space](colors)
    return np.clip(rgb, 0.0, 1.0)


def _single_threaded_blas():
    """Keep scikit-image's matrix products on one BLAS thread.

    The products are small, and BLAS threads that spin-wait after them would take
    the cores from the compiled loops that follow (as scikit-learn's KMeans does).
    """
    return _blas_controller().limit(limits=1, user_api="blas")


@cache
def _blas_controller():
    return ThreadpoolController()
