"""Bag-of-colors features: encode="histogram" and "onehot", ColorHistogram, the
KMeans attributes and the palette order."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from skimage import data
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks

from sklearn_colorquant import (
    ColorHistogram,
    ColorQuantizer,
    apply_palette,
    quantize_image,
)


def _patches(image, size, step):
    """Square patches of ``image``, flattened: one row per patch."""
    rows = [
        image[top : top + size, left : left + size]
        for top in range(0, image.shape[0] - size + 1, step)
        for left in range(0, image.shape[1] - size + 1, step)
    ]
    return np.stack(rows)


@pytest.fixture(scope="module")
def patches(china, flower):
    """16x16 patches of both photos, as (N, 16, 16, 3), and which photo each is."""
    first, second = _patches(china, 16, 48), _patches(flower, 16, 48)
    labels = np.r_[np.zeros(len(first), int), np.ones(len(second), int)]
    return np.concatenate([first, second]), labels


@pytest.fixture(scope="module")
def mixed_sizes(china, flower, astronaut):
    """Crops of real photos, each of its own size."""
    return [
        china[:120, :200],
        flower[50:400:2, 100:300],
        astronaut[::3, ::3],
        data.coffee()[100:180, 250:500],
        data.chelsea()[::5, ::4],
    ]


def _bincount_shares(labels, n_colors):
    rows = [np.bincount(row, minlength=n_colors) for row in labels.astype(np.intp)]
    counts = np.array(rows, dtype=np.float64)
    return counts / counts.sum(axis=1, keepdims=True)


# --- encode="histogram" ------------------------------------------------------


def test_histogram_rows_are_shares_equal_to_a_bincount(patches):
    images, _ = patches
    rows = images.reshape(len(images), -1)
    params = {"n_colors": 12, "n_channels": 3, "random_state": 0}
    shares = ColorQuantizer(encode="histogram", **params).fit_transform(rows)
    indices = ColorQuantizer(**params).fit(rows).transform(rows)

    assert shares.shape == (len(rows), 12) and shares.dtype == np.float64
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    np.testing.assert_array_equal(shares, _bincount_shares(indices, 12))


def test_histogram_of_one_pixel_rows_is_their_onehot(china_pixels):
    quantizer = ColorQuantizer(8, encode="histogram", random_state=0)
    shares = quantizer.fit_transform(china_pixels[:500])
    indices = quantizer.set_params(encode="index").transform(china_pixels[:500])
    np.testing.assert_array_equal(shares, np.eye(8)[indices[:, 0]])


def test_histogram_feature_names_are_the_palette_colors(patches):
    images, _ = patches
    rows = images.reshape(len(images), -1)
    quantizer = ColorQuantizer(6, n_channels=3, encode="histogram", random_state=0)
    quantizer.fit(rows)
    names = quantizer.get_feature_names_out()
    expected = [
        "colorquantizer_#" + "".join(f"{int(v):02x}" for v in color)
        for color in quantizer.palette_
    ]
    assert list(names) == expected and len(set(names)) == 6

    pd = pytest.importorskip("pandas")
    frame = quantizer.set_output(transform="pandas").transform(rows)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == expected


def test_histogram_feature_names_stay_unique_for_close_float_colors():
    # Two float colors 1e-4 apart share an 8-bit hex code.
    palette = np.array([[0.5, 0.5, 0.5], [0.5001, 0.5, 0.5], [0.0, 0.0, 0.0]])
    quantizer = ColorQuantizer(codebook=palette, encode="histogram").fit(palette)
    names = list(quantizer.get_feature_names_out())
    assert len(set(names)) == 3
    assert names[0] == "colorquantizer_#808080_0"


def test_histogram_cannot_be_inverted(china_pixels):
    quantizer = ColorQuantizer(4, encode="histogram", random_state=0)
    shares = quantizer.fit_transform(china_pixels[:100])
    with pytest.raises(ValueError, match="cannot rebuild pixels from color histo"):
        quantizer.inverse_transform(shares)


# --- encode="onehot" ---------------------------------------------------------


def test_onehot_is_sparse_and_inverts_like_indices(patches):
    images, _ = patches
    rows = images[:40, ::4, ::4].reshape(40, -1)  # 16 pixels per row
    params = {"n_colors": 5, "n_channels": 3, "random_state": 0}
    onehot = ColorQuantizer(encode="onehot", **params).fit(rows)
    indexer = ColorQuantizer(**params).fit(rows)
    encoded = onehot.transform(rows)

    assert sp.issparse(encoded) and encoded.format == "csr"
    assert encoded.shape == (40, 16 * 5)
    dense = encoded.toarray().reshape(40, 16, 5)
    np.testing.assert_array_equal(dense.argmax(axis=2), indexer.transform(rows))
    np.testing.assert_array_equal(dense.sum(axis=2), 1)
    np.testing.assert_array_equal(
        onehot.inverse_transform(encoded),
        indexer.inverse_transform(indexer.transform(rows)),
    )
    # Dense one-hot input inverts too.
    np.testing.assert_array_equal(
        onehot.inverse_transform(encoded.toarray()), onehot.inverse_transform(encoded)
    )
    names = onehot.get_feature_names_out()
    assert len(names) == 80 and names[5].startswith("colorquantizer1_#")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda X: X[:, :-1],
        lambda X: X * 2,
        lambda X: X + sp.csr_matrix(np.eye(X.shape[0], X.shape[1])),
        lambda X: sp.csr_matrix(X.shape),
    ],
    ids=["width", "not-ones", "two-per-pixel", "none-per-pixel"],
)
def test_onehot_inverse_rejects_what_transform_cannot_give(china_pixels, mangle):
    quantizer = ColorQuantizer(4, encode="onehot", random_state=0)
    encoded = quantizer.fit_transform(china_pixels[:50])
    with pytest.raises(ValueError, match="one-hot"):
        quantizer.inverse_transform(mangle(encoded))


# --- ColorHistogram ----------------------------------------------------------


def test_color_histogram_of_mixed_sizes_equals_per_image_histograms(mixed_sizes):
    histogram = ColorHistogram(ColorQuantizer(16, random_state=0))
    features = histogram.fit_transform(mixed_sizes)
    quantizer = histogram.quantizer_
    assert features.shape == (len(mixed_sizes), 16)
    np.testing.assert_allclose(features.sum(axis=1), 1.0)
    for image, row in zip(mixed_sizes, features):
        indices = quantizer.transform(image.reshape(-1, 3))[:, 0]
        expected = np.bincount(indices, minlength=16) / indices.size
        np.testing.assert_array_equal(row, expected)

    counts = clone(histogram).set_params(normalize=False).fit(mixed_sizes)
    counted = counts.transform(mixed_sizes)
    assert counted.dtype == np.int64
    np.testing.assert_array_equal(
        counted.sum(axis=1), [image.shape[0] * image.shape[1] for image in mixed_sizes]
    )


def test_color_histogram_takes_an_array_of_images_as_a_list(patches):
    images, _ = patches
    histogram = ColorHistogram(ColorQuantizer(8, random_state=0))
    from_array = histogram.fit(images).transform(images)
    from_list = clone(histogram).fit(list(images)).transform(list(images))
    np.testing.assert_array_equal(from_array, from_list)
    # Grayscale images, (N, H, W).
    gray = images[..., 0]
    assert ColorHistogram(ColorQuantizer(4)).fit_transform(gray).shape == (len(gray), 4)


def test_color_histogram_learns_from_all_images_evenly(mixed_sizes):
    # The palette is the shared palette of quantize_images: pixels of every image.
    histogram = ColorHistogram(ColorQuantizer(32, random_state=0)).fit(mixed_sizes)
    features = histogram.transform(mixed_sizes)
    # Every image uses several palette colors: none is left to one color.
    assert (np.count_nonzero(features, axis=1) >= 4).all()
    assert histogram.palette_.dtype == np.uint8
    assert list(histogram.get_feature_names_out()) == [
        "colorhistogram_#" + "".join(f"{int(v):02x}" for v in color)
        for color in histogram.palette_
    ]


def test_color_histogram_in_pipeline_and_grid_search(patches):
    images, labels = patches
    pipeline = make_pipeline(
        ColorHistogram(ColorQuantizer(random_state=0)), LogisticRegression(C=10.0)
    )
    search = GridSearchCV(
        pipeline, {"colorhistogram__quantizer__n_colors": [4, 16]}, cv=3
    )
    search.fit(list(images), labels)
    assert search.best_params_["colorhistogram__quantizer__n_colors"] in (4, 16)
    # Which photo a patch comes from shows in its colors.
    assert search.best_score_ > 0.85
    assert search.score(list(images), labels) > 0.85
    fitted = search.best_estimator_[0]
    assert (
        fitted.quantizer_.n_colors_
        == search.best_params_["colorhistogram__quantizer__n_colors"]
    )


def test_color_histogram_clones_pickles_and_refits_the_same(mixed_sizes):
    histogram = ColorHistogram(ColorQuantizer(8, random_state=0), normalize=False)
    cloned = clone(histogram)
    assert cloned.get_params()["quantizer__n_colors"] == 8
    assert cloned.quantizer is not histogram.quantizer
    first = histogram.fit_transform(mixed_sizes)
    restored = pickle.loads(pickle.dumps(histogram))
    np.testing.assert_array_equal(restored.transform(mixed_sizes), first)
    np.testing.assert_array_equal(histogram.fit_transform(mixed_sizes), first)
    # fit leaves the given quantizer unfitted.
    assert not hasattr(histogram.quantizer, "palette_")


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_parameters_default_constructible,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_estimator_repr,
        estimator_checks.check_estimator_cloneable,
        estimator_checks.check_mixin_order,
        estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
        estimator_checks.check_param_validation,
    ],
    ids=lambda check: check.__name__,
)
def test_color_histogram_passes_the_checks_that_take_no_2d_data(check):
    check("ColorHistogram", ColorHistogram())


def test_color_histogram_skips_transparent_pixels(china):
    rgba = np.dstack([china[:60, :60], np.full((60, 60), 255, np.uint8)])
    rgba[:30, :, 3] = 0  # the top half fully transparent
    clear = np.zeros_like(rgba)
    histogram = ColorHistogram(ColorQuantizer(4, random_state=0), normalize=False)
    histogram.fit([rgba])
    with pytest.warns(UserWarning, match="1 image.* no visible pixel.* position 1"):
        counts = histogram.transform([rgba, clear])
    assert counts[0].sum() == 30 * 60
    np.testing.assert_array_equal(counts[1], 0)


@pytest.mark.parametrize(
    "X, message",
    [
        ([], "got no images"),
        (np.zeros((4, 3)), r"got an array of shape \(4, 3\).*\[image\]"),
        ([np.zeros((0, 4, 3))], r"Image 0 has shape \(0, 4, 3\)"),
        ([np.zeros((2, 2, 3)), np.zeros(5)], r"Image 1 has shape \(5,\)"),
    ],
)
def test_color_histogram_rejects_what_is_not_images(X, message):
    with pytest.raises(ValueError, match=message):
        ColorHistogram().fit(X)


def test_color_histogram_checks_every_pixel(china):
    images = [china[:40, :40] / 255.0, china[40:80, :40] / 255.0]
    images[1][39, 39, 2] = np.nan  # one pixel of the second image
    with pytest.raises(ValueError, match="Image 1: .*NaN"):
        ColorHistogram(ColorQuantizer(4)).fit(images)
    histogram = ColorHistogram(ColorQuantizer(4, random_state=0)).fit(images[:1])
    with pytest.raises(ValueError, match="NaN"):
        histogram.transform(images)
    with pytest.raises(ValueError, match="3 channel.*palette has 3|channel"):
        histogram.transform([china[:10, :10, :2]])


# --- inertia_, n_iter_ and the palette order ---------------------------------


@pytest.mark.parametrize("color_space", ["rgb", "lab"])
def test_inertia_equals_a_numpy_reference(china, color_space):
    image = china[::16, ::16]
    pixels = image.reshape(-1, 3)
    quantizer = ColorQuantizer(12, color_space=color_space, random_state=0)
    quantizer.fit(pixels)
    working = pixels.astype(np.float64)
    if color_space == "lab":
        from skimage.color import rgb2lab

        working = rgb2lab(pixels / 255.0)
    squared = ((working[:, None, :] - quantizer.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_allclose(quantizer.inertia_, squared.min(axis=1).sum())
    # Weighted: sample_weight counts a pixel that many times.
    weights = np.arange(len(pixels)) % 3
    quantizer.fit(pixels, sample_weight=weights)
    squared = ((working[:, None, :] - quantizer.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_allclose(quantizer.inertia_, squared.min(axis=1) @ weights)


def test_n_iter_counts_lloyd_iterations(china_pixels):
    kmeans = ColorQuantizer(16, random_state=0).fit(china_pixels)
    assert kmeans.n_iter_ > 1
    random = ColorQuantizer(16, codebook="random", random_state=0).fit(china_pixels)
    assert random.n_iter_ == 0
    assert kmeans.inertia_ < random.inertia_
    assert ColorQuantizer(codebook=kmeans.palette_).fit(china_pixels).n_iter_ == 0

    # A clusterer's own n_iter_: it is fitted on the distinct colors, weighted.
    pixels = china_pixels[::8]
    clusterer = KMeans(16, n_init=1, random_state=0)
    quantizer = ColorQuantizer(16, codebook=clusterer, color_space="rgb").fit(pixels)
    colors, counts = np.unique(pixels, axis=0, return_counts=True)
    reference = clone(clusterer).fit(colors.astype(np.float64), sample_weight=counts)
    assert quantizer.n_iter_ == reference.n_iter_ > 1

    auto = ColorQuantizer("auto", min_psnr=30, random_state=0).fit(china_pixels)
    assert auto.n_iter_ > 1


@pytest.mark.parametrize("codebook", ["kmeans", "minibatch", "random"])
def test_learned_palettes_come_most_used_first(china_pixels, codebook):
    quantizer = ColorQuantizer(32, codebook=codebook, random_state=0).fit(china_pixels)
    frequencies = quantizer.palette_frequencies_
    assert np.all(np.diff(frequencies) <= 0)
    counts = np.bincount(quantizer.transform(china_pixels)[:, 0], minlength=32)
    np.testing.assert_allclose(counts / counts.sum(), frequencies)
    # The order does not depend on the run: a refit gives the same indices.
    again = clone(quantizer).fit(china_pixels)
    np.testing.assert_array_equal(again.palette_, quantizer.palette_)


def test_a_fixed_palette_keeps_its_order(china_pixels):
    palette = np.array([[255, 255, 255], [0, 0, 0], [128, 128, 128]], np.uint8)
    quantizer = ColorQuantizer(codebook=palette).fit(china_pixels)
    np.testing.assert_array_equal(quantizer.palette_, palette)
    assert quantizer.transform(palette[[1]])[0, 0] == 1


# --- one path from pixels to labels ------------------------------------------


def test_apply_palette_neither_refits_nor_clones(monkeypatch, china, patches):
    images, _ = patches
    rows = images.reshape(len(images), -1)
    quantizer = ColorQuantizer(8, n_channels=3, encode="histogram", random_state=0)
    quantizer.fit(rows)

    def no_fit(*args, **kwargs):
        raise AssertionError("apply_palette fitted a quantizer")

    expected = ColorQuantizer(codebook=quantizer.palette_).fit(quantizer.palette_)
    expected = expected.transform(china[:50, :50].reshape(-1, 3))[:, 0]
    monkeypatch.setattr(ColorQuantizer, "fit", no_fit)
    indices = apply_palette(china[:50, :50], quantizer, return_indices=True)
    np.testing.assert_array_equal(indices.ravel(), expected)
    for dither in ("floyd-steinberg", "ordered"):
        assert apply_palette(china[:50, :50], quantizer, dither=dither).shape == (
            50,
            50,
            3,
        )


@pytest.mark.parametrize("dither", [None, "adaptive", "floyd-steinberg", "ordered"])
def test_every_pixel_is_checked_before_mapping(china, dither):
    image = china[:64, :64] / 255.0
    _, quantizer = quantize_image(image, 8, random_state=0)
    broken = image.copy()
    broken[50, 60, 1] = np.nan  # far from the first pixel
    with pytest.raises(ValueError, match="NaN"):
        apply_palette(broken, quantizer, dither=dither)


def test_warning_free_on_photos(china_pixels):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ColorQuantizer(64, encode="histogram", random_state=0).fit(china_pixels)


@pytest.mark.parametrize("encode", ["index", "color", "onehot"])
@pytest.mark.parametrize("n_channels", [None, 3])
def test_inverse_transform_gives_palette_colors_for_every_encoding(
    patches, encode, n_channels
):
    images, _ = patches
    X = images[:20, ::4, ::4].reshape(20, -1)  # 16 pixels per row
    if n_channels is None:
        X = X.reshape(-1, 3)
    params = {"n_colors": 6, "n_channels": n_channels, "random_state": 0}
    reference = ColorQuantizer(**params).fit(X)
    expected = reference.palette_[reference.transform(X)].reshape(X.shape)
    quantizer = ColorQuantizer(encode=encode, **params).fit(X)
    restored = quantizer.inverse_transform(quantizer.transform(X))
    assert restored.dtype == X.dtype
    np.testing.assert_array_equal(restored, expected)
