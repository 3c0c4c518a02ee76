"""Quality of a quantized image, and scorers for model selection.

The measures take two images, or two pixel arrays of shape ``(n_pixels,
n_channels)``, of the same shape and dtype. Values follow the package's rule, as
in scikit-image: integers are on 0..255 (uint16 on 0..65535), floats on [0, 1].

The scorers plug into :class:`~sklearn.model_selection.GridSearchCV` as
``scoring=``: each is called as ``scorer(estimator, X)`` on a fitted
:class:`~sklearn_colorquant.ColorQuantizer` (or a pipeline that can
``inverse_transform``), compares ``X`` with its quantized version, and is greater
for better results.
"""

import numpy as np

from ._color_spaces import check_image_range, full_scale, to_unit

__all__ = [
    "mean_delta_e",
    "mean_squared_error",
    "peak_signal_noise_ratio",
    "blurred_peak_signal_noise_ratio",
    "structural_similarity",
    "psnr_scorer",
    "delta_e_scorer",
    "make_rate_distortion_scorer",
    "rate_distortion_scorer",
]

# Functions of skimage.color, imported when used: it loads SciPy.
_DELTA_E = {"ciede2000": "deltaE_ciede2000", "cie76": "deltaE_cie76"}


def mean_squared_error(image_true, image_test):
    """Mean squared difference, in the images' own units.

    Parameters
    ----------
    image_true, image_test : array-like
        Images or pixel arrays of the same shape and dtype.

    Returns
    -------
    mse : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_colorquant.metrics import mean_squared_error
    >>> black = np.array([[0, 0, 0]], dtype=np.uint8)
    >>> mean_squared_error(black, np.array([[3, 0, 4]], dtype=np.uint8))
    8.333333333333334
    """
    image_true, image_test = _check_pair(image_true, image_test)
    return float(np.mean((image_true.astype(np.float64) - image_test) ** 2))


def peak_signal_noise_ratio(image_true, image_test):
    """Peak signal-to-noise ratio in decibels; the peak is the dtype's full scale.

    Parameters
    ----------
    image_true, image_test : array-like
        Images or pixel arrays of the same shape and dtype.

    Returns
    -------
    psnr : float
        ``10 * log10(peak ** 2 / mse)``, with ``peak`` 255 for uint8 and other
        integers, 65535 for uint16 and 1 for floats; infinite for equal inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_colorquant.metrics import peak_signal_noise_ratio
    >>> round(peak_signal_noise_ratio(np.zeros((2, 3)), np.full((2, 3), 0.1)), 6)
    20.0
    """
    image_true, image_test = _check_pair(image_true, image_test)
    mse = np.mean(
        (to_unit(image_true, image_true.dtype) - to_unit(image_test, image_test.dtype))
        ** 2
    )
    return _psnr_from_unit_mse(mse)


def blurred_peak_signal_noise_ratio(image_true, image_test, *, sigma=1.5):
    """PSNR of the two images after the same Gaussian blur: how well tone survives.

    The eye averages neighboring pixels, which is what dithering counts on: a
    dithered image's plain PSNR punishes the pattern, while after a blur that
    hides the pattern the PSNR measures the tone it gives. Dithering that raises
    this measure and keeps the plain PSNR close is what a viewer prefers.

    Parameters
    ----------
    image_true, image_test : array-like of shape (H, W), (H, W, C) or (N, H, W, C)
        Images of the same shape and dtype. The blur runs over the two spatial
        axes only, so pixel arrays are not accepted.
    sigma : float, default=1.5
        Standard deviation of the Gaussian, in pixels
        (:func:`scipy.ndimage.gaussian_filter`, edges mirrored), at most the
        image's longest side. 0 gives the plain PSNR.

    Returns
    -------
    psnr : float
        In decibels, as :func:`peak_signal_noise_ratio`; over a batch, the PSNR
        of the mean squared error of all its images.

    See Also
    --------
    peak_signal_noise_ratio : The same measure without the blur.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_colorquant.metrics import (
    ...     blurred_peak_signal_noise_ratio, peak_signal_noise_ratio)
    >>> gray = np.full((32, 32), 0.5)
    >>> checkers = np.indices((32, 32)).sum(axis=0) % 2 * 1.0
    >>> round(peak_signal_noise_ratio(gray, checkers), 1)
    6.0
    >>> bool(blurred_peak_signal_noise_ratio(gray, checkers) > 40)
    True
    """
    if isinstance(sigma, bool) or not (
        isinstance(sigma, (int, float, np.number)) and 0 <= sigma < np.inf
    ):
        raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}.")
    image_true, image_test = _check_pair(image_true, image_test)
    if image_true.ndim not in (2, 3, 4):
        raise ValueError(
            "blurred_peak_signal_noise_ratio needs images of shape (H, W), "
            f"(H, W, C) or (N, H, W, C), got {image_true.shape}."
        )
    spatial = (1, 2) if image_true.ndim == 4 else (0, 1)
    largest_side = max(image_true.shape[axis] for axis in spatial)
    if sigma > largest_side:
        # The filter's width grows with sigma, not with the image: a sigma of a
        # million pixels takes seconds and more takes all the memory.
        raise ValueError(
            f"sigma={sigma!r} is wider than the image ({largest_side} pixels on "
            "its longest side), where the blur leaves only the mean; use a sigma "
            "of a few pixels, 1.5 by default."
        )
    from scipy.ndimage import gaussian_filter

    sigmas = [sigma if axis in spatial else 0.0 for axis in range(image_true.ndim)]
    blurred_true, blurred_test = (
        gaussian_filter(to_unit(image, image.dtype), sigmas, mode="reflect")
        for image in (image_true, image_test)
    )
    return _psnr_from_unit_mse(np.mean((blurred_true - blurred_test) ** 2))


def mean_delta_e(image_true, image_test, *, method="ciede2000"):
    """Mean color difference in CIELAB (D65) between RGB images.

    Parameters
    ----------
    image_true, image_test : array-like
        RGB images or pixel arrays, 3 channels last, of the same shape and dtype.
    method : {"ciede2000", "cie76"}, default="ciede2000"
        CIEDE2000 (:func:`skimage.color.deltaE_ciede2000`), the perceptual one,
        or CIE76, Euclidean distance in CIELAB (:func:`skimage.color.deltaE_cie76`).

    Returns
    -------
    delta_e : float
        About 1 is just noticeable; 2 to 3 is noticeable at a close look.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_colorquant.metrics import mean_delta_e
    >>> gray = np.array([[128, 128, 128]], dtype=np.uint8)
    >>> float(mean_delta_e(gray, gray))
    0.0
    >>> round(mean_delta_e(gray, gray + 10, method="cie76"), 2)
    3.89
    """
    if method not in _DELTA_E:
        raise ValueError(f"method must be one of {sorted(_DELTA_E)}, got {method!r}.")
    image_true, image_test = _check_pair(image_true, image_test)
    if image_true.shape[-1] != 3:
        raise ValueError(
            "mean_delta_e needs RGB colors with 3 channels last, got shape "
            f"{image_true.shape}."
        )
    return _mean_delta_e_of_unit_rgb(
        to_unit(image_true, image_true.dtype).reshape(-1, 3),
        to_unit(image_test, image_test.dtype).reshape(-1, 3),
        method=method,
    )


def structural_similarity(image_true, image_test):
    """Mean structural similarity (SSIM) of two images, through scikit-image.

    Parameters
    ----------
    image_true, image_test : array-like of shape (H, W), (H, W, C) or (N, H, W, C)
        Images of the same shape and dtype, at least 7 pixels on each side. SSIM
        compares neighborhoods, so pixel arrays are not accepted.

    Returns
    -------
    ssim : float
        Between -1 and 1, 1 for equal images; the mean over a batch.

    Examples
    --------
    >>> from skimage import data
    >>> from sklearn_colorquant.metrics import structural_similarity
    >>> image = data.astronaut()[:64, :64]
    >>> structural_similarity(image, image)
    1.0
    """
    image_true, image_test = _check_pair(image_true, image_test)
    spatial = image_true.shape[1:3] if image_true.ndim == 4 else image_true.shape[:2]
    if image_true.ndim not in (2, 3, 4) or min(spatial) < 7:
        raise ValueError(
            "structural_similarity needs images of shape (H, W), (H, W, C) or "
            f"(N, H, W, C) with H, W >= 7, got {image_true.shape}."
        )
    if image_true.ndim == 4:
        return float(
            np.mean(
                [structural_similarity(a, b) for a, b in zip(image_true, image_test)]
            )
        )
    from skimage import metrics

    return float(
        metrics.structural_similarity(
            image_true,
            image_test,
            data_range=full_scale(image_true.dtype),
            channel_axis=-1 if image_true.ndim == 3 else None,
        )
    )


def psnr_scorer(estimator, X, y=None):
    """PSNR (dB) between ``X`` and its quantized version: a scorer for model search.

    Examples
    --------
    >>> from sklearn.datasets import load_sample_image
    >>> from sklearn_colorquant import ColorQuantizer
    >>> from sklearn_colorquant.metrics import psnr_scorer
    >>> pixels = load_sample_image("china.jpg")[::4, ::4].reshape(-1, 3)
    >>> quantizer = ColorQuantizer(16, random_state=0).fit(pixels)
    >>> 25 < psnr_scorer(quantizer, pixels) < 35
    True
    """
    original, quantized, _ = _quantized_pair(estimator, X)
    return _psnr_from_unit_mse(np.mean((original - quantized) ** 2))


def delta_e_scorer(estimator, X, y=None):
    """Negative mean CIEDE2000 between ``X`` and its quantized version (RGB only).

    Examples
    --------
    >>> from sklearn.datasets import load_sample_image
    >>> from sklearn_colorquant import ColorQuantizer
    >>> from sklearn_colorquant.metrics import delta_e_scorer
    >>> pixels = load_sample_image("china.jpg")[::4, ::4].reshape(-1, 3)
    >>> quantizer = ColorQuantizer(16, random_state=0).fit(pixels)
    >>> -10 < delta_e_scorer(quantizer, pixels) < 0
    True
    """
    original, quantized, _ = _quantized_pair(estimator, X)
    if original.shape[1] != 3:
        raise ValueError("delta_e_scorer needs RGB colors with 3 channels.")
    return -_mean_delta_e_of_unit_rgb(original, quantized)


def make_rate_distortion_scorer(weight=20.0):
    """A scorer that charges for palette size: ``-(mse + weight * log2(n_colors_))``.

    Distortion is the mean squared error on the 0..255 scale, whatever the dtype;
    rate is ``log2(n_colors_)``, the bits per pixel of an indexed image. A palette
    twice as large costs one more bit per pixel, which must buy a drop of more
    than ``weight`` in mean squared error. As the error of a k-means palette falls
    about as ``n_colors ** (-2/3)``, the score peaks at a size that shrinks as the
    weight grows: on china.jpg, weights of 10, 20 and 40 choose sizes near 150, 50
    and 18.

    Parameters
    ----------
    weight : float, default=20.0
        Squared error (on 0..255) that one bit per pixel is worth.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None)``, greater is better.

    Examples
    --------
    >>> from sklearn.datasets import load_sample_image
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn_colorquant import ColorQuantizer
    >>> from sklearn_colorquant.metrics import make_rate_distortion_scorer
    >>> pixels = load_sample_image("china.jpg")[::4, ::4].reshape(-1, 3)
    >>> search = GridSearchCV(
    ...     ColorQuantizer(random_state=0),
    ...     {"n_colors": [4, 16, 64, 256]},
    ...     scoring=make_rate_distortion_scorer(weight=20.0),
    ... ).fit(pixels)
    >>> search.best_params_["n_colors"] in (16, 64)
    True
    """
    if not weight >= 0:
        raise ValueError(f"weight must be a non-negative number, got {weight!r}.")

    def rate_distortion_scorer(estimator, X, y=None):
        original, quantized, n_colors = _quantized_pair(estimator, X)
        mse_255 = np.mean((original - quantized) ** 2) * 255.0**2
        return -float(mse_255 + weight * np.log2(n_colors))

    return rate_distortion_scorer


rate_distortion_scorer = make_rate_distortion_scorer()
rate_distortion_scorer.__doc__ = """``make_rate_distortion_scorer()``: its weight of 20.

Examples
--------
>>> from sklearn.datasets import load_sample_image
>>> from sklearn_colorquant import ColorQuantizer
>>> from sklearn_colorquant.metrics import rate_distortion_scorer
>>> pixels = load_sample_image("china.jpg")[::4, ::4].reshape(-1, 3)
>>> small = ColorQuantizer(4, random_state=0).fit(pixels)
>>> medium = ColorQuantizer(32, random_state=0).fit(pixels)
>>> rate_distortion_scorer(medium, pixels) > rate_distortion_scorer(small, pixels)
True
"""


def _check_pair(image_true, image_test):
    image_true, image_test = np.asarray(image_true), np.asarray(image_test)
    if image_true.shape != image_test.shape:
        raise ValueError(
            f"The images must have the same shape, got {image_true.shape} and "
            f"{image_test.shape}."
        )
    if image_true.dtype != image_test.dtype:
        raise ValueError(
            f"The images must have the same dtype (the dtype sets the scale), got "
            f"{image_true.dtype} and {image_test.dtype}; convert one, for example "
            "with skimage.util.img_as_ubyte or img_as_float."
        )
    if image_true.size == 0:
        raise ValueError("The images are empty.")
    check_image_range(image_true)
    check_image_range(image_test)
    return image_true, image_test


def _psnr_from_unit_mse(mse):
    if mse == 0:
        return float("inf")
    return float(10 * np.log10(1.0 / mse))


def _mean_delta_e_of_unit_rgb(rgb_true, rgb_test, method="ciede2000"):
    from skimage import color

    delta_e = getattr(color, _DELTA_E[method])
    return float(np.mean(delta_e(color.rgb2lab(rgb_true), color.rgb2lab(rgb_test))))


def _quantized_pair(estimator, X):
    """``X`` and its quantized version as unit-scale pixels, and the palette size."""
    quantizer = estimator[-1] if hasattr(estimator, "steps") else estimator
    X = np.asarray(X)
    check_image_range(X)
    quantized = np.asarray(estimator.inverse_transform(estimator.transform(X)))
    n_channels = quantizer.n_channels or quantizer.n_features_in_
    original = to_unit(X, X.dtype).reshape(-1, n_channels)
    quantized = to_unit(quantized, quantized.dtype).reshape(-1, n_channels)
    return original, quantized, quantizer.n_colors_
