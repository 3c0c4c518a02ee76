"""Many images at once: each with its own palette, or all with one; animations.

The public functions give ``ColorQuantizer`` objects; what the command line needs
of them (the shared sample, an animation's palettes and labels) works on
``FittedPalette`` objects and needs no scikit-learn.
"""

import numpy as np

from ._color_spaces import to_unit
from ._image import (
    _image_pixels,
    apply_palette,
    fit_image_palette,
    fit_pixels,
    image_labels,
    learn_visible_palette,
    quantize_image,
    visible_pixels,
)
from ._learn import check_random_state
from ._palette import checked_pixels, fitted_palette

# Pixels drawn from all images, in all, to fit a shared palette.
_SHARED_SAMPLE = 1_000_000


def quantize_images(
    images,
    n_colors=64,
    *,
    shared_palette=False,
    dither=None,
    dither_strength=1.0,
    n_jobs=None,
    verbose=0,
    random_state=None,
    **params,
):
    """Quantize many images, each with its own palette or all with one.

    Parameters
    ----------
    images : sequence of array-like, or array-like of shape (N, H, W, C)
        Images of any sizes, all with the same number of channels.
    n_colors : int, default=64
        Palette size.
    shared_palette : bool, default=False
        Fit one palette on pixels drawn from all the images (at most 1,000,000,
        spread evenly over them) and map every image to it, as for animation
        frames, a sprite sheet or a dataset. Otherwise each image gets its own.
    dither, dither_strength
        As for :func:`apply_palette`.
    n_jobs : int, default=None
        Images processed at once, in threads (the compiled loops release the
        GIL). None means 1, -1 all cores.
    verbose : int, default=0
        Progress messages from joblib on long runs.
    random_state : int, RandomState instance or None, default=None
        Seeds the shared sample and every palette.
    **params
        Other parameters of :class:`ColorQuantizer`.

    Returns
    -------
    quantized : list of ndarray
        The images made of palette colors, each of its input's shape and dtype.
    quantizers : ColorQuantizer or list of ColorQuantizer
        The shared quantizer, or one per image.

    Examples
    --------
    >>> from sklearn.datasets import load_sample_image
    >>> from sklearn_colorquant import quantize_images
    >>> names = ("china.jpg", "flower.jpg")
    >>> frames = [load_sample_image(name)[::8, ::8] for name in names]
    >>> quantized, quantizer = quantize_images(
    ...     frames, 8, shared_palette=True, random_state=0
    ... )
    >>> len(quantized), quantizer.n_colors_
    (2, 8)
    """
    from joblib import Parallel, delayed

    from ._quantizer import ColorQuantizer

    images = [np.asarray(image) for image in images]
    if not images:
        raise ValueError("No images to quantize.")
    random_state = check_random_state(random_state)
    parallel = Parallel(n_jobs=n_jobs, prefer="threads", verbose=verbose)
    options = {"dither": dither, "dither_strength": dither_strength}
    if shared_palette:
        quantizer = fit_shared_quantizer(
            images, ColorQuantizer(n_colors, random_state=random_state, **params)
        )
        quantized = parallel(
            delayed(apply_palette)(image, quantizer, **options) for image in images
        )
        return list(quantized), quantizer
    seeds = random_state.randint(np.iinfo(np.int32).max, size=len(images))
    results = parallel(
        delayed(quantize_image)(image, n_colors, random_state=seed, **options, **params)
        for image, seed in zip(images, seeds)
    )
    return [image for image, _ in results], [quantizer for _, quantizer in results]


def quantize_animation(
    frames,
    n_colors=64,
    *,
    quantizer=None,
    palette_per_frame=False,
    dither=None,
    dither_strength=1.0,
    random_state=None,
    **params,
):
    """Palette indices of every frame of an animation, without flicker.

    By default one palette serves every frame, fitted on pixels drawn evenly
    from all of them, and a pixel whose color does not change from one frame
    to the next keeps its index, with or without dithering: still areas neither
    flicker nor crawl. A palette per frame fits each frame on its own, as
    quantizing the frames one by one does.

    Parameters
    ----------
    frames : sequence of array-like, or array-like of shape (N, H, W[, C])
        The frames, all of one shape and dtype.
    n_colors : int, default=64
        Palette size.
    quantizer : ColorQuantizer, optional
        A fitted quantizer whose palette every frame takes, instead of one
        fitted on the frames.
    palette_per_frame : bool, default=False
        Fit a palette for each frame.
    dither, dither_strength
        As for :func:`apply_palette`.
    random_state : int, RandomState instance or None, default=None
        Seeds the sample and the palettes.
    **params
        Other parameters of :class:`ColorQuantizer`.

    Returns
    -------
    indices : list of ndarray of shape (H, W)
        Palette indices of each frame; in RGBA, fully transparent pixels take
        the index ``n_colors_`` of their frame's quantizer.
    quantizers : list of ColorQuantizer
        The quantizer of each frame: one object for all of them unless
        ``palette_per_frame``.

    See Also
    --------
    quantize_images : Many unrelated images.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_sample_image
    >>> from sklearn_colorquant import quantize_animation
    >>> background = load_sample_image("china.jpg")[:60, :80]
    >>> frames = np.stack([background] * 3)
    >>> frames[1, 10:20, 10:20] = 255  # something passes by
    >>> indices, quantizers = quantize_animation(
    ...     frames, 16, dither="floyd-steinberg", random_state=0)
    >>> still = np.ones((60, 80), bool)
    >>> still[10:20, 10:20] = False
    >>> bool((indices[0][still] == indices[2][still]).all())
    True
    """
    from ._quantizer import ColorQuantizer

    frames = _checked_frames(frames)
    if quantizer is not None:
        quantizers = [quantizer] * len(frames)
    elif palette_per_frame:
        seeds = _frame_seeds(random_state, len(frames))
        quantizers = [
            fit_pixels(ColorQuantizer(n_colors, random_state=seed, **params),
                       _image_pixels(frame))
            for frame, seed in zip(frames, seeds)
        ]  # fmt: skip
    else:
        shared = ColorQuantizer(n_colors, random_state=random_state, **params)
        quantizers = [fit_shared_quantizer(frames, shared)] * len(frames)
    # One quantizer, one FittedPalette object: still pixels keep their index.
    palettes = [fitted_palette(q) for q in quantizers]
    return animation_labels(frames, palettes, dither, dither_strength), quantizers


def animation_palettes(
    frames, n_colors, *, palette_per_frame=False, random_state=None, **options
):
    """The ``FittedPalette`` of each frame, as ``quantize_animation`` fits them:
    one object for all, fitted on pixels drawn evenly from every frame, or one
    a frame. ``options`` are those of ``learn_palette``."""
    frames = _checked_frames(frames)
    if palette_per_frame:
        seeds = _frame_seeds(random_state, len(frames))
        return [
            fit_image_palette(frame, n_colors, random_state=seed, **options)
            for frame, seed in zip(frames, seeds)
        ]
    shared = fit_shared_palette(frames, n_colors, random_state=random_state, **options)
    return [shared] * len(frames)


def animation_labels(frames, palettes, dither=None, dither_strength=1.0):
    """Palette indices of every frame, ``palettes[i]`` mapping frame ``i``: where
    two frames in a row share one palette, a pixel whose color does not change
    keeps its index, dithered or not."""
    indices = []
    for position, (frame, palette) in enumerate(zip(frames, palettes)):
        labels = image_labels(frame, palette, dither, dither_strength)
        if position and palette is palettes[position - 1]:
            # One palette: what did not change keeps its index.
            pixels, before = _image_pixels(frame), _image_pixels(frames[position - 1])
            still = np.all(pixels == before, axis=1)
            labels[still] = indices[-1].reshape(-1)[still]
        indices.append(labels.reshape(frame.shape[:2]))
    return indices


def _checked_frames(frames):
    frames = [np.asarray(frame) for frame in frames]
    if not frames:
        raise ValueError("No frames to quantize.")
    if len({(frame.shape, frame.dtype) for frame in frames}) > 1:
        raise ValueError(
            "The frames of an animation must share one shape and dtype, got "
            f"{sorted({(frame.shape, str(frame.dtype)) for frame in frames})}."
        )
    return frames


def _frame_seeds(random_state, n_frames):
    return check_random_state(random_state).randint(
        np.iinfo(np.int32).max, size=n_frames
    )


def fit_shared_quantizer(images, quantizer):
    """``quantizer`` fitted on pixels drawn evenly from all ``images``, with its
    own ``random_state``."""
    sample = shared_sample(images, check_random_state(quantizer.random_state))
    return fit_pixels(quantizer, sample)


def fit_shared_palette(
    images, n_colors, *, random_state=None, n_images=None, **options
):
    """The ``FittedPalette`` of ``fit_shared_quantizer``: learned from pixels drawn
    evenly from all ``images`` (an iterator of ``n_images`` of them, read one at
    a time, if given)."""
    sample = shared_sample(images, check_random_state(random_state), n_images)
    return learn_visible_palette(sample, n_colors, random_state=random_state, **options)


def shared_sample(images, random_state, n_images=None):
    """Pixels drawn evenly from every image, one per row; ``images`` may be an
    iterator of ``n_images`` images, read as they are drawn from."""
    n_images = len(images) if n_images is None else n_images
    per_image = max(1, _SHARED_SAMPLE // max(n_images, 1))
    drawn = []
    for position, image in enumerate(images):
        try:
            # Every pixel is checked, not only those drawn: a NaN anywhere is an
            # error, as it is for transform.
            pixels = checked_pixels(_image_pixels(image), name="The image")
        except ValueError as error:
            raise ValueError(f"Image {position}: {error}") from None
        pixels = visible_pixels(pixels)
        if len(pixels) > per_image:
            pixels = pixels[random_state.choice(len(pixels), per_image, replace=False)]
        drawn.append(pixels)
    if not drawn:
        raise ValueError("No image to fit a shared palette on.")
    channels = {pixels.shape[1] for pixels in drawn}
    if len(channels) > 1:
        raise ValueError(
            f"The images have different channel counts {sorted(channels)}; a shared "
            "palette needs one (convert them all to RGB or all to RGBA)."
        )
    if len({pixels.dtype for pixels in drawn}) > 1:
        # Each dtype has its own scale (uint8 0..255, uint16 0..65535, floats
        # [0, 1]): mixed images meet on the unit scale.
        drawn = [to_unit(pixels, pixels.dtype) for pixels in drawn]
    return np.concatenate(drawn)
