"""The ColorQuantizer estimator."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from . import _threads
from ._assign import PaletteIndex, build_grid, nearest_center
from ._codebooks import CODEBOOK_NAMES, learn_centers
from ._color_spaces import (
    COLOR_SPACES,
    check_color_range,
    check_palette_scale,
    from_unit,
    from_working,
    to_unit,
    to_working,
)
from ._distinct import distinct_colors
from ._encodings import ENCODINGS
from ._kmeans import smallest_kmeans
from ._targets import QualityTarget

# Sorting the palette by use moves pixels equally near two colors to the lower
# index; the first sort settles it in practice, a few more allow for such ties.
_MAX_REORDERS = 3
# Below this, a difference of coordinates may square to 0 (float64 underflow).
_TINY = 1e-140


class ColorQuantizer(TransformerMixin, BaseEstimator):
    """Learn a palette of colors and map each pixel to its nearest palette color.

    Every row of ``X`` is one color (a pixel) by default; with ``n_channels`` set,
    every row is a flattened image in channel-last order, so that a batch of
    images ``images.reshape(n_images, -1)`` can go through a
    :class:`~sklearn.pipeline.Pipeline`.
    ``fit`` learns one palette from all pixels of all rows, ``transform`` gives each
    pixel the index of its nearest palette color (or that color, with
    ``encode="color"``) and ``inverse_transform`` turns indices back into colors.

    Parameters
    ----------
    n_colors : int or "auto", default=64
        Size of the palette to learn. Ignored when ``codebook`` is a fixed palette.
        ``"auto"`` picks about the smallest size, up to ``max_colors``, whose
        palette meets the targets ``min_psnr`` and ``max_delta_e`` on the fitted
        data (with ``codebook="kmeans"``; see Notes).

    codebook : {"kmeans", "minibatch", "random"}, clusterer or array-like, \
            default="kmeans"
        How the palette is made:

        - ``"kmeans"``: k-means as :class:`~sklearn.cluster.KMeans` does it
          (k-means++ seeding, Lloyd's iterations), on the distinct colors
          weighted by their pixel counts, coarse to fine (see Notes);
        - ``"minibatch"``: the centers of :class:`~sklearn.cluster.MiniBatchKMeans`;
        - ``"random"``: colors of pixels drawn at random, the baseline;
        - a clusterer instance that exposes ``cluster_centers_`` after ``fit``
          (for example :class:`~sklearn.cluster.BisectingKMeans`): it is cloned,
          its ``n_clusters`` set to ``n_colors`` and, if it is None, its
          ``random_state`` set from ``random_state``; it sees the working color
          space, and an array ``init`` is read in the data's scale, as a fixed
          palette is (so ``KMeans(init=palette, n_init=1)`` refines a palette);
        - an array-like of shape ``(k, n_channels)``: a fixed palette in the scale
          of the data (0..255 for uint8 data), used as it is.

    fixed_colors : array-like of shape (n_reserved, n_channels), default=None
        Colors reserved in the palette, in the scale and dtype of the data as a
        fixed palette is (a brand color, pure white, a transparency key). The
        palette holds them exactly, first and in the given order, plus
        ``n_colors - n_reserved`` learned colors: k-means learns the others
        with the reserved ones held in place as centers, so that pixels near a
        reserved color go to it. Other clusterers learn the others, which
        Lloyd's iterations then refine around the reserved ones; random colors
        are drawn beside them.

    color_space : {"rgb", "lab", "luv", "ycbcr"}, default="rgb"
        Space in which colors are clustered and matched. ``"rgb"`` uses the data
        as they are and works for any number of channels; ``"lab"`` (CIELAB, D65),
        ``"luv"`` and ``"ycbcr"`` need 3-channel RGB data and convert it with
        :mod:`skimage.color`. ``palette_`` is always in the data's own space.

    n_channels : int, default=None
        Channels per pixel when every row of ``X`` is a flattened image (or any
        group of pixels) in channel-last order; ``n_features`` must be a multiple
        of it. None means that each row is one pixel and all its features are
        its channels.

    encode : {"index", "color", "histogram", "onehot"}, default="index"
        What ``transform`` returns:

        - ``"index"``: the palette index of each pixel;
        - ``"color"``: its palette color, in the layout, scale and dtype of the
          input;
        - ``"histogram"``: for each row, the share of its pixels that each
          palette color takes, shape ``(n_samples, n_colors_)``, rows summing to
          1: with ``n_channels`` set, bag-of-colors features of each image;
        - ``"onehot"``: a sparse one-hot matrix, ``n_colors_`` columns per pixel,
          as :class:`~sklearn.preprocessing.KBinsDiscretizer` encodes bins.

    subsample : int, default=None
        Largest number of pixels used to fit; more pixels are subsampled at
        random. None uses every pixel.

    max_colors : int, default=256
        Largest palette that ``n_colors="auto"`` may choose.

    min_psnr : float, default=None
        With ``n_colors="auto"``: the palette must give at least this PSNR (dB)
        on the fitted data, computed on its own values (RGB for color images).

    max_delta_e : float, default=None
        With ``n_colors="auto"``: the palette must give at most this mean
        CIEDE2000 color difference on the fitted data (RGB data only). About 1
        is just noticeable; 2 to 3 shows at a close look.

    random_state : int, RandomState instance or None, default=None
        Seeds the subsample, the random codebook, the clusterer and the sample
        that checks the targets. Pass an int for reproducible results.

    n_threads : int, default=None
        Most threads that ``fit`` and ``transform`` use. None uses the cores that
        no other process is busy on, within the caller's limits
        (:func:`threadpoolctl.threadpool_limits`, ``OMP_NUM_THREADS``), and one
        thread inside joblib worker threads and Dask workers. Results are the
        same for any number of threads.

    Attributes
    ----------
    palette_ : ndarray of shape (n_palette_colors, n_channels)
        The palette, in the space, scale and dtype of the data seen in ``fit``.
        A learned palette comes most-used color first (ties by color value), so
        that index 0 is the commonest color and indices mean the same from one
        refit to the next, after the reserved ``fixed_colors``, which come
        first as given; a fixed palette keeps the order it was given in.

    cluster_centers_ : ndarray of shape (n_palette_colors, n_channels)
        The palette in the working color space, where nearest colors are found:
        float64, for ``"rgb"`` on the uint8 scale 0..255 (the palette itself for
        uint8 data), for the perceptual spaces their own coordinates.

    n_colors_ : int
        Number of palette colors: fewer than ``n_colors`` when the data has
        fewer distinct colors.

    palette_frequencies_ : ndarray of shape (n_palette_colors,)
        Share of the fitted pixels that each palette color received; sums to 1.
        Non-increasing for a learned palette.

    inertia_ : float
        Sum of squared distances of the fitted pixels to their palette color, in
        the working space (as ``cluster_centers_``), weighted by
        ``sample_weight``: :class:`~sklearn.cluster.KMeans`' ``inertia_``.

    n_iter_ : int
        Lloyd iterations run to learn the palette: with ``codebook="kmeans"``,
        on the coarse level and on every distinct color together (over the
        whole size search with ``n_colors="auto"``); a clusterer's own
        ``n_iter_``; 0 for random colors and a fixed palette.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    quantize_image : Quantize an image array in one call.
    sklearn.preprocessing.KBinsDiscretizer : Bins each feature on its own.
    sklearn.cluster.KMeans : The clusterer behind the default codebook.

    Notes
    -----
    The k-means objective over all pixels equals the objective over the distinct
    colors weighted by their pixel counts, so the fit works on distinct colors.
    With ``codebook="kmeans"``, k-means++ (the best of 5 runs up to 64 colors)
    and Lloyd's iterations first run to convergence on the weighted means of
    the cells of a 32-per-axis grid over the colors (a 5-bit histogram for
    uint8 RGB), or of a 64-per-axis grid, or on the colors themselves, where
    the coarser cells hide more error than the palette makes; then they refine
    on every distinct color until converged, for at most
    ``max(10, 6400 // n_colors)`` iterations. The palette's PSNR is
    within a tenth of a decibel of :class:`~sklearn.cluster.KMeans` on all
    pixels, in a small fraction of its time. Nearest colors are exact (ties
    go to the lowest index). For uint8 data of up to 3 channels, ``transform``
    never searches over distinct colors: in ``"rgb"`` with at most 256 colors,
    each cell of 8 levels per channel of the uint8 cube lists the palette colors
    that can be nearest to it (made in ``fit`` for the cells of its colors, for
    the others when first met); otherwise a table keeps the index
    of every color met, so the quantizer gets faster as it meets colors again.
    Integer data are on the 0..255 scale (0..65535 for uint16) and floats on
    ``[0, 1]``, as in scikit-image; the perceptual spaces reject values outside
    that range.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_colorquant import ColorQuantizer
    >>> pixels = np.array([[250, 10, 10], [240, 0, 0], [0, 0, 250], [10, 10, 240]],
    ...                   dtype=np.uint8)
    >>> quantizer = ColorQuantizer(n_colors=2, random_state=0).fit(pixels)
    >>> quantizer.palette_[np.argsort(quantizer.palette_[:, 0])]
    array([[  5,   5, 245],
           [245,   5,   5]], dtype=uint8)
    >>> indices = quantizer.transform(pixels)
    >>> indices.shape, indices.dtype
    ((4, 1), dtype('uint8'))
    >>> colors = quantizer.inverse_transform(indices)
    >>> bool((colors == quantizer.palette_[indices[:, 0]]).all())
    True
    """

    _parameter_constraints: dict = {
        "n_colors": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "codebook": [
            StrOptions(set(CODEBOOK_NAMES)),
            HasMethods(["fit"]),
            "array-like",
        ],
        "fixed_colors": ["array-like", None],
        "color_space": [StrOptions(set(COLOR_SPACES))],
        "n_channels": [Interval(Integral, 1, None, closed="left"), None],
        "encode": [StrOptions(set(ENCODINGS))],
        "subsample": [Interval(Integral, 1, None, closed="left"), None],
        "max_colors": [Interval(Integral, 1, None, closed="left")],
        "min_psnr": [Interval(Real, 0, None, closed="neither"), None],
        "max_delta_e": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        n_colors=64,
        *,
        codebook="kmeans",
        fixed_colors=None,
        color_space="rgb",
        n_channels=None,
        encode="index",
        subsample=None,
        max_colors=256,
        min_psnr=None,
        max_delta_e=None,
        random_state=None,
        n_threads=None,
    ):
        self.n_colors = n_colors
        self.codebook = codebook
        self.fixed_colors = fixed_colors
        self.color_space = color_space
        self.n_channels = n_channels
        self.encode = encode
        self.subsample = subsample
        self.max_colors = max_colors
        self.min_psnr = min_psnr
        self.max_delta_e = max_delta_e
        self.random_state = random_state
        self.n_threads = n_threads

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn the palette from all pixels of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Pixels, one per row, or flattened images when ``n_channels`` is set.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row (of each of its pixels). A color with weight ``w``
            counts as ``w`` pixels of that color, so fitting on the distinct colors
            of an image weighted by their pixel counts (a color histogram) gives
            the palette of fitting on all its pixels. Rows of weight 0 are left
            out. None gives every row weight 1.

        Returns
        -------
        self : ColorQuantizer
            The fitted quantizer.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorQuantizer
        >>> pixels = np.array([[250, 0, 0], [240, 10, 0], [0, 0, 250]], dtype=np.uint8)
        >>> ColorQuantizer(n_colors=2, random_state=0).fit(pixels).n_colors_
        2

        A color histogram gives the palette of the pixels it counts:

        >>> colors, counts = np.unique(pixels, axis=0, return_counts=True)
        >>> from_histogram = ColorQuantizer(n_colors=2, random_state=0).fit(
        ...     colors, sample_weight=counts)
        >>> from_pixels = ColorQuantizer(n_colors=2, random_state=0).fit(pixels)
        >>> bool((from_histogram.palette_ == from_pixels.palette_).all())
        True
        """
        _reject_image_arrays(X)
        X = validate_data(self, X, dtype="numeric")
        weights = self._pixel_weights(sample_weight, X)
        with _threads.limit(self.n_threads):
            return self._fit(X, weights)

    def _fit(self, X, weights):
        pixels = self._pixels(X)
        random_state = check_random_state(self.random_state)
        if self.subsample is not None and len(pixels) > self.subsample:
            chosen = random_state.choice(len(pixels), self.subsample, replace=False)
            pixels = pixels[chosen]
            weights = None if weights is None else weights[chosen]
        colors, counts = distinct_colors(pixels, weights=weights)
        if weights is not None:
            colors, counts = colors[counts > 0], counts[counts > 0]
        working_colors = to_working(colors, X.dtype, self.color_space)
        # One grid over the colors, for the codebook and the search below.
        grid = build_grid(working_colors)

        self._check_targets(pixels.shape[1])
        fixed = _is_fixed_palette(self.codebook)
        reserved = self._check_fixed_colors(X.dtype, pixels.shape[1])
        if fixed:
            palette, n_iter = self._check_fixed_palette(X.dtype, pixels.shape[1]), 0
        else:
            reserved_working = to_working(reserved, X.dtype, self.color_space)
            if self.n_colors == "auto":
                centers, n_iter = self._centers_meeting_targets(
                    colors, counts, working_colors, random_state, reserved_working
                )
            else:
                centers, n_iter = self._learned_centers(
                    counts,
                    working_colors,
                    random_state,
                    X.dtype,
                    reserved_working,
                    grid,
                )
            palette = from_unit(from_working(centers, self.color_space), X.dtype)
            # Reserved colors are kept as given, not as their round trip through
            # the working space, and first, so that learned copies of them go.
            palette = np.concatenate([reserved, palette[len(reserved) :]])
            palette = self._distinguishable(_unique_rows(palette), X.dtype)

        # The centers are the palette as stored, so that a pixel equal to a
        # palette color maps to that color exactly.
        centers = to_working(palette, X.dtype, self.color_space)
        labels, distances, tied = nearest_center(
            working_colors, centers, grid, ties=True
        )
        for reorders in range(_MAX_REORDERS + 1):
            usage = np.bincount(labels, weights=counts, minlength=len(palette))
            order = _most_used_first(palette, usage, len(reserved))
            if (
                fixed
                or reorders == _MAX_REORDERS
                or np.array_equal(order, np.arange(len(palette)))
            ):
                break
            palette = palette[order]
            centers = to_working(palette, X.dtype, self.color_space)
            # Colors keep their palette color under its new index, except those
            # as near another one: searched again, so that ties still go to the
            # lowest index, as in every lookup.
            labels = np.argsort(order)[labels]
            if tied.any():
                # On a grid even when few: the kernel that searches every color.
                again = working_colors[tied]
                labels[tied] = nearest_center(again, centers, build_grid(again))[0]

        self.palette_ = palette
        self.cluster_centers_ = centers
        self.n_colors_ = len(palette)
        self._palette_index = PaletteIndex(centers, self.color_space)
        self._palette_index.prepare(colors, labels)
        self.palette_frequencies_ = usage / usage.sum()
        # A plain weighted sum, not np.dot: BLAS threads left spinning would slow
        # the compiled loops of the next call (see _color_spaces).
        self.inertia_ = float(np.sum(counts * distances))
        self.n_iter_ = int(n_iter)
        return self

    def transform(self, X):
        """Map each pixel to its nearest palette color.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Pixels or flattened images, laid out as in ``fit``.

        Returns
        -------
        X_out : ndarray or sparse matrix
            With ``encode="index"``, palette indices of shape
            ``(n_samples, n_features // n_channels)`` in the smallest unsigned
            integer dtype that holds ``n_colors_``; with ``encode="color"``, the
            palette colors in the shape, scale and dtype of ``X``; with
            ``encode="histogram"``, float64 shares of shape
            ``(n_samples, n_colors_)``; with ``encode="onehot"``, a sparse CSR
            matrix of shape ``(n_samples, n_features // n_channels * n_colors_)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorQuantizer
        >>> pixels = np.array([[250, 0, 0], [240, 10, 0], [0, 0, 250]], dtype=np.uint8)
        >>> quantizer = ColorQuantizer(n_colors=2, random_state=0).fit(pixels)
        >>> quantizer.transform(pixels)[:, 0]  # the reds, most used, are color 0
        array([0, 0, 1], dtype=uint8)

        Bag-of-colors features: each row a flattened image, each output column
        the share of a palette color in it.

        >>> images = np.array([[[250, 0, 0], [240, 10, 0], [0, 0, 250]],
        ...                    [[0, 0, 250], [0, 0, 240], [250, 0, 0]],
        ...                    [[250, 0, 0], [250, 0, 0], [250, 0, 0]]], dtype=np.uint8)
        >>> rows = images.reshape(3, -1)  # three images of 3 pixels
        >>> bag = ColorQuantizer(2, n_channels=3, encode="histogram", random_state=0)
        >>> bag.fit_transform(rows).round(2)
        array([[0.67, 0.33],
               [0.33, 0.67],
               [1.  , 0.  ]])
        >>> bag.get_feature_names_out()
        array(['colorquantizer_#f80200', 'colorquantizer_#0000f7'], dtype=object)
        """
        check_is_fitted(self)
        X = self._validated(X)
        return self._encoded(self._labels(X), X.dtype)

    def inverse_transform(self, X):
        """Turn palette indices back into colors.

        Parameters
        ----------
        X : array-like or sparse matrix
            What ``transform`` returned: palette indices of shape ``(n_samples,
            n_features // n_channels)``, colors with ``encode="color"``, one-hot
            rows with ``encode="onehot"``. Histograms (``encode="histogram"``)
            keep no pixel positions and raise a ValueError.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Palette colors in the layout, scale and dtype of the data seen in
            ``fit``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorQuantizer
        >>> pixels = np.array([[250, 0, 0], [240, 10, 0], [0, 0, 250]], dtype=np.uint8)
        >>> quantizer = ColorQuantizer(n_colors=2, random_state=0).fit(pixels)
        >>> quantizer.inverse_transform(quantizer.transform(pixels))[2]
        array([  0,   0, 250], dtype=uint8)
        """
        check_is_fitted(self)
        labels = ENCODINGS[self.encode].decode(self, X)
        return ENCODINGS["color"].encode(labels, self.palette_)

    def score(self, X, y=None):
        """Negative mean squared quantization error, in the working color space.

        Greater is better, as for :meth:`sklearn.cluster.KMeans.score`, but a mean
        over pixels rather than a sum, so that scores of different data compare.
        A larger palette always scores better: to choose ``n_colors`` with
        :class:`~sklearn.model_selection.GridSearchCV`, use a scorer of
        :mod:`sklearn_colorquant.metrics` that charges for the palette's size.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Pixels or flattened images, laid out as in ``fit``.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Minus the mean, over pixels, of the squared distance to the nearest
            palette color (working space: for ``"rgb"``, the 0..255 scale).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorQuantizer
        >>> pixels = np.array([[250, 0, 0], [240, 10, 0], [0, 0, 250]], dtype=np.uint8)
        >>> quantizer = ColorQuantizer(n_colors=2, random_state=0).fit(pixels)
        >>> float(quantizer.score(pixels))  # the two reds meet at (245, 5, 0)
        -33.333333333333336
        """
        check_is_fitted(self)
        _reject_image_arrays(X)
        X = validate_data(self, X, dtype="numeric", reset=False)
        colors, counts = distinct_colors(self._pixels(X))
        working = to_working(colors, X.dtype, self.color_space)
        with _threads.limit(self.n_threads):
            _, distances = nearest_center(working, self.cluster_centers_)
        return -float(np.average(distances, weights=counts))

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names, checked against those seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The input names with ``encode="color"``; with ``encode="index"``,
            one name per pixel of a row, ``colorquantizer0``,
            ``colorquantizer1``, ...; with ``encode="histogram"``, one per
            palette color, named by its hex code at 8 bits per channel,
            ``colorquantizer_#ff8000``; with ``encode="onehot"``, one per pixel
            and color, ``colorquantizer0_#ff8000``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorQuantizer
        >>> pixels = np.array([[250, 0, 0], [240, 10, 0], [0, 0, 250]], dtype=np.uint8)
        >>> ColorQuantizer(2, random_state=0).fit(pixels).get_feature_names_out()
        array(['colorquantizer0'], dtype=object)
        """
        check_is_fitted(self)
        return ENCODINGS[self.encode].feature_names(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        encoding = ENCODINGS.get(self.encode, ENCODINGS["index"])
        tags.transformer_tags.preserves_dtype = list(encoding.preserves_dtype)
        # The perceptual spaces read RGB values, which cannot be negative.
        tags.input_tags.positive_only = self.color_space != "rgb"
        return tags

    def _channels(self):
        return self.n_features_in_ if self.n_channels is None else self.n_channels

    def _pixels_per_row(self):
        return self.n_features_in_ // self._channels()

    def _pixels(self, X):
        """The pixels of ``X``, one per row, checked for the color space."""
        channels = self._channels()
        if X.shape[1] % channels:
            raise ValueError(
                f"X has {X.shape[1]} features per row, which is not a multiple of "
                f"n_channels={channels}. With n_channels set, each row must be a "
                "flattened image in channel-last order, as "
                "images.reshape(n_images, -1) gives; use n_channels=None when each "
                "row is one color."
            )
        pixels = X.reshape(-1, channels)
        check_color_range(pixels, self.color_space)
        return pixels

    def _pixel_weights(self, sample_weight, X):
        """Weight of each pixel of ``X`` (its row's), or None for no weights."""
        if sample_weight is None:
            return None
        weights = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not np.any(weights):
            # Checked here too: scikit-learn before 1.7 lets all-zero weights by.
            raise ValueError(
                "sample_weight must contain at least one non-zero number: with all "
                "weights 0 there is no pixel to learn a palette from."
            )
        return np.repeat(weights, self._pixels_per_row())

    def _validated(self, X):
        """``X`` checked as ``transform`` takes it, against what ``fit`` saw."""
        _reject_image_arrays(X)
        return validate_data(self, X, dtype="numeric", reset=False)

    def _labels(self, X):
        """Palette index of each pixel of validated rows ``X``, shape (n_samples,
        pixels_per_row)."""
        return self._pixel_labels(self._pixels(X)).reshape(len(X), -1)

    def _checked_pixels(self, pixels):
        """``pixels``, one per row, checked whole: numeric, finite, with the
        palette's channels and in the color space's range."""
        pixels = check_array(pixels, dtype="numeric", input_name="X")
        channels = self.palette_.shape[1]
        if pixels.shape[1] != channels:
            raise ValueError(
                f"The pixels have {pixels.shape[1]} channel(s) but the palette has "
                f"{channels}; pass images with {channels} channel(s)."
            )
        check_color_range(pixels, self.color_space)
        return pixels

    def _pixel_labels(self, pixels):
        """Palette index of each of ``pixels`` (checked, one per row): the one
        path from pixels to labels, for ``transform``, the image helpers and the
        Dask blocks."""
        with _threads.limit(self.n_threads):
            return self._palette_index.labels(pixels)

    def _encoded(self, labels, dtype):
        """Labels of shape (n_samples, pixels_per_row) as ``encode`` asks, colors
        in ``dtype``: the one place that shapes ``transform``'s output."""
        palette = from_unit(self._unit_palette(), dtype)
        return ENCODINGS[self.encode].encode(labels, palette)

    def _unit_palette(self):
        return to_unit(self.palette_, self.palette_.dtype)

    def _learned_centers(
        self, counts, working_colors, random_state, dtype, reserved, grid
    ):
        """Centers of ``n_colors`` colors learned by the codebook (working space),
        the ``reserved`` ones first."""
        n_distinct = len(working_colors)
        if len(reserved) == self.n_colors:
            return reserved, 0
        if n_distinct > self.n_colors:
            return learn_centers(
                self.codebook,
                working_colors,
                counts,
                self.n_colors,
                random_state,
                lambda init: to_working(init, dtype, self.color_space),
                fixed=reserved if len(reserved) else None,
                grid=grid,
            )
        if n_distinct < self.n_colors:
            warnings.warn(
                f"The data has {n_distinct} distinct colors, fewer than "
                f"n_colors={self.n_colors}; the palette holds those {n_distinct} "
                "colors.",
                UserWarning,
            )
        return np.concatenate([reserved, working_colors]), 0

    def _distinguishable(self, palette, dtype):
        """``palette`` without the colors that a squared distance cannot tell from
        an earlier one (it underflows to 0 between subnormal values), with the
        fewer-colors warning: otherwise both would claim the same pixels."""
        centers = to_working(palette, dtype, self.color_space)
        kept = _told_apart(centers)
        if kept.all():
            return palette
        warnings.warn(
            f"{len(palette) - kept.sum()} palette color(s) differ from another by "
            "so little (subnormal values) that no squared distance tells them "
            f"apart; the palette holds the {kept.sum()} others.",
            UserWarning,
        )
        return palette[kept]

    def _centers_meeting_targets(
        self, colors, counts, working_colors, random_state, reserved
    ):
        """Centers of about the smallest palette that meets the targets, the
        ``reserved`` ones first."""
        if len(colors) <= 2:
            return np.concatenate([reserved, working_colors]), 0
        target = QualityTarget(
            colors,
            counts,
            self.color_space,
            self.min_psnr,
            self.max_delta_e,
            random_state,
        )
        centers, met, n_iter = smallest_kmeans(
            working_colors,
            counts,
            target,
            min(self.max_colors, len(colors) - 1),
            random_state,
            fixed=reserved,
        )
        if not met:
            warnings.warn(
                f"No palette of up to max_colors={self.max_colors} colors meets "
                f"min_psnr={self.min_psnr} and max_delta_e={self.max_delta_e}; "
                "the palette holds the largest size tried. Raise max_colors "
                "or relax the target.",
                UserWarning,
            )
        return centers, n_iter

    def _check_targets(self, n_channels):
        has_target = self.min_psnr is not None or self.max_delta_e is not None
        if self.n_colors != "auto":
            if has_target:
                raise ValueError(
                    "min_psnr and max_delta_e choose the palette size: set "
                    "n_colors='auto' to use them."
                )
            return
        if not has_target:
            raise ValueError(
                "n_colors='auto' needs a quality target: set min_psnr (dB) or "
                "max_delta_e (mean CIEDE2000), or give n_colors as an integer."
            )
        if not (isinstance(self.codebook, str) and self.codebook == "kmeans"):
            raise ValueError(
                f"n_colors='auto' grows a k-means palette: it needs "
                f"codebook='kmeans', got codebook={self.codebook!r}."
            )
        if self.max_delta_e is not None and n_channels != 3:
            raise ValueError(
                "max_delta_e compares RGB colors and needs 3 channels, got "
                f"{n_channels}."
            )

    def _check_fixed_colors(self, dtype, n_channels):
        """The reserved colors in the data's dtype, shape (n_reserved, n_channels)."""
        if self.fixed_colors is None:
            return np.empty((0, n_channels), dtype=dtype)
        if _is_fixed_palette(self.codebook):
            raise ValueError(
                "fixed_colors reserves colors in a learned palette, and codebook is "
                "a fixed palette already: put the colors in that palette instead."
            )
        colors = check_array(
            self.fixed_colors, dtype="numeric", input_name="fixed_colors"
        )
        if colors.shape[1] != n_channels:
            raise ValueError(
                f"fixed_colors has {colors.shape[1]} channel(s) per color but the "
                f"data has {n_channels}; pass an array of shape (k, {n_channels})."
            )
        limit = self.max_colors if self.n_colors == "auto" else self.n_colors
        if len(colors) > limit:
            name = "max_colors" if self.n_colors == "auto" else "n_colors"
            raise ValueError(
                f"fixed_colors reserves {len(colors)} colors, more than "
                f"{name}={limit}: raise {name} or reserve fewer."
            )
        try:
            check_palette_scale(colors, dtype)
        except ValueError as error:
            raise ValueError(
                str(error).replace("The fixed palette", "fixed_colors")
            ) from None
        check_color_range(colors, self.color_space, dtype)
        return _unique_rows(from_unit(to_unit(colors, dtype), dtype))

    def _check_fixed_palette(self, dtype, n_channels):
        shape = np.shape(self.codebook)
        if len(shape) != 2 or shape[0] == 0:
            raise ValueError(
                "A fixed palette (codebook) must be an array of shape (k, n_channels) "
                f"with k >= 1, got shape {shape}."
            )
        palette = check_array(self.codebook, dtype="numeric", input_name="codebook")
        if palette.shape[1] != n_channels:
            raise ValueError(
                f"The fixed palette has {palette.shape[1]} channel(s) per color but "
                f"the data has {n_channels}; pass a palette of shape (k, {n_channels})."
            )
        if palette.dtype.kind != "f" and np.dtype(dtype).kind == "f":
            raise ValueError(
                f"The fixed palette has integer dtype {palette.dtype} but the data is "
                f"{np.dtype(dtype)}; give the palette in the data's scale, as floats."
            )
        check_palette_scale(palette, dtype)
        check_color_range(palette, self.color_space, dtype)
        return from_unit(to_unit(palette, dtype), dtype)


def _reject_image_arrays(X):
    shape = getattr(X, "shape", ())
    if len(shape) > 2:
        raise ValueError(
            f"ColorQuantizer takes 2-D data, got an array of shape {shape}. Pass an "
            "image of shape (H, W, C) as image.reshape(-1, C), one pixel per row, or "
            "use quantize_image; pass a batch of shape (N, H, W, C) as "
            "images.reshape(N, -1) with n_channels=C."
        )


def _is_fixed_palette(codebook):
    return not isinstance(codebook, str) and not hasattr(codebook, "fit")


def _unique_rows(palette):
    """``palette`` without repeated colors, in order of first appearance."""
    _, first = np.unique(palette, axis=0, return_index=True)
    return palette[np.sort(first)]


def _told_apart(centers):
    """Mask of the centers that no earlier center is at squared distance 0 from.

    Distinct floats can only be that close when each coordinate is equal or both
    are tiny, so only centers equal in their other coordinates are compared.
    """
    kept = np.ones(len(centers), dtype=bool)
    tiny = np.abs(centers) < _TINY
    _, group, sizes = np.unique(
        np.where(tiny, 0.0, centers), axis=0, return_inverse=True, return_counts=True
    )
    for shared in np.flatnonzero(sizes > 1):
        members = np.flatnonzero(group.ravel() == shared)
        for position, i in enumerate(members):
            later = members[position + 1 :]
            same = np.sum((centers[later] - centers[i]) ** 2, axis=1) == 0
            kept[later[same & kept[i]]] = False
    return kept


def _most_used_first(palette, usage, n_reserved=0):
    """The order of ``palette``: its first ``n_reserved`` colors as they are,
    then the others by decreasing ``usage``, ties by color value."""
    learned = palette[n_reserved:]
    by_use = np.lexsort((*learned.T[::-1], -usage[n_reserved:]))
    return np.concatenate([np.arange(n_reserved), n_reserved + by_use])
