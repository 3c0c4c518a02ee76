"""The ColorQuantizer estimator."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    _generate_get_feature_names_out,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._assign import PaletteIndex, nearest_center, palette_colors
from ._codebooks import CODEBOOK_NAMES, learn_centers
from ._color_spaces import (
    COLOR_SPACES,
    check_color_range,
    from_unit,
    from_working,
    to_unit,
    to_working,
)
from ._distinct import distinct_colors
from ._kmeans import smallest_kmeans
from ._targets import QualityTarget


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

    encode : {"index", "color"}, default="index"
        What ``transform`` returns: the palette index of each pixel, or its
        palette color in the layout, scale and dtype of the input.

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

    Attributes
    ----------
    palette_ : ndarray of shape (n_palette_colors, n_channels)
        The palette, in the space, scale and dtype of the data seen in ``fit``.

    cluster_centers_ : ndarray of shape (n_palette_colors, n_channels)
        The palette in the working color space, where nearest colors are found:
        float64, for ``"rgb"`` on the uint8 scale 0..255 (the palette itself for
        uint8 data), for the perceptual spaces their own coordinates.

    n_colors_ : int
        Number of palette colors: fewer than ``n_colors`` when the data has
        fewer distinct colors.

    palette_frequencies_ : ndarray of shape (n_palette_colors,)
        Share of the fitted pixels that each palette color received; sums to 1.

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
    With ``codebook="kmeans"``, k-means++ and Lloyd's iterations first run to
    convergence on the weighted means of the cells of a 32-per-axis grid over the
    colors (a 5-bit histogram for uint8 RGB), then refine on every distinct color
    for at most ``max(10, 2560 // n_colors)`` iterations; the palette's PSNR is
    within a few hundredths of a decibel of :class:`~sklearn.cluster.KMeans` on
    all pixels, in a small fraction of its time. Nearest colors are exact (ties
    go to the lowest index). For uint8 data of up to 3 channels, ``transform``
    never searches over distinct colors: in ``"rgb"`` with at most 256 colors,
    each cell of 8 levels per channel of the uint8 cube lists the palette colors
    that can be nearest to it (made in ``fit``); otherwise a table keeps the index
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
        "color_space": [StrOptions(set(COLOR_SPACES))],
        "n_channels": [Interval(Integral, 1, None, closed="left"), None],
        "encode": [StrOptions({"index", "color"})],
        "subsample": [Interval(Integral, 1, None, closed="left"), None],
        "max_colors": [Interval(Integral, 1, None, closed="left")],
        "min_psnr": [Interval(Real, 0, None, closed="neither"), None],
        "max_delta_e": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_colors=64,
        *,
        codebook="kmeans",
        color_space="rgb",
        n_channels=None,
        encode="index",
        subsample=None,
        max_colors=256,
        min_psnr=None,
        max_delta_e=None,
        random_state=None,
    ):
        self.n_colors = n_colors
        self.codebook = codebook
        self.color_space = color_space
        self.n_channels = n_channels
        self.encode = encode
        self.subsample = subsample
        self.max_colors = max_colors
        self.min_psnr = min_psnr
        self.max_delta_e = max_delta_e
        self.random_state = random_state

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

        self._check_targets(pixels.shape[1])
        if _is_fixed_palette(self.codebook):
            palette = self._check_fixed_palette(X.dtype, pixels.shape[1])
        else:
            if self.n_colors == "auto":
                centers = self._centers_meeting_targets(
                    colors, counts, working_colors, random_state
                )
            else:
                centers = self._learned_centers(
                    counts, working_colors, random_state, X.dtype
                )
            palette = _unique_rows(
                from_unit(from_working(centers, self.color_space), X.dtype)
            )

        self.palette_ = palette
        # The centers are the palette as stored, so that a pixel equal to a palette
        # color maps to that color exactly.
        self.cluster_centers_ = to_working(palette, X.dtype, self.color_space)
        self.n_colors_ = len(palette)
        self._palette_index = PaletteIndex(self.cluster_centers_, self.color_space)
        labels, _ = nearest_center(working_colors, self.cluster_centers_)
        self._palette_index.prepare(colors, labels)
        usage = np.bincount(labels, weights=counts, minlength=self.n_colors_)
        self.palette_frequencies_ = usage / usage.sum()
        return self

    def transform(self, X):
        """Map each pixel to its nearest palette color.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Pixels or flattened images, laid out as in ``fit``.

        Returns
        -------
        X_out : ndarray
            With ``encode="index"``, palette indices of shape
            ``(n_samples, n_features // n_channels)`` in the smallest unsigned
            integer dtype that holds ``n_colors_``; with ``encode="color"``, the
            palette colors in the shape, scale and dtype of ``X``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorQuantizer
        >>> pixels = np.array([[250, 0, 0], [240, 10, 0], [0, 0, 250]], dtype=np.uint8)
        >>> quantizer = ColorQuantizer(n_colors=2, random_state=0).fit(pixels)
        >>> indices = quantizer.transform(pixels)
        >>> bool(indices[0, 0] == indices[1, 0] != indices[2, 0])
        True
        """
        check_is_fitted(self)
        _reject_image_arrays(X)
        X = validate_data(self, X, dtype="numeric", reset=False)
        labels = self._labels(X)
        if self.encode == "color":
            palette = from_unit(self._unit_palette(), X.dtype)
            return palette_colors(palette, labels).reshape(X.shape)
        return labels.astype(_index_dtype(self.n_colors_), copy=False)

    def inverse_transform(self, X):
        """Turn palette indices back into colors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features // n_channels)
            Palette indices as returned by ``transform``. With ``encode="color"``,
            colors as returned by ``transform``.

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
        if self.encode == "color":
            X = validate_data(self, X, dtype="numeric", reset=False)
            labels = self._labels(X)
        else:
            labels = self._check_indices(check_array(X, dtype="numeric"))
        return palette_colors(self.palette_, labels).reshape(len(labels), -1)

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
            The input names with ``encode="color"``; otherwise one name per pixel
            of a row, ``colorquantizer0``, ``colorquantizer1``, ...

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorQuantizer
        >>> pixels = np.array([[250, 0, 0], [240, 10, 0], [0, 0, 250]], dtype=np.uint8)
        >>> ColorQuantizer(2, random_state=0).fit(pixels).get_feature_names_out()
        array(['colorquantizer0'], dtype=object)
        """
        check_is_fitted(self)
        if self.encode == "color":
            return _check_feature_names_in(self, input_features)
        return _generate_get_feature_names_out(
            self, self._pixels_per_row(), input_features=input_features
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        preserved = ["float64", "float32"] if self.encode == "color" else []
        tags.transformer_tags.preserves_dtype = preserved
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
        return np.repeat(weights, self._pixels_per_row())

    def _labels(self, X):
        """Palette index of each pixel of ``X``, shape (n_samples, pixels_per_row)."""
        return self._palette_index.labels(self._pixels(X)).reshape(len(X), -1)

    def _unit_palette(self):
        return to_unit(self.palette_, self.palette_.dtype)

    def _check_indices(self, indices):
        expected = self._pixels_per_row()
        if indices.shape[1] != expected:
            raise ValueError(
                f"inverse_transform expects palette indices with {expected} column(s), "
                f"one per pixel of a row, got {indices.shape[1]}."
            )
        if indices.size and (
            np.any(indices != np.round(indices))
            or indices.min() < 0
            or indices.max() >= self.n_colors_
        ):
            raise ValueError(
                "inverse_transform expects integer palette indices in "
                f"[0, {self.n_colors_ - 1}], got values in "
                f"[{indices.min():g}, {indices.max():g}]."
            )
        return indices.astype(np.intp)

    def _learned_centers(self, counts, working_colors, random_state, dtype):
        """Centers of ``n_colors`` colors learned by the codebook (working space)."""
        n_distinct = len(working_colors)
        if n_distinct > self.n_colors:
            return learn_centers(
                self.codebook,
                working_colors,
                counts,
                self.n_colors,
                random_state,
                lambda init: to_working(init, dtype, self.color_space),
            )
        if n_distinct < self.n_colors:
            warnings.warn(
                f"The data has {n_distinct} distinct colors, fewer than "
                f"n_colors={self.n_colors}; the palette holds those {n_distinct} "
                "colors.",
                UserWarning,
            )
        return working_colors

    def _centers_meeting_targets(self, colors, counts, working_colors, random_state):
        """Centers of about the smallest palette that meets the targets."""
        if len(colors) <= 2:
            return working_colors
        target = QualityTarget(
            colors,
            counts,
            self.color_space,
            self.min_psnr,
            self.max_delta_e,
            random_state,
        )
        centers, met = smallest_kmeans(
            working_colors,
            counts,
            target,
            min(self.max_colors, len(colors) - 1),
            random_state,
        )
        if not met:
            warnings.warn(
                f"No palette of up to max_colors={self.max_colors} colors meets "
                f"min_psnr={self.min_psnr} and max_delta_e={self.max_delta_e}; "
                "the palette holds the largest size tried. Raise max_colors "
                "or relax the target.",
                UserWarning,
            )
        return centers

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


def _index_dtype(n_colors):
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n_colors <= np.iinfo(dtype).max + 1:
            return dtype
    return np.uint64
