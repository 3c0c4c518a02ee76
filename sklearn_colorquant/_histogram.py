"""The ColorHistogram transformer: bag-of-colors features of images of any size."""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils.validation import check_is_fitted

from ._batch import fit_shared_quantizer
from ._encodings import color_names, label_counts, shares
from ._image import image_labels
from ._palette import fitted_palette
from ._quantizer import ColorQuantizer


class ColorHistogram(TransformerMixin, BaseEstimator):
    """Share of each palette color in each image: bag-of-colors features.

    A transformer over images rather than rows, as
    :class:`~sklearn.feature_extraction.text.CountVectorizer` is over documents:
    ``fit`` learns one palette from the pixels of all the images, and
    ``transform`` gives each image the share (or count) of its pixels that each
    palette color takes. Images may have any sizes, so that a dataset of photos
    becomes a fixed-width feature matrix for a classifier.

    Parameters
    ----------
    quantizer : ColorQuantizer, default=None
        Learns the palette; cloned. None means ``ColorQuantizer()`` (64 colors,
        k-means). Its parameters are searchable as ``quantizer__n_colors``, ...

    normalize : bool, default=True
        Give shares, each row summing to 1 (float64), or pixel counts (int64).

    Attributes
    ----------
    quantizer_ : ColorQuantizer
        The fitted clone of ``quantizer``, fitted on pixels drawn evenly from
        every image (at most 1,000,000 in all, as for a shared palette).

    palette_ : ndarray of shape (n_palette_colors, n_channels)
        The palette, most-used color first, in the images' scale and dtype.

    n_colors_ : int
        Number of palette colors: the number of output columns.

    See Also
    --------
    ColorQuantizer : With ``n_channels`` and ``encode="histogram"``, the same
        features for images of one size, flattened into rows.
    quantize_images : Quantize many images with one shared palette.

    Notes
    -----
    ``X`` is a sequence of images, each of shape ``(H, W)`` or ``(H, W, C)``
    with sizes that may differ, or an array of shape ``(N, H, W)`` or ``(N, H,
    W, C)``. All images have the same number of channels. Value ranges follow
    scikit-image: uint8 on 0..255, uint16 on 0..65535, floats on ``[0, 1]``;
    images of different dtypes meet on that common scale. In RGBA images, fully
    transparent pixels are not counted.

    Since ``X`` is not a 2-D array of samples by features, scikit-learn's
    ``check_estimator`` does not apply (its checks feed 2-D numeric arrays).
    What does apply is tested: cloning, parameters, pickling, fitting twice,
    ``Pipeline`` and ``GridSearchCV`` with a list of images.

    Examples
    --------
    >>> from sklearn.datasets import load_sample_image
    >>> from sklearn_colorquant import ColorHistogram, ColorQuantizer
    >>> china = load_sample_image("china.jpg")
    >>> images = [china[:100, :100], china[200:, 300:], china[::8, ::8]]
    >>> histogram = ColorHistogram(ColorQuantizer(8, random_state=0))
    >>> features = histogram.fit_transform(images)
    >>> features.shape
    (3, 8)
    >>> features.sum(axis=1).round(6)
    array([1., 1., 1.])
    >>> histogram.get_feature_names_out()[:2]
    array(['colorhistogram_#c7d6e5', 'colorhistogram_#0f1108'], dtype=object)
    """

    _parameter_constraints: dict = {
        "quantizer": [ColorQuantizer, None],
        "normalize": ["boolean"],
    }

    def __init__(self, quantizer=None, *, normalize=True):
        self.quantizer = quantizer
        self.normalize = normalize

    # The quantizer validates its own parameters when it is fitted.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Learn one palette from the pixels of all images of ``X``.

        Parameters
        ----------
        X : sequence of array-like, or array-like of shape (N, H, W[, C])
            Images of any sizes (see Notes).
        y : None
            Ignored.

        Returns
        -------
        self : ColorHistogram
            The fitted transformer.

        Examples
        --------
        >>> from sklearn.datasets import load_sample_image
        >>> from sklearn_colorquant import ColorHistogram, ColorQuantizer
        >>> flower = load_sample_image("flower.jpg")
        >>> images = [flower[:50, :80], flower[100:300, 200:260]]
        >>> ColorHistogram(ColorQuantizer(4, random_state=0)).fit(images).n_colors_
        4
        """
        images = _image_list(X)
        quantizer = ColorQuantizer() if self.quantizer is None else self.quantizer
        self.quantizer_ = fit_shared_quantizer(images, clone(quantizer))
        self.palette_ = self.quantizer_.palette_
        self.n_colors_ = self.quantizer_.n_colors_
        return self

    def transform(self, X):
        """The share (or count) of each palette color in each image.

        Parameters
        ----------
        X : sequence of array-like, or array-like of shape (N, H, W[, C])
            Images of any sizes, with the channels of the fitted images.

        Returns
        -------
        X_out : ndarray of shape (n_images, n_palette_colors)
            Shares of each image's visible pixels, float64, each row summing to
            1; pixel counts, int64, with ``normalize=False``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorHistogram, ColorQuantizer
        >>> red, blue = [255, 0, 0], [0, 0, 255]
        >>> images = [np.array([[red, red], [red, blue]], dtype=np.uint8),
        ...           np.array([[blue, blue, red]], dtype=np.uint8)]
        >>> counts = ColorHistogram(ColorQuantizer(2), normalize=False).fit(images)
        >>> counts.transform(images)  # red is the most used color: column 0
        array([[3, 1],
               [1, 2]])
        """
        check_is_fitted(self)
        images = _image_list(X)
        counts = np.concatenate(
            [_visible_counts(image, self.quantizer_) for image in images]
        )
        empty = np.flatnonzero(counts.sum(axis=1) == 0)
        if len(empty):
            warnings.warn(
                f"{len(empty)} image(s) have no visible pixel (every pixel fully "
                f"transparent), first at position {empty[0]}: their rows are zeros.",
                UserWarning,
            )
        return shares(counts) if self.normalize else counts

    def get_feature_names_out(self, input_features=None):
        """One name per palette color: its hex code, ``colorhistogram_#ff8000``.

        Parameters
        ----------
        input_features : None
            Ignored: the input is images, not named columns.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``colorhistogram_`` followed by the palette color's hex code at 8 bits
            per channel (with its index appended where two codes coincide).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_colorquant import ColorHistogram, ColorQuantizer
        >>> image = np.array([[[255, 0, 0], [255, 0, 0], [0, 0, 255]]], np.uint8)
        >>> ColorHistogram(ColorQuantizer(2)).fit([image]).get_feature_names_out()
        array(['colorhistogram_#ff0000', 'colorhistogram_#0000ff'], dtype=object)
        """
        check_is_fitted(self)
        names = [f"colorhistogram_{name}" for name in color_names(self.palette_)]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


def _visible_counts(image, quantizer):
    """Pixels of each palette color in ``image``, shape (1, n_colors); fully
    transparent pixels take the index past the palette and are not counted."""
    labels = image_labels(
        image, fitted_palette(quantizer), n_threads=quantizer.n_threads
    )
    return label_counts(labels[None, :], quantizer.n_colors_ + 1)[:, :-1]


def _image_list(X):
    """``X`` as a list of images of shape (H, W) or (H, W, C)."""
    if isinstance(X, np.ndarray) or hasattr(X, "__array__"):
        X = np.asarray(X)
        if X.ndim not in (3, 4):
            raise ValueError(
                "ColorHistogram takes a sequence of images, or an array of shape "
                f"(N, H, W) or (N, H, W, C), got an array of shape {X.shape}. Wrap "
                "a single image in a list: [image]."
            )
    images = [np.asarray(image) for image in X]
    if not images:
        raise ValueError("ColorHistogram got no images: pass at least one.")
    for position, image in enumerate(images):
        if image.ndim not in (2, 3) or image.size == 0:
            raise ValueError(
                f"Image {position} has shape {image.shape}; each image must be a "
                "non-empty array of shape (H, W) or (H, W, C)."
            )
    return images
