"""Image collections made offline from the photos that ship with scikit-learn."""

from functools import lru_cache

import numpy as np
from sklearn.datasets import load_sample_image

__all__ = ["collection_image", "make_image_collection"]

_SOURCES = ("china.jpg", "flower.jpg")
IMAGE_SHAPE = (427, 640, 3)


def make_image_collection(n_images=100, *, random_state=0, lazy=False):
    """A collection of photos of one size, made from scikit-learn's sample images.

    Image ``i`` is ``china.jpg`` (even ``i``) or ``flower.jpg`` (odd ``i``),
    flipped, shifted (wrapping around) and given its own exposure and color cast,
    so that every image has colors of its own. Nothing is downloaded.

    Parameters
    ----------
    n_images : int, default=100
        Number of images.
    random_state : int, default=0
        Seeds the variations; image ``i`` depends only on ``i`` and this seed.
    lazy : bool, default=False
        Return a Dask array of one image per chunk, each made by the task that
        holds it (so on a cluster, on a worker, never sent from the client).
        Needs Dask.

    Returns
    -------
    images : ndarray or dask.array.Array of shape (n_images, 427, 640, 3), uint8

    See Also
    --------
    collection_image : One image of the collection.

    Examples
    --------
    >>> from sklearn_colorquant.datasets import make_image_collection
    >>> images = make_image_collection(4)
    >>> images.shape, images.dtype
    ((4, 427, 640, 3), dtype('uint8'))
    >>> bool((images[0] != images[2]).any())
    True
    """
    if not lazy:
        return np.stack([collection_image(i, random_state) for i in range(n_images)])
    import dask.array as da

    indices = da.arange(n_images, chunks=1)
    return indices.map_blocks(
        _image_block,
        random_state,
        new_axis=[1, 2, 3],
        chunks=((1,) * n_images, *((size,) for size in IMAGE_SHAPE)),
        dtype=np.uint8,
        meta=np.empty((0, 0, 0, 0), dtype=np.uint8),
    )


def collection_image(index, random_state=0):
    """Image ``index`` of :func:`make_image_collection`, made on its own.

    Parameters
    ----------
    index : int
        Which image.
    random_state : int, default=0
        The collection's seed.

    Returns
    -------
    image : ndarray of shape (427, 640, 3), uint8

    Examples
    --------
    >>> from sklearn_colorquant.datasets import collection_image
    >>> collection_image(5).shape
    (427, 640, 3)
    """
    rng = np.random.default_rng([random_state, index])
    image = _source(_SOURCES[index % len(_SOURCES)])
    if rng.random() < 0.5:
        image = image[:, ::-1]
    if rng.random() < 0.5:
        image = image[::-1]
    shift = rng.integers(0, image.shape[:2])
    image = np.roll(image, tuple(shift), axis=(0, 1))
    gain = rng.uniform(0.8, 1.15)
    cast = rng.uniform(-12, 12, size=3)
    # One lookup table per channel: the exposure and color cast of every level.
    levels = np.arange(256, dtype=np.float64)[:, None] * gain + cast
    tables = np.clip(np.rint(levels), 0, 255).astype(np.uint8)
    return np.stack([tables[image[..., c], c] for c in range(3)], axis=-1)


@lru_cache(maxsize=len(_SOURCES))
def _source(name):
    image = load_sample_image(name)
    image.setflags(write=False)
    return image


def _image_block(indices, random_state):
    return np.stack([collection_image(int(i), random_state) for i in indices])
