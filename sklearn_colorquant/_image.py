"""Image-level helpers: quantize ``(H, W, C)`` images and ``(N, H, W, C)`` batches."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _threads
from ._assign import palette_colors
from ._color_spaces import from_unit, to_unit, to_working
from ._dither import dither_labels
from ._quantizer import ColorQuantizer


def quantize_image(
    image,
    n_colors=64,
    *,
    dither=None,
    dither_strength=1.0,
    return_indices=False,
    **params,
):
    """Quantize an image, or a batch of images, to a palette learned from its pixels.

    Parameters
    ----------
    image : array-like of shape (H, W), (H, W, C) or (N, H, W, C)
        A grayscale image, a color image, or a batch sharing one palette. uint8
        images are on 0..255, float images on ``[0, 1]`` (scikit-image's rule).
        With 4 channels (RGBA), fully transparent pixels take no part in the
        palette and stay fully transparent; partial alpha is quantized with the
        color, as pngquant does.
    n_colors : int, default=64
        Size of the palette.
    dither : {"floyd-steinberg", "ordered"}, default=None
        Dither when mapping pixels to the palette (see :func:`apply_palette`).
    dither_strength : float, default=1.0
        Strength of the dithering, between 0 and 1.
    return_indices : bool, default=False
        Return the palette index of each pixel instead of its color, as
        :func:`apply_palette` does.
    **params
        Other parameters of :class:`ColorQuantizer`, such as ``codebook``,
        ``color_space`` or ``random_state``.

    Returns
    -------
    quantized : ndarray
        The image made of palette colors, of the shape and dtype of ``image``; or
        the palette indices, of shape ``image.shape[:-1]``, with
        ``return_indices=True``.
    quantizer : ColorQuantizer
        The fitted quantizer, fitted on pixels (one per row); apply it to other
        images with :func:`apply_palette`.

    See Also
    --------
    apply_palette : Map another image to a fitted palette.
    ColorQuantizer : The estimator behind it.

    Examples
    --------
    >>> from sklearn.datasets import load_sample_image
    >>> from sklearn_colorquant import quantize_image
    >>> china = load_sample_image("china.jpg")[::4, ::4]
    >>> quantized, quantizer = quantize_image(china, n_colors=16, random_state=0)
    >>> quantized.shape == china.shape, quantized.dtype
    (True, dtype('uint8'))
    >>> len({tuple(color) for color in quantized.reshape(-1, 3)}) <= 16
    True
    """
    image = np.asarray(image)
    quantizer = fit_image_quantizer(image, n_colors, **params)
    quantized = apply_palette(
        image,
        quantizer,
        dither=dither,
        dither_strength=dither_strength,
        return_indices=return_indices,
    )
    return quantized, quantizer


def apply_palette(
    image, quantizer, *, dither=None, dither_strength=1.0, return_indices=False
):
    """Map every pixel of an image to its nearest color of a fitted quantizer's palette.

    Parameters
    ----------
    image : array-like of shape (H, W), (H, W, C) or (N, H, W, C)
        Image or batch of images with as many channels as the palette.
    quantizer : ColorQuantizer or array-like of shape (n_colors, C)
        A fitted quantizer, whose ``color_space`` decides what "nearest" means,
        or a palette: its colors, in the image's scale, matched in RGB.
    dither : {"floyd-steinberg", "ordered"}, default=None
        ``None`` maps each pixel to its nearest palette color.
        ``"floyd-steinberg"`` diffuses each pixel's error to its unvisited
        neighbors (7/16, 3/16, 5/16, 1/16, serpentine scan), in the working color
        space. ``"ordered"`` adds an 8x8 Bayer pattern, scaled to the typical
        distance between palette colors, before mapping.
    dither_strength : float, default=1.0
        Between 0 (no dithering) and 1: the share of the error passed on, or the
        scale of the pattern.
    return_indices : bool, default=False
        Return the palette index of each pixel, shape ``image.shape[:-1]``
        (``(H, W)`` for a grayscale image), instead of the colors. In an RGBA
        image, fully transparent pixels get the index ``quantizer.n_colors_``.

    Returns
    -------
    quantized : ndarray
        Palette colors in the shape and dtype of ``image``, or palette indices.

    See Also
    --------
    quantize_image : Learn a palette from an image and apply it.

    Examples
    --------
    >>> from sklearn.datasets import load_sample_image
    >>> from sklearn_colorquant import apply_palette, quantize_image
    >>> china = load_sample_image("china.jpg")[::4, ::4]
    >>> flower = load_sample_image("flower.jpg")[::4, ::4]
    >>> _, quantizer = quantize_image(china, n_colors=8, random_state=0)
    >>> indices = apply_palette(flower, quantizer, return_indices=True)
    >>> indices.shape == flower.shape[:2], int(indices.max()) < 8
    (True, True)
    """
    image = np.asarray(image)
    quantizer = _palette_quantizer(quantizer)
    labels = image_labels(image, quantizer, dither, dither_strength)
    if return_indices:
        return labels.reshape(image.shape[:-1] if image.ndim > 2 else image.shape)
    palette = image_palette(quantizer, image.dtype)
    return palette_colors(palette, labels).reshape(image.shape)


def image_labels(image, quantizer, dither=None, dither_strength=1.0):
    """Palette index of every pixel of ``image`` (any layout that
    :func:`apply_palette` takes), flat, every pixel checked first; in RGBA, fully
    transparent pixels take the index ``quantizer.n_colors_``."""
    pixels = _image_pixels(image)
    check_is_fitted(quantizer)
    pixels = quantizer._checked_pixels(pixels)
    if pixels.shape[1] == 4:
        _check_rgba(quantizer.color_space)
    if dither is None:
        labels = quantizer._pixel_labels(pixels).astype(np.intp)
    else:
        labels = _dithered_labels(image, pixels, quantizer, dither, dither_strength)
    if pixels.shape[1] == 4:
        # Fully transparent pixels take the transparent color past the palette.
        labels[pixels[:, 3] == 0] = quantizer.n_colors_
    return labels


def _palette_quantizer(quantizer):
    """``quantizer``; for a palette array, a quantizer of its colors in its order."""
    if quantizer is None or hasattr(quantizer, "fit"):
        return quantizer
    palette = np.asarray(quantizer)
    if palette.ndim == 2 and palette.dtype.kind in "biuf":
        return ColorQuantizer(codebook=palette).fit(palette)
    return quantizer


def fit_image_quantizer(image, n_colors, **params):
    """A :class:`ColorQuantizer` fitted on the visible pixels of ``image``."""
    return fit_pixels(ColorQuantizer(n_colors, **params), _image_pixels(image))


def fit_pixels(quantizer, pixels):
    """``quantizer`` fitted on the visible ones of ``pixels`` (one per row)."""
    if pixels.shape[1] == 4:
        _check_rgba(quantizer.color_space)
        pixels = visible_pixels(pixels)
        if not len(pixels):
            raise ValueError("Every pixel of the image is fully transparent.")
    return quantizer.fit(pixels)


def visible_pixels(pixels):
    """``pixels`` without the fully transparent ones of RGBA: their RGB means nothing,
    so they take no palette color."""
    return pixels[pixels[:, 3] > 0] if pixels.shape[1] == 4 else pixels


def image_palette(quantizer, dtype):
    """The quantizer's palette as data of ``dtype``; for RGBA, followed by the fully
    transparent color that transparent pixels take."""
    palette = from_unit(to_unit(quantizer.palette_, quantizer.palette_.dtype), dtype)
    if palette.shape[1] == 4:
        _check_rgba(quantizer.color_space)
        palette = np.concatenate([palette, np.zeros((1, 4), dtype=palette.dtype)])
    return palette


def _dithered_labels(image, pixels, quantizer, method, strength):
    # Image by image, in the working space.
    spatial = image.shape[:2] if image.ndim <= 3 else image.shape[1:3]
    if quantizer.color_space == "rgb" and pixels.dtype == np.uint8:
        # The working space of uint8 RGB is the data itself: no float copy.
        working = pixels
    else:
        working = to_working(pixels, pixels.dtype, quantizer.color_space)
    images = working.reshape(-1, *spatial, pixels.shape[1])
    centers = quantizer.cluster_centers_
    with _threads.limit(quantizer.n_threads):
        labels = dither_labels(images, centers, quantizer.color_space, method, strength)
    return labels.reshape(-1)


def _check_rgba(color_space):
    if color_space != "rgb":
        raise ValueError(
            "RGBA images are quantized with color_space='rgb' (alpha is a fourth "
            f"channel), got color_space={color_space!r}. Drop the alpha channel to "
            "use a perceptual space."
        )


def _image_pixels(image):
    image = np.asarray(image)
    if image.ndim == 2:
        return image.reshape(-1, 1)
    if image.ndim in (3, 4):
        return image.reshape(-1, image.shape[-1])
    raise ValueError(
        f"Expected an image of shape (H, W), (H, W, C) or a batch (N, H, W, C), got "
        f"an array of shape {image.shape}."
    )
