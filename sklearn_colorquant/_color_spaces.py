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

# Squared distances between colors of larger magnitude overflow float64.
MAX_MAGNITUDE = 1e150
# Float image channel counts: gray, RGB, RGBA. Such data are colors on [0, 1].
_IMAGE_CHANNELS = (1, 3, 4)
# Slack for float colors computed near the ends of [0, 1].
_UNIT_SLACK = 1e-6

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
        scaled = np.rint(values * full_scale(dtype))
        return np.clip(scaled, *_float_bounds(dtype)).astype(dtype)
    return values.astype(dtype)


def _float_bounds(dtype):
    """The lowest and highest float64 values that convert to ``dtype`` without
    wrapping around: 2**63 - 1 rounds up to 2**63 as a float, one past int64."""
    info = np.iinfo(dtype)
    low, high = float(info.min), float(info.max)
    if int(high) > info.max:
        high = float(np.nextafter(high, 0.0))
    return low, high


def check_color_range(pixels, color_space, dtype=None):
    """Raise a ValueError unless ``pixels`` are valid input for ``color_space``.

    ``"rgb"`` takes any values and any number of channels; the perceptual spaces
    need 3 channels in the RGB range of ``dtype`` (default: the pixels' own).
    """
    dtype = pixels.dtype if dtype is None else np.dtype(dtype)
    if pixels.size and dtype.kind == "f":
        low, high = float(pixels.min()), float(pixels.max())
        if max(-low, high) > MAX_MAGNITUDE:
            raise ValueError(
                f"X holds colors of magnitude up to {max(-low, high):g}. Colors are "
                f"compared by squared distance, which overflows past about "
                f"{MAX_MAGNITUDE:g}; float colors belong in [0, 1]."
            )
        if color_space == "rgb" and pixels.shape[1] in _IMAGE_CHANNELS:
            _warn_outside_unit(low, high)
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


def _warn_outside_unit(low, high):
    if low < -_UNIT_SLACK or high > 1 + _UNIT_SLACK:
        warnings.warn(
            f"X holds float colors in [{low:g}, {high:g}], outside [0, 1], the range "
            "of float images (scikit-image's convention): divide 0..255 data by "
            "255, or pass it as uint8. They are quantized as given, but PSNR, "
            "conversions to other dtypes and indexed files assume [0, 1].",
            UserWarning,
            stacklevel=4,
        )


def check_image_range(image):
    """Raise a ValueError unless ``image`` holds finite values in its dtype's range
    (0..255 for integers, 0..65535 for uint16, [0, 1] for floats), as metrics and
    image files assume it."""
    values = np.asarray(image)
    if values.dtype.kind not in "biuf":
        raise ValueError(f"The images must be numeric, got dtype {values.dtype}.")
    low, high, scale = values.min(), values.max(), full_scale(values.dtype)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError("The images contain NaN or infinite values.")
    if low < 0 or high > scale:
        raise ValueError(
            f"The images hold values in [{low:g}, {high:g}], outside [0, {scale:g}], "
            f"the range of {values.dtype} images: divide 0..255 float data by 255, "
            "or pass it as uint8."
        )


def check_palette_scale(palette, dtype):
    """Raise a ValueError unless ``palette`` is in the scale of data of ``dtype``:
    within ``[0, full_scale]``, and whole numbers for integer data."""
    dtype = np.dtype(dtype)
    scale = full_scale(dtype)
    low, high = float(palette.min()), float(palette.max())
    if low < 0 or high > scale:
        raise ValueError(
            f"The fixed palette has values in [{low:g}, {high:g}], outside "
            f"[0, {scale:g}], the scale of {dtype} data. Give the palette in the "
            "data's scale: 0..255 for uint8, 0..65535 for uint16, [0, 1] for floats."
        )
    if dtype.kind in "iub" and np.any(palette != np.round(palette)):
        raise ValueError(
            f"The fixed palette has fractional values but the data is {dtype}, on "
            f"0..{scale:g}: a palette on [0, 1] is on the wrong scale. Multiply it "
            f"by {scale:g}, or pass the data as floats on [0, 1]."
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
