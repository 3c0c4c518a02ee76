"""ColorQuantizer on real photos: what it learns and how it maps pixels."""

import warnings

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import peak_signal_noise_ratio
from sklearn.base import clone
from sklearn.cluster import BisectingKMeans, KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_colorquant import ColorQuantizer

CODEBOOKS = [
    "kmeans",
    "minibatch",
    "random",
    BisectingKMeans(bisecting_strategy="largest_cluster"),
]
SPACES = ["rgb", "lab", "luv", "ycbcr", "oklab", "rgb+lab"]


def _distinct(pixels):
    return np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)


@pytest.mark.parametrize("codebook", CODEBOOKS, ids=str)
@pytest.mark.parametrize("color_space", SPACES)
def test_palette_indices_and_round_trip(china_pixels, codebook, color_space):
    quantizer = ColorQuantizer(
        32, codebook=codebook, color_space=color_space, random_state=0
    ).fit(china_pixels)

    assert quantizer.palette_.dtype == np.uint8
    assert quantizer.palette_.shape == (quantizer.n_colors_, 3)
    # Rounding to uint8 may merge two centers, never more than a few.
    assert 30 <= quantizer.n_colors_ <= 32
    assert len(_distinct(quantizer.palette_)) == quantizer.n_colors_
    # In the working space: RGB beside CIELAB has 6 coordinates a color.
    working = 6 if color_space == "rgb+lab" else 3
    assert quantizer.cluster_centers_.shape == (quantizer.n_colors_, working)
    assert quantizer.palette_frequencies_.sum() == pytest.approx(1.0)
    assert (quantizer.palette_frequencies_ >= 0).all()

    indices = quantizer.transform(china_pixels)
    assert indices.shape == (len(china_pixels), 1)
    assert indices.dtype == np.uint8
    assert indices.max() < quantizer.n_colors_
    # Every palette color is used by the pixels it was fitted on.
    assert set(np.unique(indices)) == set(
        np.flatnonzero(quantizer.palette_frequencies_)
    )

    restored = quantizer.inverse_transform(indices)
    assert restored.dtype == np.uint8
    np.testing.assert_array_equal(restored, quantizer.palette_[indices[:, 0]])

    # Quantizing the quantized pixels with the same palette changes nothing.
    np.testing.assert_array_equal(quantizer.transform(restored), indices)


def test_palette_frequencies_count_fitted_pixels(china_pixels):
    quantizer = ColorQuantizer(16, random_state=0).fit(china_pixels)
    indices = quantizer.transform(china_pixels)[:, 0]
    counts = np.bincount(indices, minlength=quantizer.n_colors_)
    np.testing.assert_allclose(quantizer.palette_frequencies_, counts / len(indices))


def test_nearest_color_in_working_space(china_pixels):
    for color_space in ("rgb", "lab", "auto"):
        quantizer = ColorQuantizer(16, color_space=color_space, random_state=0)
        indices = quantizer.fit(china_pixels).transform(china_pixels)[:, 0]
        working = {
            "rgb": china_pixels * 1.0,
            "lab": rgb2lab(china_pixels / 255),
            # For RGB images, unit RGB beside 0.4 times CIELAB over 100.
            "auto": np.hstack(
                [china_pixels / 255, 0.004 * rgb2lab(china_pixels / 255)]
            ),
        }[color_space]
        distances = ((working[:, None, :] - quantizer.cluster_centers_) ** 2).sum(-1)
        chosen = distances[np.arange(len(indices)), indices]
        np.testing.assert_array_equal(chosen, distances.min(axis=1))
    # On uint8 RGB the centers are the palette itself: distances are exact integers.
    rgb = ColorQuantizer(16, color_space="rgb", random_state=0).fit(china_pixels)
    np.testing.assert_array_equal(rgb.cluster_centers_, rgb.palette_)


def test_fixed_palette_is_used_exactly(china_pixels):
    web_safe = np.array(
        [
            (r, g, b)
            for r in range(0, 256, 51)
            for g in range(0, 256, 51)
            for b in range(0, 256, 51)
        ],
        dtype=np.uint8,
    )
    quantizer = ColorQuantizer(codebook=web_safe, color_space="rgb").fit(china_pixels)
    np.testing.assert_array_equal(quantizer.palette_, web_safe)
    assert quantizer.n_colors_ == 216
    colors = quantizer.inverse_transform(quantizer.transform(china_pixels))
    # Each channel goes to the nearest multiple of 51: per-channel rounding is
    # the nearest web-safe color in RGB.
    expected = (np.round(china_pixels / 51) * 51).astype(np.uint8)
    differs = (colors != expected).any(axis=1)
    # Pixels exactly between two levels may go either way.
    assert differs.mean() < 1e-3


def test_palette_of_one_quantizer_shared_by_another(china, flower):
    first = ColorQuantizer(24, random_state=0).fit(china.reshape(-1, 3))
    shared = ColorQuantizer(codebook=first.palette_).fit(flower.reshape(-1, 3))
    np.testing.assert_array_equal(shared.palette_, first.palette_)
    np.testing.assert_array_equal(
        shared.transform(flower.reshape(-1, 3)), first.transform(flower.reshape(-1, 3))
    )


def test_kmeans_beats_random_in_psnr(china_pixels):
    psnr = {}
    for codebook in ("kmeans", "random"):
        quantizer = ColorQuantizer(64, codebook=codebook, random_state=0)
        quantized = quantizer.fit(china_pixels).inverse_transform(
            quantizer.transform(china_pixels)
        )
        psnr[codebook] = peak_signal_noise_ratio(china_pixels, quantized)
    assert psnr["kmeans"] > psnr["random"] + 1.0


@pytest.mark.parametrize("image_name", ["china", "astronaut"])
def test_lab_gives_lower_ciede2000_than_rgb(image_name, request):
    image = request.getfixturevalue(image_name)[::2, ::2]
    pixels = image.reshape(-1, 3)
    reference = rgb2lab(pixels / 255)
    delta_e = {}
    for color_space in ("rgb", "lab"):
        quantizer = ColorQuantizer(32, color_space=color_space, random_state=0)
        quantized = quantizer.fit(pixels).inverse_transform(quantizer.transform(pixels))
        delta_e[color_space] = deltaE_ciede2000(
            reference, rgb2lab(quantized / 255)
        ).mean()
    assert delta_e["lab"] < delta_e["rgb"]


@pytest.mark.parametrize("codebook", CODEBOOKS, ids=str)
def test_same_random_state_same_result(china_pixels, codebook):
    fits = [
        ColorQuantizer(16, codebook=codebook, subsample=20_000, random_state=7).fit(
            china_pixels
        )
        for _ in range(2)
    ]
    np.testing.assert_array_equal(fits[0].palette_, fits[1].palette_)
    other = ColorQuantizer(16, codebook=codebook, subsample=20_000, random_state=8)
    assert not np.array_equal(other.fit(china_pixels).palette_, fits[0].palette_)


def test_subsample_caps_the_pixels_used(china_pixels):
    quantizer = ColorQuantizer(8, subsample=500, random_state=0).fit(china_pixels)
    # Frequencies are shares of the 500 pixels drawn.
    np.testing.assert_allclose(
        quantizer.palette_frequencies_ * 500,
        np.round(quantizer.palette_frequencies_ * 500),
    )


def test_clusterer_is_cloned_and_configured(china_pixels):
    clusterer = KMeans(n_clusters=3, n_init=1)
    quantizer = ColorQuantizer(12, codebook=clusterer, random_state=0).fit(china_pixels)
    assert quantizer.n_colors_ == 12
    assert clusterer.get_params() == clone(clusterer).get_params()
    assert not hasattr(clusterer, "cluster_centers_")
    assert clusterer.random_state is None


class ExtremeColors:
    """Darkest and brightest pixel as centers; knows no sample_weight."""

    def __init__(self, n_clusters=2):
        self.n_clusters = n_clusters

    def get_params(self, deep=True):
        return {"n_clusters": self.n_clusters}

    def set_params(self, **params):
        self.n_clusters = params.get("n_clusters", self.n_clusters)
        return self

    def fit(self, X):
        if len(X) != 9:
            raise AssertionError(f"expected all 9 pixels, got {len(X)} rows")
        order = np.argsort(X.sum(axis=1))
        self.cluster_centers_ = X[order[[0, -1]]]
        return self


def test_clusterer_without_sample_weight_sees_every_pixel():
    pixels = np.array(
        [[0, 0, 0]] * 5 + [[255, 255, 255]] * 3 + [[9, 9, 9]], dtype=np.uint8
    )
    quantizer = ColorQuantizer(2, codebook=ExtremeColors()).fit(pixels)
    np.testing.assert_array_equal(quantizer.palette_, [[0, 0, 0], [255, 255, 255]])
    np.testing.assert_allclose(quantizer.palette_frequencies_, [6 / 9, 3 / 9])
    # Whole-number weights are repeated the same way.
    colors = np.array([[9, 9, 9], [255, 255, 255], [0, 0, 0]], dtype=np.uint8)
    weighted = ColorQuantizer(2, codebook=ExtremeColors()).fit(
        colors, sample_weight=[1.0, 3.0, 5.0]
    )
    np.testing.assert_array_equal(weighted.palette_, quantizer.palette_)


@pytest.mark.parametrize(
    "params",
    [
        {"n_colors": 32},
        {"codebook": "random"},
        {"codebook": "minibatch"},
        {"codebook": BisectingKMeans()},
        {"color_space": "lab"},
        {"n_colors": "auto", "max_delta_e": 4.0},
    ],
    ids=repr,
)
def test_color_histogram_fits_the_palette_of_its_pixels(china_pixels, params):
    colors, counts = np.unique(china_pixels, axis=0, return_counts=True)
    order = np.random.default_rng(0).permutation(len(colors))
    from_pixels = ColorQuantizer(random_state=0, **params).fit(china_pixels)
    from_histogram = ColorQuantizer(random_state=0, **params).fit(
        colors[order], sample_weight=counts[order]
    )
    np.testing.assert_array_equal(from_histogram.palette_, from_pixels.palette_)
    np.testing.assert_array_equal(
        from_histogram.palette_frequencies_, from_pixels.palette_frequencies_
    )


def test_row_weights_weigh_every_pixel_of_the_row(china, flower):
    images = np.stack([china[::4, ::4], flower[::4, ::4]])
    rows = images.reshape(2, -1)
    quantizer = ColorQuantizer(16, n_channels=3, random_state=0)
    weighted = clone(quantizer).fit(rows, sample_weight=[2, 1])
    repeated = clone(quantizer).fit(rows[[0, 0, 1]])
    np.testing.assert_array_equal(weighted.palette_, repeated.palette_)
    # A row of weight 0 is left out.
    china_only = clone(quantizer).fit(rows, sample_weight=[1, 0])
    np.testing.assert_array_equal(
        china_only.palette_, clone(quantizer).fit(rows[:1]).palette_
    )


def test_fewer_distinct_colors_than_n_colors_warns():
    pixels = np.array(
        [[0, 0, 0], [255, 0, 0], [255, 0, 0], [0, 0, 255]], dtype=np.uint8
    )
    with pytest.warns(UserWarning, match="3 distinct colors, fewer than n_colors=64"):
        quantizer = ColorQuantizer().fit(pixels)
    assert quantizer.n_colors_ == 3
    np.testing.assert_array_equal(
        quantizer.inverse_transform(quantizer.transform(pixels)), pixels
    )


def test_exactly_n_colors_distinct_colors_does_not_warn():
    pixels = np.array([[0, 0, 0], [255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ColorQuantizer(3).fit(pixels).n_colors_ == 3


def test_encode_color_keeps_layout_scale_and_dtype(china):
    batch = np.stack([china[:64, :64], china[100:164, 200:264]])
    X = batch.reshape(2, -1)
    quantizer = ColorQuantizer(8, n_channels=3, encode="color", random_state=0).fit(X)
    colors = quantizer.transform(X)
    assert colors.shape == X.shape and colors.dtype == np.uint8
    assert len(_distinct(colors.reshape(-1, 3))) <= 8
    # Float input on [0, 1] gets float colors on [0, 1] from the same palette.
    as_float = quantizer.transform((X / 255).astype(np.float32))
    assert as_float.dtype == np.float32
    rescaled = np.rint(as_float * 255.0)
    np.testing.assert_allclose(as_float * 255.0, rescaled, atol=1e-3)
    # Where a pixel is exactly between two palette colors, float rounding may pick
    # the other one: both are nearest.
    pixels = X.reshape(-1, 3).astype(np.float64)
    from_floats = ((pixels - rescaled.reshape(-1, 3)) ** 2).sum(1)
    from_uint8 = ((pixels - colors.reshape(-1, 3)) ** 2).sum(1)
    np.testing.assert_array_equal(from_floats, from_uint8)
    assert (rescaled == colors).mean() > 0.99


def test_index_dtype_widens_past_256_colors():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(2000, 3), dtype=np.uint8)
    quantizer = ColorQuantizer(300, codebook="random", random_state=0).fit(pixels)
    indices = quantizer.transform(pixels)
    assert quantizer.n_colors_ == 300
    assert indices.dtype == np.uint16
    assert indices.max() >= 256
    np.testing.assert_array_equal(
        quantizer.inverse_transform(indices), quantizer.palette_[indices[:, 0]]
    )


def test_images_as_rows_in_a_pipeline(china, flower):
    def patches(image, size=16):
        rows, cols = image.shape[0] // size, image.shape[1] // size
        cut = image[: rows * size, : cols * size].reshape(rows, size, cols, size, 3)
        return cut.swapaxes(1, 2).reshape(-1, size, size, 3)

    images = np.concatenate([patches(china[::2, ::2]), patches(flower[::2, ::2])])
    labels = np.repeat(
        [0, 1], [len(patches(china[::2, ::2])), len(patches(flower[::2, ::2]))]
    )
    X = images.reshape(len(images), -1)
    order = np.random.default_rng(0).permutation(len(X))
    X, labels = X[order], labels[order]
    train, test = slice(0, len(X) // 2), slice(len(X) // 2, None)

    def palette_histograms(indices):
        return np.stack([np.bincount(row, minlength=16) for row in indices]) / 256

    pipeline = make_pipeline(
        ColorQuantizer(16, n_channels=3, random_state=0),
        FunctionTransformer(palette_histograms),
        LogisticRegression(max_iter=1000),
    )
    pipeline.fit(X[train], labels[train])
    quantizer = pipeline[0]
    assert quantizer.n_features_in_ == 16 * 16 * 3
    assert quantizer.transform(X[:3]).shape == (3, 16 * 16)
    # A bag of palette colors tells the two photos apart.
    assert pipeline.score(X[test], labels[test]) > 0.9

    colors = clone(quantizer).set_params(encode="color").fit_transform(X)
    assert colors.shape == X.shape and colors.dtype == X.dtype
    assert len(_distinct(colors.reshape(-1, 3))) <= 16


def test_feature_names_and_pandas_output(china_pixels):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(china_pixels[:5000], columns=["red", "green", "blue"])
    quantizer = ColorQuantizer(8, random_state=0).set_output(transform="pandas")
    indices = quantizer.fit_transform(frame)
    assert list(indices.columns) == ["colorquantizer0"]
    assert list(quantizer.feature_names_in_) == ["red", "green", "blue"]
    colors = ColorQuantizer(8, encode="color", random_state=0).set_output(
        transform="pandas"
    )
    assert list(colors.fit_transform(frame).columns) == ["red", "green", "blue"]


def test_float_and_uint8_data_give_the_same_palette(china_pixels):
    as_uint8 = ColorQuantizer(16, color_space="lab", random_state=0).fit(china_pixels)
    as_float = ColorQuantizer(16, color_space="lab", random_state=0).fit(
        china_pixels / 255
    )
    np.testing.assert_allclose(
        as_float.palette_ * 255, as_uint8.palette_, atol=0.5 + 1e-9
    )


def test_uint16_data_is_on_the_16_bit_scale(china_pixels):
    deep = china_pixels.astype(np.uint16) * 257
    quantizer = ColorQuantizer(16, color_space="lab", random_state=0).fit(deep)
    assert quantizer.palette_.dtype == np.uint16
    assert quantizer.palette_.max() > 255
    np.testing.assert_allclose(
        quantizer.cluster_centers_[:, 0].max(), 100, atol=15
    )  # L* of the brightest color: the data were read on the 16-bit scale


@pytest.mark.parametrize("color_space", ["rgb", "lab"])
def test_clusterer_init_palette_is_read_in_the_data_scale(china_pixels, color_space):
    # Found by the property tests: an init palette in the data's scale (floats on
    # [0, 1] here) must be converted into the working space before the clusterer
    # starts from it, or the refinement starts from nonsense.
    pixels = china_pixels / 255.0
    start = ColorQuantizer(8, codebook="random", random_state=0).fit(pixels).palette_
    fixed = ColorQuantizer(codebook=start, color_space=color_space).fit(pixels)
    refined = ColorQuantizer(
        8, codebook=KMeans(8, init=start, n_init=1), color_space=color_space
    ).fit(pixels)
    assert refined.score(pixels) >= fixed.score(pixels)
