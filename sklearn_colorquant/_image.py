"""Image-level helpers: quantize ``(H, W, C)`` images and ``(N, H, W, C)`` batches.

The public functions take and give ``ColorQuantizer`` objects; what they run
works on a ``FittedPalette`` and needs no scikit-learn, so that the command line
runs it directly.
"""

import numpy as np

from . import _threads
from ._assign import palette_colors
from ._color_spaces import color_space_of
from ._dither import dither_labels, dither_method
from ._encodings import index_dtype
from ._learn import learn_palette
from ._palette import fitted_palette


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
    dither : {"adaptive", "floyd-steinberg", "ordered"} or bool, default=None
        Dither when mapping pixels to the palette (see :func:`apply_palette`);
        True means ``"adaptive"``.
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
    from ._quantizer import ColorQuantizer

    image = np.asarray(image)
    quantizer = fit_pixels(ColorQuantizer(n_colors, **params), _image_pixels(image))
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
    dither : {"adaptive", "floyd-steinberg", "ordered"} or bool, default=None
        ``None`` (or False) maps each pixel to its nearest palette color.
        ``"adaptive"`` (or True), the one to use unless you have a reason, is
        error diffusion that keeps to what the eye needs: the error a pixel
        takes is at most twice the palette's typical spacing, so that no speck
        of a distant color appears; diffusion is turned down across edges and
        where the undithered image already changes color from pixel to pixel
        (texture hides banding), and kept up in smooth areas that would band.
        It keeps the plain PSNR close to the undithered one while raising the
        PSNR after a blur (``metrics.blurred_peak_signal_noise_ratio``).
        ``"floyd-steinberg"`` diffuses each pixel's whole error to its
        unvisited neighbors (7/16, 3/16, 5/16, 1/16, serpentine scan): the
        classic, grainier. Both work in the working color space.
        ``"ordered"`` adds an 8x8 Bayer pattern, scaled to the typical distance
        between palette colors, before mapping.
    dither_strength : float, default=1.0
        Between 0 (no dithering) and 1: the share of the error passed on
        (``"adaptive"`` at 1 is its own tuned level), or the scale of the
        pattern.
    return_indices : bool, default=False
        Return the palette index of each pixel, shape ``image.shape[:-1]``
        (``(H, W)`` for a grayscale image), instead of the colors, in the
        smallest unsigned dtype that holds them (uint8 up to 256 colors, as
        ``transform`` gives them). In an RGBA image, fully transparent pixels get
        the index ``quantizer.n_colors_``.

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
    _image_pixels(image)  # the shape, checked before the palette
    palette = fitted_palette(quantizer)
    n_threads = getattr(quantizer, "n_threads", None)
    labels = image_labels(image, palette, dither, dither_strength, n_threads)
    if return_indices:
        return labels.reshape(image.shape[:-1] if image.ndim > 2 else image.shape)
    return palette_colors(image_colors(palette, image.dtype), labels).reshape(
        image.shape
    )


def image_labels(image, palette, dither=None, dither_strength=1.0, n_threads=None):
    """Palette index of every pixel of ``image`` (any layout that
    :func:`apply_palette` takes), flat, every pixel checked first; in RGBA, fully
    transparent pixels take the index ``palette.n_colors``. In the smallest
    unsigned dtype that holds every index: a large image's labels cost a byte a
    pixel. At most ``n_threads`` threads."""
    dither = dither_method(dither)
    pixels = palette.check(_image_pixels(image), name="The image")
    if pixels.shape[1] == 4:
        palette.color_space.check_alpha()
    with _threads.limit(n_threads):
        if dither is None:
            labels = palette.labels(pixels)
        else:
            labels = _dithered_labels(image, pixels, palette, dither, dither_strength)
    transparent = pixels.shape[1] == 4
    labels = labels.astype(index_dtype(palette.n_colors + transparent), copy=False)
    if transparent:
        # Fully transparent pixels take the transparent color past the palette.
        labels[pixels[:, 3] == 0] = palette.n_colors
    return labels


def fit_image_palette(image, n_colors, **options):
    """A ``FittedPalette`` learned from the visible pixels of ``image``, with the
    options of :func:`~sklearn_colorquant._learn.learn_palette`."""
    return learn_visible_palette(_image_pixels(image), n_colors, **options)


def learn_visible_palette(pixels, n_colors, **options):
    """A ``FittedPalette`` learned from the visible ones of ``pixels`` (one per
    row), with the options of :func:`~sklearn_colorquant._learn.learn_palette`."""
    if pixels.shape[1] == 4:
        pixels = checked_visible_pixels(pixels, options.get("color_space", "rgb"))
    return learn_palette(pixels, n_colors, **options).palette


def fit_pixels(quantizer, pixels):
    """``quantizer`` (a ColorQuantizer) fitted on the visible ones of ``pixels``
    (one per row)."""
    if pixels.shape[1] == 4:
        pixels = checked_visible_pixels(pixels, quantizer.color_space)
    return quantizer.fit(pixels)


def checked_visible_pixels(pixels, space):
    color_space_of(space).check_alpha()
    pixels = visible_pixels(pixels)
    if not len(pixels):
        raise ValueError("Every pixel of the image is fully transparent.")
    return pixels


def visible_pixels(pixels):
    """``pixels`` without the fully transparent ones of RGBA: their RGB means nothing,
    so they take no palette color."""
    return pixels[pixels[:, 3] > 0] if pixels.shape[1] == 4 else pixels


def image_colors(palette, dtype):
    """The palette's colors as data of ``dtype``; for RGBA, followed by the fully
    transparent color that transparent pixels take."""
    colors = palette.colors_as(dtype)
    if colors.shape[1] == 4:
        palette.color_space.check_alpha()
        colors = np.concatenate([colors, np.zeros((1, 4), dtype=colors.dtype)])
    return colors


def _dithered_labels(image, pixels, palette, method, strength):
    # Image by image, in the working space.
    spatial = image.shape[:2] if image.ndim <= 3 else image.shape[1:3]
    if strength == 0:
        # Nothing diffused: the undithered colors, also where the diffusion runs
        # in another space than the palette's.
        return palette.labels(pixels).reshape(-1)
    grid = palette.dither_grid()
    space = grid.color_space
    if space.data_as_working and pixels.dtype == np.uint8:
        # The working space of uint8 data is the data itself: no float copy.
        working = pixels
    else:
        working = space.to_working(pixels, pixels.dtype)
    images = working.reshape(-1, *spatial, working.shape[1])
    # The adaptive method reads the undithered labels: the one fast path gives them.
    plain = (
        palette.labels(pixels).reshape(images.shape[:-1])
        if method == "adaptive"
        else None
    )
    return dither_labels(images, grid, method, strength, plain).reshape(-1)


def _image_pixels(image):
    image = np.asarray(image)
    if image.ndim == 2:
        return image.reshape(-1, 1)
    if image.ndim in (3, 4):
        if image.shape[-1] == 0:
            raise ValueError(
                f"The image has no channels (shape {image.shape}): its last axis "
                "holds the channels, 1 (gray), 3 (RGB) or 4 (RGBA)."
            )
        return image.reshape(-1, image.shape[-1])
    raise ValueError(
        f"Expected an image of shape (H, W), (H, W, C) or a batch (N, H, W, C), got "
        f"an array of shape {image.shape}."
    )
