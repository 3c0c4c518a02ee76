"""Value ranges and color spaces: how data values map to the working space and back.

Ranges follow scikit-image: floats are taken as they are (``[0, 1]`` for RGB),
integers are on the uint8 scale ``0..255`` except uint16, which is ``0..65535``.
Every computation happens on float64 values in the working color space; data are
converted once on the way in and once on the way out.

Each color space is one ``ColorSpace`` of ``COLOR_SPACES``: its conversions, the
box the RGB gamut takes in it, whether the working coordinates of uint8 data are
the data themselves (what the uint8 cube needs) and whether it takes an alpha
channel. Options are resolved to one of them once, where they come in; nothing
below compares names. Adding a color space is adding an entry.
"""

import warnings
from dataclasses import dataclass, field
from functools import cache

import numpy as np

# Squared distances between colors of larger magnitude overflow float64.
MAX_MAGNITUDE = 1e150
# Float image channel counts: gray, RGB, RGBA. Such data are colors on [0, 1].
_IMAGE_CHANNELS = (1, 3, 4)
# Slack for float colors computed near the ends of [0, 1].
_UNIT_SLACK = 1e-6


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


@dataclass(frozen=True, eq=False)
class ColorSpace:
    """A working color space: where colors are clustered and matched.

    ``to_rgb``/``from_rgb`` convert between unit-scale RGB and the space's
    coordinates; None for the data's own space (``"rgb"``), whose working
    coordinates are the data on the uint8 scale.
    """

    name: str
    from_rgb: object = None  # callable (n, 3) unit RGB -> (n, 3) coordinates
    to_rgb: object = None  # callable, the inverse, unclipped
    # Accepts any number of channels, as the data's own space does; the others
    # need 3-channel RGB in its range.
    any_channels: bool = False
    # Where error diffusion runs, when not in the space itself: a blend of two
    # spaces counts each error twice.
    dithers_in: str = None
    description: str = field(default="", compare=False)

    @property
    def data_as_working(self):
        """Whether the working coordinates of uint8 data are the data values
        themselves: distances between them are exact, and a uint8 pixel indexes
        the uint8 cube directly."""
        return self.any_channels

    @property
    def takes_alpha(self):
        """Whether an alpha channel can be a fourth channel, quantized with the
        color (RGBA): only in the data's own space."""
        return self.any_channels

    def to_working(self, values, dtype):
        """Colors of ``dtype``, shape ``(n, channels)``, as float64 in the working
        space. In the data's own space, the data on the uint8 scale 0..255: for
        uint8 data the values themselves, so that distances between them are exact
        and ties are ties."""
        if self.from_rgb is None:
            return np.asarray(values, dtype=np.float64) * (255.0 / full_scale(dtype))
        with _single_threaded_blas():
            return self.from_rgb(to_unit(values, dtype))

    def from_working(self, colors):
        """Working-space colors on the unit scale, perceptual ones clipped to the
        gamut."""
        if self.to_rgb is None:
            return colors / 255.0
        with warnings.catch_warnings():
            # Cluster centers can fall outside the RGB gamut; clipping is the
            # answer, so scikit-image's out-of-range warning says nothing new here.
            warnings.simplefilter("ignore")
            with _single_threaded_blas():
                rgb = self.to_rgb(colors)
        return np.clip(rgb, 0.0, 1.0)

    def gamut_box(self, n_channels):
        """Lowest and highest working-space coordinates of RGB colors."""
        return _gamut_box(self, n_channels)

    def check_range(self, pixels, dtype=None):
        """Raise a ValueError unless ``pixels`` are valid input for the space.

        The data's own space takes any values and any number of channels; the
        others need 3 channels in the RGB range of ``dtype`` (default: the
        pixels' own). Float colors too large to square are refused everywhere.
        """
        dtype = pixels.dtype if dtype is None else np.dtype(dtype)
        if pixels.size and dtype.kind == "f":
            low, high = float(pixels.min()), float(pixels.max())
            if max(-low, high) > MAX_MAGNITUDE:
                raise ValueError(
                    f"X holds colors of magnitude up to {max(-low, high):g}. Colors "
                    "are compared by squared distance, which overflows past about "
                    f"{MAX_MAGNITUDE:g}; float colors belong in [0, 1]."
                )
            if self.any_channels and pixels.shape[1] in _IMAGE_CHANNELS:
                _warn_outside_unit(low, high)
        if self.any_channels:
            return
        if pixels.shape[1] != 3:
            raise ValueError(
                f"color_space={self.name!r} needs RGB colors with 3 channels, got "
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
                f"color_space={self.name!r} got colors in [{low:g}, {high:g}]. {hint}"
            )

    def check_alpha(self):
        """Raise a ValueError unless RGBA can be quantized in this space."""
        if not self.takes_alpha:
            raise ValueError(
                "RGBA images are quantized with color_space='rgb' (alpha is a "
                f"fourth channel), got color_space={self.name!r}. Drop the alpha "
                "channel to use a perceptual space."
            )

    def __repr__(self):
        return f"ColorSpace({self.name!r})"

    def __reduce__(self):
        # One object per name: a pickled space comes back as the registry's.
        return color_space_of, (self.name,)


def _skimage(name):
    """A conversion of ``skimage.color``, imported on first use: it loads SciPy,
    half a second that RGB users need not pay."""

    def convert(values):
        from skimage import color

        return getattr(color, name)(values)

    convert.__name__ = name
    return convert


# OkLab (Ottosson 2020), the space of ffmpeg's palettegen: linear sRGB to cone
# responses, a cube root, then the opponent axes; L is on [0, 1].
_LINEAR_TO_LMS = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_LMS_TO_OKLAB = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)
_OKLAB_TO_LMS = np.linalg.inv(_LMS_TO_OKLAB)
_LMS_TO_LINEAR = np.linalg.inv(_LINEAR_TO_LMS)


def _linear_srgb(rgb):
    """Linear light of sRGB values on the unit scale."""
    return np.where(
        rgb <= 0.04045, rgb / 12.92, ((np.maximum(rgb, 0.04045) + 0.055) / 1.055) ** 2.4
    )


def rgb_to_oklab(rgb):
    """OkLab coordinates of sRGB colors on the unit scale, shape ``(..., 3)``."""
    linear = _linear_srgb(np.asarray(rgb, dtype=np.float64))
    return np.cbrt(linear @ _LINEAR_TO_LMS.T) @ _LMS_TO_OKLAB.T


# CIELAB as skimage.color.rgb2lab computes it (sRGB, D65, 2-degree observer),
# without importing skimage.color, which loads SciPy: half a second that a
# command-line run with ``--color-space auto`` need not pay.
_LINEAR_TO_XYZ = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def rgb_to_lab(rgb):
    """CIELAB (D65) coordinates of sRGB colors on the unit scale, shape
    ``(..., 3)``: ``skimage.color.rgb2lab``'s."""
    xyz = (_linear_srgb(np.asarray(rgb, dtype=np.float64)) @ _LINEAR_TO_XYZ.T) / (
        _D65_WHITE
    )
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    return np.stack(
        [
            116.0 * f[..., 1] - 16.0,
            500.0 * (f[..., 0] - f[..., 1]),
            200.0 * (f[..., 1] - f[..., 2]),
        ],
        axis=-1,
    )


def oklab_to_rgb(oklab):
    """sRGB colors on the unit scale of OkLab coordinates, shape ``(..., 3)``;
    colors outside the gamut come back outside ``[0, 1]``, unclipped."""
    linear = (np.asarray(oklab, dtype=np.float64) @ _OKLAB_TO_LMS.T) ** 3 @ (
        _LMS_TO_LINEAR.T
    )
    # Odd-symmetric, so that out-of-gamut negatives come back as negatives.
    magnitude = np.abs(linear)
    encoded = np.where(
        magnitude <= 0.0031308,
        12.92 * magnitude,
        1.055 * np.maximum(magnitude, 0.0031308) ** (1 / 2.4) - 0.055,
    )
    return np.sign(linear) * encoded


# The blend of RGB and CIELAB: both on unit scales (RGB on [0, 1], CIELAB over
# 100), CIELAB's share weighted so that a squared distance is RGB's plus 0.16
# times CIE76's. Chosen by measurement against libimagequant
# (benchmarks/blended_palette.py): small enough that PSNR loses little, large
# enough that mean CIEDE2000 gains.
_LAB_SHARE = 0.4


def rgb_to_rgb_lab(rgb):
    """Unit RGB beside ``_LAB_SHARE`` times CIELAB over 100: 6 coordinates."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return np.concatenate([rgb, (_LAB_SHARE / 100.0) * rgb_to_lab(rgb)], axis=-1)


def rgb_lab_to_rgb(coordinates):
    """The RGB part of blended coordinates."""
    return np.ascontiguousarray(np.asarray(coordinates, dtype=np.float64)[..., :3])


# The space each kind of data is best clustered in, chosen for it (``resolve``).
AUTO = "auto"

COLOR_SPACES = {
    space.name: space
    for space in (
        ColorSpace(
            AUTO,
            any_channels=True,
            description="rgb+lab for RGB colors, rgb for any other data",
        ),
        ColorSpace("rgb", any_channels=True, description="the data's own values"),
        ColorSpace(
            "lab", _skimage("rgb2lab"), _skimage("lab2rgb"), description="CIELAB, D65"
        ),
        ColorSpace(
            "luv", _skimage("rgb2luv"), _skimage("luv2rgb"), description="CIELUV"
        ),
        ColorSpace(
            "ycbcr", _skimage("rgb2ycbcr"), _skimage("ycbcr2rgb"), description="YCbCr"
        ),
        ColorSpace(
            "rgb+lab",
            rgb_to_rgb_lab,
            rgb_lab_to_rgb,
            dithers_in="rgb",
            description="RGB beside CIELAB, for PSNR and CIEDE2000 at once",
        ),
        ColorSpace(
            "oklab",
            rgb_to_oklab,
            oklab_to_rgb,
            description="OkLab (ffmpeg's palettegen)",
        ),
    )
}


def color_space_of(name_or_space):
    """The ``ColorSpace`` of a name of ``COLOR_SPACES`` (or the space itself)."""
    if isinstance(name_or_space, ColorSpace):
        return name_or_space
    try:
        return COLOR_SPACES[name_or_space]
    except (KeyError, TypeError):
        raise ValueError(
            f"color_space must be one of {sorted(COLOR_SPACES)}, got {name_or_space!r}."
        ) from None


def resolve(name_or_space, pixels):
    """The space that ``name_or_space`` means for ``pixels`` (one per row):
    ``"auto"`` is ``"rgb+lab"`` for 3-channel colors in the RGB range of their
    dtype, whose PSNR and CIEDE2000 it serves at once, and ``"rgb"`` for
    anything else (gray, RGBA, features that are not colors)."""
    space = color_space_of(name_or_space)
    if space.name != AUTO:
        return space
    if pixels.ndim == 2 and pixels.shape[1] == 3 and _in_rgb_range(pixels):
        return COLOR_SPACES["rgb+lab"]
    return COLOR_SPACES["rgb"]


def _in_rgb_range(pixels):
    if pixels.dtype.kind not in "iuf":
        return False
    if pixels.dtype == np.uint8 or pixels.size == 0:
        return True
    low, high = pixels.min(), pixels.max()
    return bool(low >= 0 and high <= full_scale(pixels.dtype))


@cache
def _gamut_box(space, n_channels):
    if space.from_rgb is None:
        return np.zeros(n_channels), np.full(n_channels, 255.0)
    levels = np.linspace(0.0, 1.0, 33)
    cube = np.stack(np.meshgrid(levels, levels, levels), axis=-1).reshape(-1, 3)
    working = space.to_working(cube, np.float64)
    return working.min(axis=0), working.max(axis=0)


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
    if values.size == 0:
        raise ValueError(f"The image is empty (shape {values.shape}).")
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


def _single_threaded_blas():
    """Keep scikit-image's matrix products on one BLAS thread.

    The products are small, and BLAS threads that spin-wait after them would take
    the cores from the compiled loops that follow (as scikit-learn's KMeans does).
    """
    return _blas_controller().limit(limits=1, user_api="blas")


@cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
