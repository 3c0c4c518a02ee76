"""The ColorQuantizer estimator: scikit-learn's face over the compiled core."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from . import _threads
from ._assign import nearest_center
from ._codebooks import CODEBOOKS
from ._color_spaces import COLOR_SPACES
from ._distinct import distinct_colors
from ._encodings import ENCODINGS
from ._learn import learn_palette


class _Count(Interval):
    """An interval of whole numbers that refuses booleans: ``True`` is an
    ``Integral`` to Python, and would be a palette of one color."""

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


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

    color_space : {"rgb", "lab", "luv", "ycbcr", "oklab", "rgb+lab", "auto"}, \
            default="rgb"
        Space in which colors are clustered and matched. ``"rgb"`` uses the data
        as they are and works for any number of channels; ``"lab"`` (CIELAB,
        D65), ``"luv"`` and ``"ycbcr"`` need 3-channel RGB data and convert it
        with :mod:`skimage.color`; ``"oklab"`` (Ottosson's OkLab, the space of
        ffmpeg's palettegen) needs 3-channel RGB too. ``"rgb+lab"`` puts unit
        RGB beside 0.4 times CIELAB over 100, so that a squared distance is the
        RGB one plus 0.16 times the CIE76 one: its PSNR and mean CIEDE2000 are
        both ahead of libimagequant's in 14 of the 15 benchmark cases, where
        ``"rgb"`` gives up CIEDE2000 for PSNR (8) and ``"lab"`` PSNR for
        CIEDE2000 (``benchmarks/bench_perceptual.py``); it fits about twice as
        slowly as ``"rgb"`` and its PSNR is about 0.1 dB lower. Dithering with
        it diffuses the error in RGB. ``"auto"`` is ``"rgb+lab"``
        for 3-channel RGB colors in the range of their dtype and ``"rgb"`` for
        any other data (gray, RGBA, features that are not colors), for runs over
        images of every kind; ``color_space_`` tells which. ``palette_`` is
        always in the data's own space.

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

    color_space_ : str
        The working color space the palette was learned in: ``color_space``,
        or what ``"auto"`` resolved to for the data.

    cluster_centers_ : ndarray of shape (n_palette_colors, n_coordinates)
        The palette in the working color space, where nearest colors are found:
        float64, for ``"rgb"`` on the uint8 scale 0..255 (the palette itself for
        uint8 data), for the perceptual spaces their own coordinates (6 for
        ``"rgb+lab"``, 3 for the others).

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
        "n_colors": [_Count(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "codebook": [
            StrOptions(set(CODEBOOKS)),
            HasMethods(["fit"]),
            "array-like",
        ],
        "fixed_colors": ["array-like", None],
        "color_space": [StrOptions(set(COLOR_SPACES))],
        "n_channels": [_Count(Integral, 1, None, closed="left"), None],
        "encode": [StrOptions(set(ENCODINGS))],
        "subsample": [_Count(Integral, 1, None, closed="left"), None],
        "max_colors": [_Count(Integral, 1, None, closed="left")],
        "min_psnr": [Interval(Real, 0, None, closed="neither"), None],
        "max_delta_e": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
        "n_threads": [_Count(Integral, 1, None, closed="left"), None],
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
            learned = learn_palette(
                self._pixel_rows(X),
                self.n_colors,
                weights=weights,
                codebook=self.codebook,
                color_space=self.color_space,
                fixed_colors=self.fixed_colors,
                subsample=self.subsample,
                max_colors=self.max_colors,
                min_psnr=self.min_psnr,
                max_delta_e=self.max_delta_e,
                random_state=self.random_state,
            )
        self._fitted_palette = learned.palette
        self.color_space_ = learned.palette.color_space.name
        self.palette_ = learned.palette.palette
        self.cluster_centers_ = learned.palette.centers
        self.n_colors_ = learned.palette.n_colors
        self.palette_frequencies_ = learned.frequencies
        self.inertia_ = learned.inertia
        self.n_iter_ = learned.n_iter
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
        self._validate_params()
        X = self._validated(X)
        return self._fitted_palette.encoded(self._labels(X), X.dtype, self.encode)

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
        self._validate_params()
        encoding = ENCODINGS[self.encode]
        if encoding.decodes_pixels:
            X = self._validated(X)
        with _threads.limit(self.n_threads):
            labels = encoding.decode(X, self._fitted_palette, self._pixels_per_row())
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
            palette color in the working space ``color_space_``: for ``"rgb"``
            on the 0..255 scale, for ``"rgb+lab"`` on unit RGB (and 0.4 times
            CIELAB over 100).

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
        working = self._fitted_palette.color_space.to_working(colors, X.dtype)
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
        self._validate_params()
        return ENCODINGS[self.encode].feature_names(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        encoding = ENCODINGS.get(self.encode, ENCODINGS["index"])
        tags.transformer_tags.preserves_dtype = list(encoding.preserves_dtype)
        # The perceptual spaces read RGB values, which cannot be negative.
        space = COLOR_SPACES.get(self.color_space, COLOR_SPACES["rgb"])
        tags.input_tags.positive_only = not space.any_channels
        return tags

    def _channels(self):
        return self.n_features_in_ if self.n_channels is None else self.n_channels

    def _pixels_per_row(self):
        return self.n_features_in_ // self._channels()

    def _pixel_rows(self, X):
        """The pixels of validated rows ``X``, one per row."""
        channels = self._channels()
        if X.shape[1] % channels:
            raise ValueError(
                f"X has {X.shape[1]} features per row, which is not a multiple of "
                f"n_channels={channels}. With n_channels set, each row must be a "
                "flattened image in channel-last order, as "
                "images.reshape(n_images, -1) gives; use n_channels=None when each "
                "row is one color."
            )
        return X.reshape(-1, channels)

    def _pixels(self, X):
        """The pixels of validated rows ``X``, one per row, checked for the
        color space."""
        pixels = self._pixel_rows(X)
        self._fitted_palette.color_space.check_range(pixels)
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
        pixels = self._fitted_palette.check(self._pixel_rows(X))
        with _threads.limit(self.n_threads):
            labels = self._fitted_palette.labels(pixels)
        return labels.reshape(len(X), -1)


def _reject_image_arrays(X):
    shape = getattr(X, "shape", ())
    if len(shape) > 2:
        raise ValueError(
            f"ColorQuantizer takes 2-D data, got an array of shape {shape}. Pass an "
            "image of shape (H, W, C) as image.reshape(-1, C), one pixel per row, or "
            "use quantize_image; pass a batch of shape (N, H, W, C) as "
            "images.reshape(N, -1) with n_channels=C."
        )
