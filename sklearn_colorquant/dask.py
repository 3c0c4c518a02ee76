"""Fit and apply a ColorQuantizer on Dask arrays, where the data live.

Needs the ``dask`` extra: ``pip install "sklearn-colorquant[dask]"``.
"""

import asyncio
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

try:
    import dask
    import dask.array as da
except ImportError as error:  # pragma: no cover - the extra is installed in CI
    raise ImportError(
        "sklearn_colorquant.dask needs Dask. Install it with "
        'pip install "sklearn-colorquant[dask]".'
    ) from error

from . import _threads
from ._assign import palette_colors
from ._color_spaces import color_space_of
from ._distinct import distinct_colors, pack_uint8, summed_by_key, unpack_uint8
from ._encodings import ENCODINGS, index_dtype, label_counts, onehot_labels, shares
from ._palette import checked_pixels, fitted_palette
from ._quantizer import ColorQuantizer

__all__ = ["DaskColorQuantizer"]

# What distributed's waits raise when they time out: asyncio's TimeoutError,
# which is the builtin one from Python 3.11 only.
_TIMEOUTS = (TimeoutError, asyncio.TimeoutError)

# A fit whose pinned workers leave starts again, at most this many times.
_MAX_WORKER_LOSSES = 3
# How often a fit checks that the workers its tasks are pinned to are alive.
_WATCH_SECONDS = 0.5
# How long fetching the merged histogram may take before the fit checks again.
_FETCH_SECONDS = 10.0


class DaskColorQuantizer(MetaEstimatorMixin, TransformerMixin, BaseEstimator):
    """A ColorQuantizer for Dask arrays: fit without gathering pixels, map lazily.

    ``fit`` computes, on each chunk where it lives, the chunk's distinct colors and
    their pixel counts (its color histogram); the histograms are merged by
    summing counts, in a tree, and only the merged histogram reaches the client,
    which fits the wrapped :class:`~sklearn_colorquant.ColorQuantizer` on it with
    the counts as ``sample_weight``. That is the fit on all pixels, so the palette
    is the one that fitting on the whole array in memory gives, for the same
    ``random_state``. ``transform`` and ``inverse_transform`` are lazy
    (:func:`dask.array.map_blocks`), chunk by chunk, so any Dask sink
    (:func:`dask.array.to_zarr`, ...) can write the result.

    Parameters
    ----------
    estimator : ColorQuantizer, default=None
        The quantizer to fit; cloned. None means ``ColorQuantizer()``.

    split_every : int, default=8
        How many histograms one task merges: the fan-in of the merge tree.

    Attributes
    ----------
    estimator_ : ColorQuantizer
        The fitted clone, fitted on one color per row (the merged histogram).

    palette_ : ndarray of shape (n_palette_colors, n_channels)
        The palette, in the space, scale and dtype of the data.

    n_colors_ : int
        Number of palette colors.

    palette_frequencies_ : ndarray of shape (n_palette_colors,)
        Share of the fitted pixels that each palette color received.

    n_histogram_colors_ : int
        Distinct colors of the merged histogram, the rows that the fit saw.

    See Also
    --------
    sklearn_colorquant.ColorQuantizer : The in-memory estimator.
    sklearn_colorquant.quantize_images : Many in-memory images, with joblib.

    Notes
    -----
    Arrays of 3 or more dimensions are images with channels last: ``(N, H, W,
    C)`` or ``(H, W, C)``; ``transform`` gives indices of shape ``(N, H, W)``
    (or colors of the input's shape). 2-D arrays are rows as
    :class:`~sklearn_colorquant.ColorQuantizer` takes them: one pixel each, or
    flattened images when the estimator has ``n_channels``, and indices have
    one column per pixel. The channels (or a row) are put in one chunk if they
    are not already.

    What moves during ``fit`` is histograms: at most one entry per distinct
    color and, for uint8 data, never more than ``256 ** C`` (16.7 million for RGB,
    about 190 MB). Float or 16-bit data may have as many distinct colors as
    pixels: set the estimator's ``subsample`` and each chunk then contributes a
    share of the sample in proportion to its pixels, drawn with a seed made from
    ``random_state`` and the chunk's position, so the sample is reproducible for a
    given chunking (it is not the sample that the in-memory fit draws).

    :class:`dask_ml.wrappers.ParallelPostFit` maps ``transform`` over row chunks
    but reports the input's width as the output's, wrong for indices (one column
    per pixel); ``transform`` here gives the right ``chunks`` and ``dtype``.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_sample_image
    >>> from sklearn_colorquant import ColorQuantizer
    >>> from sklearn_colorquant.dask import DaskColorQuantizer
    >>> china = load_sample_image("china.jpg")
    >>> images = da.from_array(china[None], chunks=(1, 100, 640, 3))
    >>> quantizer = DaskColorQuantizer(ColorQuantizer(16, random_state=0))
    >>> quantizer = quantizer.fit(images)
    >>> in_memory = ColorQuantizer(16, random_state=0).fit(china.reshape(-1, 3))
    >>> bool((quantizer.palette_ == in_memory.palette_).all())
    True
    >>> indices = quantizer.transform(images)
    >>> indices.shape, indices.dtype, indices.chunks[1]
    ((1, 427, 640), dtype('uint8'), (100, 100, 100, 100, 27))
    """

    _parameter_constraints: dict = {
        "estimator": [ColorQuantizer, None],
        "split_every": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(self, estimator=None, *, split_every=8):
        self.estimator = estimator
        self.split_every = split_every

    def fit(self, X, y=None):
        """Fit the palette on every pixel of ``X`` without gathering them.

        Parameters
        ----------
        X : dask.array.Array
            Images of shape ``(N, H, W, C)`` or ``(H, W, C)``, or 2-D rows (see
            Notes). Other arrays are wrapped with :func:`dask.array.asarray`.
        y : None
            Ignored.

        Returns
        -------
        self : DaskColorQuantizer
            The fitted wrapper.

        Examples
        --------
        >>> import dask.array as da
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorQuantizer
        >>> from sklearn_colorquant.dask import DaskColorQuantizer
        >>> pixels = da.from_array(
        ...     np.array([[250, 0, 0], [240, 10, 0], [0, 0, 250]], dtype=np.uint8),
        ...     chunks=2)
        >>> DaskColorQuantizer(ColorQuantizer(2)).fit(pixels).n_colors_
        2
        """
        self._validate_params()
        estimator = ColorQuantizer() if self.estimator is None else self.estimator
        estimator = clone(estimator)
        X, channels = self._checked(X, estimator)
        colors, counts = self._computed_histogram(X, channels, estimator)
        self.estimator_ = estimator.fit(colors, sample_weight=counts)
        self.palette_ = self.estimator_.palette_
        self.n_colors_ = self.estimator_.n_colors_
        self.palette_frequencies_ = self.estimator_.palette_frequencies_
        self.n_histogram_colors_ = len(colors)
        return self

    def transform(self, X):
        """Map each pixel to its palette index (or color), lazily.

        Parameters
        ----------
        X : dask.array.Array
            Laid out as in ``fit``.

        Returns
        -------
        X_out : dask.array.Array
            Indices, one per pixel: shape ``(N, H, W)`` for images, ``(n_rows,
            pixels_per_row)`` for rows, in the smallest unsigned dtype that holds
            ``n_colors_``; with the estimator's ``encode="color"``, colors of
            ``X``'s shape and dtype. Chunked as ``X`` (but for the channels).
            With ``encode="histogram"``, shares of shape ``(N, n_colors_)`` for
            images (``(1, n_colors_)`` for one image), each image's counts
            summed over its chunks; for rows, what the estimator's ``transform``
            gives, ``encode="onehot"`` included (chunks of sparse matrices).

        Examples
        --------
        >>> import dask.array as da
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorQuantizer
        >>> from sklearn_colorquant.dask import DaskColorQuantizer
        >>> images = da.random.default_rng(0).integers(
        ...     0, 256, size=(10, 8, 8, 3), dtype=np.uint8, chunks=(5, 8, 8, 3))
        >>> quantizer = DaskColorQuantizer(ColorQuantizer(2)).fit(images)
        >>> quantizer.transform(images)
        dask.array<_encoded_pixels, shape=(10, 8, 8), dtype=uint8, chunksize=(5, 8, 8), chunktype=numpy.ndarray>
        """  # noqa: E501
        check_is_fitted(self)
        X, channels = self._checked(X, self.estimator_)
        # What the blocks need of the quantizer: its fitted palette.
        fitted = fitted_palette(self.estimator_)
        palette = dask.delayed(fitted, pure=True)
        encode = self.estimator_.encode
        if X.ndim == 2:
            # Rows are whole in every chunk: each chunk is encoded as transform
            # encodes rows, to the width and type an empty block shows.
            per_row = X.shape[1] // channels
            empty = fitted.encoded(
                np.zeros((0, per_row), dtype=np.intp), X.dtype, encode
            )
            return X.map_blocks(
                _encoded_rows,
                palette,
                channels,
                encode,
                chunks=(X.chunks[0], (empty.shape[1],)),
                dtype=empty.dtype,
                meta=empty,
            )
        if encode == "histogram":
            return self._image_histograms(X, channels, palette)
        if encode == "onehot":
            raise ValueError(
                "encode='onehot' makes one sparse row per row of pixels, and an "
                f"array of shape {X.shape} holds images. Pass rows, "
                "images.reshape(N, -1) with the estimator's n_channels set, or use "
                "encode='index' or 'histogram' for images."
            )
        if encode == "color":
            return X.map_blocks(
                _encoded_pixels,
                palette,
                channels,
                encode,
                (channels,),
                dtype=X.dtype,
                meta=X._meta,
            )
        return X.map_blocks(
            _encoded_pixels,
            palette,
            channels,
            encode,
            (),
            drop_axis=X.ndim - 1,
            dtype=index_dtype(self.n_colors_),
            # Given, not worked out by a call on empty blocks: the palette is a
            # Delayed argument, which such a call cannot use.
            meta=np.empty((0,) * (X.ndim - 1), dtype=index_dtype(self.n_colors_)),
        )

    def inverse_transform(self, X):
        """Turn palette indices back into colors, lazily.

        Parameters
        ----------
        X : dask.array.Array
            Indices as ``transform`` gives them (colors, with ``encode="color"``).

        Returns
        -------
        X_original : dask.array.Array
            Palette colors in the data's dtype: images of shape ``(..., C)``
            for index arrays of 3 dimensions or more, rows of
            ``pixels_per_row * C`` values for 2-D indices.

        Examples
        --------
        >>> import dask.array as da
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorQuantizer
        >>> from sklearn_colorquant.dask import DaskColorQuantizer
        >>> images = da.random.default_rng(0).integers(
        ...     0, 256, size=(10, 8, 8, 3), dtype=np.uint8, chunks=(5, 8, 8, 3))
        >>> quantizer = DaskColorQuantizer(ColorQuantizer(2)).fit(images)
        >>> quantizer.inverse_transform(quantizer.transform(images)).shape
        (10, 8, 8, 3)
        """
        check_is_fitted(self)
        encode = self.estimator_.encode
        if encode == "color":
            return self.transform(X)
        if encode == "histogram":
            # Raises: histograms keep no positions.
            ENCODINGS[encode].decode(X, fitted_palette(self.estimator_), None)
        X = da.asarray(X)
        palette = self.palette_
        channels = palette.shape[1]
        if encode == "onehot":
            per_row = X.shape[1] // self.n_colors_
            return X.map_blocks(
                _colors_of_onehot,
                palette,
                per_row,
                chunks=(X.chunks[0], (per_row * channels,)),
                dtype=palette.dtype,
                meta=np.empty((0, 0), dtype=palette.dtype),
            )
        if X.ndim == 2:
            X = X.rechunk({1: -1})
            chunks = (X.chunks[0], (X.shape[1] * channels,))
            return X.map_blocks(
                _colors_of_indices, palette, chunks=chunks, dtype=palette.dtype
            )
        return X.map_blocks(
            _colors_of_indices,
            palette,
            new_axis=X.ndim,
            chunks=(*X.chunks, (channels,)),
            dtype=palette.dtype,
        )

    def _image_histograms(self, X, channels, palette):
        """Shares of each palette color per image, ``(N, n_colors_)``: counts per
        chunk, summed over the chunks of an image, then divided by its pixels."""
        if X.ndim == 3:
            X = X[None]
        counts = X.map_blocks(
            _image_block_counts,
            palette,
            channels,
            self.n_colors_,
            chunks=(
                X.chunks[0],
                *[(1,) * len(chunks) for chunks in X.chunks[1:-1]],
                (self.n_colors_,),
            ),
            dtype=np.int64,
            meta=np.empty((0,) * X.ndim, dtype=np.int64),
        )
        counts = counts.sum(axis=tuple(range(1, X.ndim - 1)))
        return counts.map_blocks(shares, dtype=np.float64)

    def _checked(self, X, estimator):
        """``X`` as a Dask array with whole pixels in each chunk, and its channels."""
        X = da.asarray(X)
        if X.dtype.kind not in "biuf":
            raise ValueError(
                f"DaskColorQuantizer takes numeric data, got dtype {X.dtype}. "
                "Convert the array with X.astype(...)."
            )
        if X.ndim < 2:
            raise ValueError(
                f"DaskColorQuantizer takes images of shape (N, H, W, C) or "
                f"(H, W, C), or 2-D rows, got an array of shape {X.shape}."
            )
        if any(np.isnan(size) for size in X.shape):
            raise ValueError(
                "The array has chunks of unknown size; call X.compute_chunk_sizes() "
                "first."
            )
        if X.size == 0:
            raise ValueError(f"Found an empty array of shape {X.shape}: no pixels.")
        if X.ndim == 2:
            channels = estimator.n_channels or X.shape[1]
            if X.shape[1] % channels:
                raise ValueError(
                    f"X has {X.shape[1]} features per row, which is not a multiple "
                    f"of n_channels={channels}."
                )
        else:
            channels = X.shape[-1]
        return X.rechunk({X.ndim - 1: -1}), channels

    def _computed_histogram(self, X, channels, estimator):
        """The merged color histogram ``(colors, counts)`` of ``X``.

        Histograms of held chunks are pinned to the workers that hold them. A
        pinned task would wait for its worker forever if that worker died, so
        the fit watches them; if one leaves, it starts again, and the chunks
        the worker held are made again where Dask puts them.
        """
        for _ in range(_MAX_WORKER_LOSSES + 1):
            histogram, pinned_to = self._histogram(X, channels, estimator)
            if not pinned_to:
                return histogram.compute()
            from distributed import wait

            client = _client_of(X)
            future = client.compute(histogram)
            try:
                while True:
                    try:
                        # Waits without fetching, then fetches with a long
                        # timeout: a fetch cut short by a timeout starts over
                        # from the beginning, but a worker that dies holding the
                        # result must not leave the fetch waiting forever either.
                        wait(future, timeout=_WATCH_SECONDS)
                        return future.result(timeout=_FETCH_SECONDS)
                    except _TIMEOUTS:
                        if pinned_to <= set(client.scheduler_info()["workers"]):
                            continue
                        future.cancel()
                        break
            finally:
                # A wait that timed out leaves the future in a reference cycle
                # (its traceback's frames hold it): the workers would keep the
                # histogram until the garbage collector got to it, and a later
                # fit of the same data would find it there.
                future.release()
        raise RuntimeError(
            f"Workers holding the data left the cluster {_MAX_WORKER_LOSSES + 1} "
            "times during one fit; check the workers' logs (memory limits, "
            "crashes) and fit again."
        )

    def _histogram(self, X, channels, estimator):
        """The merged color histogram ``(colors, counts)`` of ``X``, as a Delayed,
        and the addresses of the workers its tasks are pinned to."""
        sizes = _sample_sizes(X, channels, estimator.subsample)
        seed = None
        if sizes is not None:
            seed = check_random_state(estimator.random_state).randint(2**31 - 1)
        histograms, pinned_to = _chunk_histograms(
            X, channels, estimator.color_space, sizes, seed
        )
        while len(histograms) > 1:
            histograms = [
                dask.delayed(_merged_histogram, pure=True)(
                    *histograms[start : start + self.split_every]
                )
                for start in range(0, len(histograms), self.split_every)
            ]
        merged = dask.delayed(_colors_and_counts, pure=True)(histograms[0], channels)
        return merged, pinned_to


def _chunk_histograms(X, channels, space, sizes, seed):
    """One Delayed histogram per chunk of ``X``, made where the chunk is."""
    blocks = X.to_delayed()
    holders = _holders(X)
    if not all(blocks[index].key in holders for index in np.ndindex(blocks.shape)):
        # Chunks still to be made: each histogram is made by the task that makes
        # its chunk (blockwise fusion), so the chunk never exists elsewhere.
        cells = X.map_blocks(
            _block_histogram_cell,
            channels,
            space,
            sizes,
            seed,
            chunks=(1,) * X.ndim,
            dtype=object,
            meta=np.empty((0,) * X.ndim, dtype=object),
        )
        return [
            dask.delayed(_only_item, pure=True)(cell)
            for cell in cells.to_delayed().ravel()
        ], set()
    # Chunks held by workers: each histogram is made by a worker that holds its
    # chunk and by no other, so that balancing the load never moves a chunk. (A
    # chunk held twice can still move, if the scheduler drops one copy while
    # the histogram is waiting on that worker.)
    # Listed worker by worker, so that the first merges find their inputs at hand.
    histograms = []
    indices = sorted(np.ndindex(blocks.shape), key=lambda i: holders[blocks[i].key])
    for index in indices:
        block = blocks[index]
        with dask.annotate(workers=holders[block.key], allow_other_workers=False):
            histograms.append(
                dask.delayed(_block_histogram, pure=True)(
                    block, channels, space, *_sample_of(sizes, seed, index)
                )
            )
    return histograms, {
        address for index in indices for address in holders[blocks[index].key]
    }


def _client_of(X):
    from distributed import futures_of

    return futures_of(X)[0].client


def _holders(X):
    """``{key: addresses of the workers holding it}`` for the chunks of a Dask
    cluster's memory that ``X`` uses (``{}`` for none)."""
    try:
        from distributed import futures_of
    except ImportError:
        return {}
    futures = futures_of(X)
    if not futures:
        return {}
    holders = futures[0].client.who_has(futures)
    return {key: list(addresses) for key, addresses in holders.items()}


def _sample_sizes(X, channels, subsample):
    """Pixels each chunk contributes to a sample of ``subsample`` pixels, in
    proportion to its own (largest remainders), or None for every pixel."""
    pixels = np.ones([len(chunks) for chunks in X.chunks], dtype=np.int64)
    for axis, chunks in enumerate(X.chunks):
        shape = [1] * X.ndim
        shape[axis] = len(chunks)
        pixels = pixels * np.reshape(chunks, shape)
    pixels //= channels
    total = int(pixels.sum())
    if subsample is None or total <= subsample:
        return None
    quotas = pixels * (subsample / total)
    sizes = np.floor(quotas).astype(np.int64)
    remainders = (quotas - sizes).ravel()
    extra = np.argsort(-remainders, kind="stable")[: subsample - sizes.sum()]
    sizes.ravel()[extra] += 1
    return sizes


def _sample_of(sizes, seed, index):
    """Sample size and seed of the chunk at ``index``; (None, None): all pixels."""
    if sizes is None:
        return None, None
    return int(sizes[index]), (seed, *index)


def _block_histogram(block, channels, space, sample_size, seed):
    """Histogram of one chunk: packed keys (uint8 pixels of up to 3 channels) or
    distinct colors, and their pixel counts."""
    pixels = checked_pixels(np.asarray(block).reshape(-1, channels))
    color_space_of(space).check_range(pixels)
    if sample_size is not None:
        rng = np.random.default_rng(seed)
        pixels = pixels[rng.choice(len(pixels), sample_size, replace=False)]
    if pixels.dtype == np.uint8 and channels <= 3:
        keys, counts = np.unique(pack_uint8(pixels), return_counts=True)
        return keys, counts.astype(np.int64)
    return distinct_colors(pixels)


def _block_histogram_cell(block, channels, space, sizes, seed, block_id=None):
    cell = np.empty((1,) * block.ndim, dtype=object)
    sample = _sample_of(sizes, seed, tuple(block_id))
    cell.flat[0] = _block_histogram(block, channels, space, *sample)
    return cell


def _only_item(cell):
    return cell.flat[0]


def _merged_histogram(*histograms):
    codes = np.concatenate([codes for codes, _ in histograms])
    counts = np.concatenate([counts for _, counts in histograms])
    if codes.ndim == 1:
        return summed_by_key(codes, counts)
    return distinct_colors(codes, weights=counts)


def _colors_and_counts(histogram, channels):
    codes, counts = histogram
    if codes.ndim == 1:
        return unpack_uint8(codes, channels), counts
    return codes, counts


def _block_labels(block, palette, channels):
    """Palette index of every pixel of a chunk, flat, each pixel checked.

    On one thread: Dask runs chunks side by side already, and a second level of
    threads under it would only contend for the same cores.
    """
    pixels = palette.check(block.reshape(-1, channels))
    with _threads.limit(1):
        return palette.labels(pixels)


def _encoded_rows(block, palette, channels, encode):
    labels = _block_labels(block, palette, channels).reshape(len(block), -1)
    return palette.encoded(labels, block.dtype, encode)


def _encoded_pixels(block, palette, channels, encode, per_pixel_shape):
    """A chunk of images as pixels encoded one by one (an index or a color)."""
    labels = _block_labels(block, palette, channels).reshape(-1, 1)
    return palette.encoded(labels, block.dtype, encode).reshape(
        *block.shape[:-1], *per_pixel_shape
    )


def _image_block_counts(block, palette, channels, n_colors):
    labels = _block_labels(block, palette, channels).reshape(len(block), -1)
    counts = label_counts(labels, n_colors)
    return counts.reshape(len(block), *[1] * (block.ndim - 2), n_colors)


def _colors_of_onehot(block, palette, per_row):
    labels = onehot_labels(block, per_row, len(palette))
    return palette_colors(palette, labels).reshape(len(labels), -1)


def _colors_of_indices(indices, palette):
    colors = palette_colors(palette, indices)
    if indices.ndim == 2:
        return colors.reshape(len(indices), -1)
    return colors
