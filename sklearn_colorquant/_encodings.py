"""What ``transform`` returns: palette indices shaped into the requested encoding.

Every encoding is one entry of ``ENCODINGS``: how labels of shape ``(n_rows,
pixels_per_row)`` become its output, how its output becomes labels again (for
``inverse_transform``, through the fitted palette), its feature names and the
dtypes it preserves. Adding an encoding is adding an entry. SciPy and
scikit-learn are imported by the entries that need them, when they are used.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._assign import palette_colors
from ._color_spaces import to_unit


def index_dtype(n_colors):
    """The smallest unsigned integer dtype that holds indices below ``n_colors``."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n_colors <= np.iinfo(dtype).max + 1:
            return dtype
    return np.uint64


def label_counts(labels, n_colors):
    """Pixels of each palette color in each row of ``labels``: ``(n_rows,
    n_colors)`` int64."""
    n_rows = len(labels)
    cells = np.arange(n_rows)[:, None] * n_colors + labels.astype(np.int64)
    counts = np.bincount(cells.ravel(), minlength=n_rows * n_colors)
    return counts.reshape(n_rows, n_colors)


def shares(counts):
    """Counts per row as shares of the row's pixels; a row with no pixels stays 0."""
    totals = counts.sum(axis=1, keepdims=True)
    return counts / np.maximum(totals, 1)


def color_names(palette):
    """A name per palette color: its hex code at 8 bits per channel (``#ff8000``),
    with the color's index appended to all names where two codes coincide."""
    levels = np.rint(np.clip(to_unit(palette, palette.dtype), 0, 1) * 255)
    names = ["#" + "".join(f"{int(v):02x}" for v in color) for color in levels]
    if len(set(names)) < len(names):
        names = [f"{name}_{i}" for i, name in enumerate(names)]
    return names


def _encode_index(labels, palette):
    return labels.astype(index_dtype(len(palette)), copy=False)


def _encode_color(labels, palette):
    n_rows, per_row = labels.shape
    return palette_colors(palette, labels).reshape(n_rows, per_row * palette.shape[1])


def _encode_histogram(labels, palette):
    return shares(label_counts(labels, len(palette)))


def _encode_onehot(labels, palette):
    import scipy.sparse as sp

    n_rows, per_row = labels.shape
    n_colors = len(palette)
    columns = (np.arange(per_row) * n_colors + labels.astype(np.int64)).ravel()
    return sp.csr_matrix(
        (np.ones(labels.size), columns, np.arange(0, labels.size + 1, per_row)),
        shape=(n_rows, per_row * n_colors),
    )


def _decode_index(X, palette, per_row):
    from sklearn.utils.validation import check_array

    return _checked_indices(check_array(X, dtype="numeric"), per_row, palette.n_colors)


def _decode_color(X, palette, per_row):
    pixels = palette.check(np.asarray(X).reshape(-1, palette.n_channels))
    return palette.labels(pixels).reshape(len(X), per_row)


def _decode_histogram(X, palette, per_row):
    raise ValueError(
        "inverse_transform cannot rebuild pixels from color histograms "
        "(encode='histogram'): a histogram keeps how much of each color a row has, "
        "not where. Use encode='index' to keep the pixels' positions."
    )


def _decode_onehot(X, palette, per_row):
    return onehot_labels(X, per_row, palette.n_colors)


def onehot_labels(X, per_row, n_colors):
    """Labels of shape (n_rows, per_row) of one-hot rows as ``"onehot"`` gives
    them, checked to hold one 1 per pixel."""
    import scipy.sparse as sp
    from sklearn.utils.validation import check_array

    X = check_array(X, accept_sparse="csr", dtype="numeric")
    if X.shape[1] != per_row * n_colors:
        raise ValueError(
            f"inverse_transform expects one-hot rows of {per_row * n_colors} "
            f"columns ({per_row} pixel(s) x {n_colors} colors), got {X.shape[1]}."
        )
    coo = sp.coo_matrix(X)
    coo.eliminate_zeros()
    cells = coo.row.astype(np.int64) * per_row + coo.col // n_colors
    if np.any(coo.data != 1) or np.any(
        np.bincount(cells, minlength=X.shape[0] * per_row) != 1
    ):
        raise ValueError(
            "inverse_transform expects one-hot rows as transform gives them: a "
            "single 1 among the palette's columns of each pixel, zeros elsewhere."
        )
    labels = np.empty(X.shape[0] * per_row, dtype=np.intp)
    labels[cells] = coo.col % n_colors
    return labels.reshape(X.shape[0], per_row)


def _checked_indices(indices, per_row, n_colors):
    if indices.shape[1] != per_row:
        raise ValueError(
            f"inverse_transform expects palette indices with {per_row} column(s), "
            f"one per pixel of a row, got {indices.shape[1]}."
        )
    if indices.size and (
        np.any(indices != np.round(indices))
        or indices.min() < 0
        or indices.max() >= n_colors
    ):
        raise ValueError(
            "inverse_transform expects integer palette indices in "
            f"[0, {n_colors - 1}], got values in "
            f"[{indices.min():g}, {indices.max():g}]."
        )
    return indices.astype(np.intp)


def _names_per_pixel(quantizer, input_features):
    from sklearn.utils.validation import _generate_get_feature_names_out

    return _generate_get_feature_names_out(
        quantizer, quantizer._pixels_per_row(), input_features=input_features
    )


def _names_as_input(quantizer, input_features):
    from sklearn.utils.validation import _check_feature_names_in

    return _check_feature_names_in(quantizer, input_features)


def _names_per_color(quantizer, input_features):
    _names_as_input(quantizer, input_features)
    prefix = type(quantizer).__name__.lower()
    names = [f"{prefix}_{name}" for name in color_names(quantizer.palette_)]
    return np.asarray(names, dtype=object)


def _names_per_pixel_and_color(quantizer, input_features):
    pixels = _names_per_pixel(quantizer, input_features)
    colors = color_names(quantizer.palette_)
    names = [f"{pixel}_{color}" for pixel in pixels for color in colors]
    return np.asarray(names, dtype=object)


@dataclass(frozen=True)
class Encoding:
    """How one ``encode`` option turns labels into output and back."""

    encode: Callable  # (labels (n_rows, pixels_per_row), palette in X's dtype)
    # (X, FittedPalette, pixels_per_row) -> labels (n_rows, pixels_per_row)
    decode: Callable
    feature_names: Callable  # (fitted quantizer, input_features) -> names
    preserves_dtype: tuple = ()
    # inverse_transform's input is pixels, validated as transform's is.
    decodes_pixels: bool = False


ENCODINGS = {
    "index": Encoding(_encode_index, _decode_index, _names_per_pixel),
    "color": Encoding(
        _encode_color,
        _decode_color,
        _names_as_input,
        ("float64", "float32"),
        decodes_pixels=True,
    ),
    "onehot": Encoding(_encode_onehot, _decode_onehot, _names_per_pixel_and_color),
    "histogram": Encoding(
        _encode_histogram, _decode_histogram, _names_per_color, ("float64",)
    ),
}
