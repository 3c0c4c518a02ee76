"""Quality measures, scoring, and the palette size chosen by a target."""

import numpy as np
import pytest
from skimage import data, metrics
from skimage.color import deltaE_cie76, deltaE_ciede2000, rgb2lab
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_colorquant import ColorQuantizer
from sklearn_colorquant._color_spaces import color_space_of
from sklearn_colorquant._targets import _mean_delta_e_2000
from sklearn_colorquant.metrics import (
    blurred_peak_signal_noise_ratio,
    delta_e_scorer,
    make_rate_distortion_scorer,
    mean_delta_e,
    mean_squared_error,
    peak_signal_noise_ratio,
    psnr_scorer,
    structural_similarity,
)


@pytest.fixture(scope="module")
def quantized_china(china):
    image = china[::2, ::2]
    quantizer = ColorQuantizer(16, random_state=0).fit(image.reshape(-1, 3))
    return image, quantizer.palette_[
        quantizer.transform(image.reshape(-1, 3))[:, 0]
    ].reshape(image.shape)


def test_hand_computed_values():
    a = np.array([[0, 0, 0], [10, 20, 30]], dtype=np.uint8)
    b = np.array([[0, 0, 3], [10, 24, 30]], dtype=np.uint8)
    # (9 + 16) / 6 values
    assert mean_squared_error(a, b) == pytest.approx(25 / 6)
    assert peak_signal_noise_ratio(a, b) == pytest.approx(
        10 * np.log10(255**2 / (25 / 6))
    )
    assert peak_signal_noise_ratio(a, a) == np.inf
    floats = np.array([[0.5, 0.5, 0.5]])
    assert peak_signal_noise_ratio(floats, floats + 0.1) == pytest.approx(20.0)
    # CIE76 is Euclidean distance in CIELAB: pure red against pure blue.
    red, blue = np.array([[1.0, 0, 0]]), np.array([[0, 0, 1.0]])
    expected = np.linalg.norm(rgb2lab(red) - rgb2lab(blue))
    assert mean_delta_e(red, blue, method="cie76") == pytest.approx(expected)


def test_measures_match_scikit_image(quantized_china):
    image, quantized = quantized_china
    assert mean_squared_error(image, quantized) == pytest.approx(
        metrics.mean_squared_error(image, quantized)
    )
    assert peak_signal_noise_ratio(image, quantized) == pytest.approx(
        metrics.peak_signal_noise_ratio(image, quantized)
    )
    lab, quantized_lab = rgb2lab(image), rgb2lab(quantized)
    assert mean_delta_e(image, quantized) == pytest.approx(
        deltaE_ciede2000(lab, quantized_lab).mean()
    )
    assert mean_delta_e(image, quantized, method="cie76") == pytest.approx(
        deltaE_cie76(lab, quantized_lab).mean()
    )
    assert structural_similarity(image, quantized) == pytest.approx(
        metrics.structural_similarity(image, quantized, channel_axis=-1, data_range=255)
    )
    # Pixel arrays give the same values as images, float data as uint8 data.
    pixels, quantized_pixels = image.reshape(-1, 3), quantized.reshape(-1, 3)
    assert mean_delta_e(pixels, quantized_pixels) == pytest.approx(
        mean_delta_e(image, quantized)
    )
    assert peak_signal_noise_ratio(image / 255, quantized / 255) == pytest.approx(
        peak_signal_noise_ratio(image, quantized)
    )


def test_ssim_of_a_batch_and_of_grayscale():
    camera = data.camera()[::4, ::4]
    noisy = np.clip(camera.astype(int) + 20, 0, 255).astype(np.uint8)
    single = structural_similarity(camera, noisy)
    assert 0 < single < 1
    # A batch of grayscale images carries its channel axis: (N, H, W, 1).
    batch = np.stack([camera, camera])[..., None]
    other = np.stack([noisy, camera])[..., None]
    assert structural_similarity(batch, other) == pytest.approx((single + 1) / 2)


def test_blurred_psnr_matches_blurring_by_hand(quantized_china):
    from scipy.ndimage import gaussian_filter

    image, quantized = quantized_china
    blurred = [
        gaussian_filter(x / 255.0, sigma=(2.0, 2.0, 0)) for x in (image, quantized)
    ]
    expected = metrics.peak_signal_noise_ratio(*blurred, data_range=1.0)
    assert blurred_peak_signal_noise_ratio(
        image, quantized, sigma=2.0
    ) == pytest.approx(expected)
    # No blur is the plain PSNR; a blur forgives the quantization's noise.
    plain = peak_signal_noise_ratio(image, quantized)
    assert blurred_peak_signal_noise_ratio(image, quantized, sigma=0) == pytest.approx(
        plain
    )
    assert blurred_peak_signal_noise_ratio(image, quantized) > plain


def test_blurred_psnr_rewards_dithering_that_plain_psnr_punishes():
    from sklearn_colorquant import quantize_image

    # A smooth gradient in 4 gray levels: dithering keeps its tone, banding does not.
    ramp = np.tile(np.linspace(0, 1, 256), (64, 1))
    ramp = np.repeat(ramp[:, :, None], 3, axis=2)
    palette = np.repeat(np.linspace(0, 1, 4)[:, None], 3, axis=1)
    banded, _ = quantize_image(ramp, 4, codebook=palette)
    dithered, _ = quantize_image(ramp, 4, codebook=palette, dither="floyd-steinberg")
    assert peak_signal_noise_ratio(ramp, dithered) < peak_signal_noise_ratio(
        ramp, banded
    )
    assert (
        blurred_peak_signal_noise_ratio(ramp, dithered)
        > blurred_peak_signal_noise_ratio(ramp, banded) + 5
    )


def test_blurred_psnr_of_a_batch_blurs_each_image_alone(quantized_china):
    image, quantized = quantized_china
    single = blurred_peak_signal_noise_ratio(image, quantized)
    # The batch's second image is the first: its blur must not leak into it.
    batch = blurred_peak_signal_noise_ratio(
        np.stack([image, image]), np.stack([quantized, image])
    )
    assert batch == pytest.approx(single + 10 * np.log10(2))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mean_squared_error(np.zeros((2, 3)), np.zeros((3, 3))), "same shape"),
        (
            lambda: peak_signal_noise_ratio(
                np.zeros((2, 3)), np.zeros((2, 3), np.uint8)
            ),
            "dtype",
        ),
        (lambda: mean_delta_e(np.zeros((2, 4)), np.zeros((2, 4))), "3 channels"),
        (
            lambda: mean_delta_e(np.zeros((2, 3)), np.zeros((2, 3)), method="cie94"),
            "method",
        ),
        (
            lambda: structural_similarity(np.zeros((5, 3)), np.zeros((5, 3))),
            "H, W >= 7",
        ),
        (lambda: mean_squared_error(np.zeros((0, 3)), np.zeros((0, 3))), "empty"),
        (
            lambda: blurred_peak_signal_noise_ratio(np.zeros(9), np.zeros(9)),
            "shape",
        ),
        (
            lambda: blurred_peak_signal_noise_ratio(
                np.zeros((9, 9)), np.zeros((9, 9)), sigma=-1
            ),
            "sigma",
        ),
        (
            lambda: blurred_peak_signal_noise_ratio(
                np.zeros((9, 9)), np.zeros((9, 9)), sigma=True
            ),
            "sigma",
        ),
        (
            lambda: blurred_peak_signal_noise_ratio(
                np.zeros((9, 9)), np.zeros((9, 9)), sigma=1e12
            ),
            "wider than the image",
        ),
    ],
)
def test_measure_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_compiled_ciede2000_matches_scikit_image():
    rng = np.random.default_rng(0)
    lab = rgb2lab(rng.random((5000, 3)))
    other = rgb2lab(rng.random((5000, 3)))
    other[:100] = lab[:100]  # equal colors
    other[100:200, 1:] = 0  # grays: zero chroma
    weights = rng.random(5000)
    expected = np.average(deltaE_ciede2000(lab, other), weights=weights)
    got = _mean_delta_e_2000(lab, other, np.arange(5000), weights)
    assert got == pytest.approx(expected, rel=1e-12)


def test_score_is_minus_the_mean_squared_error_in_the_working_space(china_pixels):
    quantizer = ColorQuantizer(16, color_space="rgb", random_state=0).fit(china_pixels)
    colors = quantizer.inverse_transform(quantizer.transform(china_pixels))
    expected = ((china_pixels.astype(float) - colors) ** 2).sum(axis=1).mean()
    assert quantizer.score(china_pixels) == pytest.approx(-expected)
    # In RGB beside CIELAB, where the centers are.
    blended = ColorQuantizer(16, color_space="rgb+lab", random_state=0)
    blended.fit(china_pixels)
    space = color_space_of(blended.color_space_)
    working = space.to_working(china_pixels, np.uint8)
    centers = blended.cluster_centers_[blended.transform(china_pixels)[:, 0]]
    expected = ((working - centers) ** 2).sum(axis=1).mean()
    assert blended.score(china_pixels) == pytest.approx(-expected)
    bigger = ColorQuantizer(64, random_state=0).fit(china_pixels)
    assert bigger.score(china_pixels) > quantizer.score(china_pixels)


def test_grid_search_with_scorers(china_pixels):
    grid = {"n_colors": [4, 16, 64, 256]}
    plain = GridSearchCV(ColorQuantizer(random_state=0), grid, cv=3).fit(china_pixels)
    # score() and PSNR always prefer more colors ...
    assert plain.best_params_["n_colors"] == 256
    psnr = GridSearchCV(ColorQuantizer(random_state=0), grid, cv=3, scoring=psnr_scorer)
    assert psnr.fit(china_pixels).best_params_["n_colors"] == 256
    # ... the rate-distortion scorer picks a size in between, smaller as bits cost more.
    chosen = {}
    for weight in (5.0, 20.0, 80.0):
        search = GridSearchCV(
            ColorQuantizer(random_state=0),
            grid,
            cv=3,
            scoring=make_rate_distortion_scorer(weight=weight),
        )
        chosen[weight] = search.fit(china_pixels).best_params_["n_colors"]
    assert chosen[5.0] >= chosen[20.0] >= chosen[80.0]
    assert chosen[80.0] < 256 and chosen[5.0] > 4
    spaces = GridSearchCV(
        ColorQuantizer(16, random_state=0),
        {"color_space": ["rgb", "lab"]},
        cv=3,
        scoring=delta_e_scorer,
    ).fit(china_pixels)
    assert spaces.best_params_["color_space"] == "lab"


def test_scorers_on_a_pipeline(china_pixels):
    pipeline = make_pipeline(ColorQuantizer(8, random_state=0)).fit(china_pixels)
    assert psnr_scorer(pipeline, china_pixels) == pytest.approx(
        psnr_scorer(pipeline[-1], china_pixels)
    )


def _mean_delta_e_at(pixels, n_colors):
    quantizer = ColorQuantizer(n_colors, random_state=0).fit(pixels)
    return mean_delta_e(
        pixels, quantizer.inverse_transform(quantizer.transform(pixels))
    )


@pytest.mark.parametrize("max_delta_e", [3.0, 4.5])
def test_auto_size_against_an_exhaustive_sweep(max_delta_e):
    pixels = data.chelsea()[::2, ::2].reshape(-1, 3)
    quantizer = ColorQuantizer("auto", max_delta_e=max_delta_e, random_state=0).fit(
        pixels
    )
    chosen = quantizer.n_colors_
    quantized = quantizer.inverse_transform(quantizer.transform(pixels))
    assert mean_delta_e(pixels, quantized) <= max_delta_e
    sweep = {k: _mean_delta_e_at(pixels, k) for k in range(1, chosen + 1)}
    # The search checks sizes on 3,000 colors drawn by pixel count, within a few
    # hundredths of the mean over all of them: a size that meets the target by
    # less than that may be passed over.
    smallest = min(
        (k for k, value in sweep.items() if value <= max_delta_e - 0.03),
        default=chosen,
    )
    assert chosen <= 1.1 * smallest + 1


def test_auto_size_for_a_psnr_target(china_pixels):
    quantizer = ColorQuantizer("auto", min_psnr=30.0, random_state=0).fit(china_pixels)
    quantized = quantizer.inverse_transform(quantizer.transform(china_pixels))
    assert peak_signal_noise_ratio(china_pixels, quantized) >= 30.0
    smaller = ColorQuantizer(int(quantizer.n_colors_ / 1.1) - 1, random_state=0).fit(
        china_pixels
    )
    smaller_psnr = peak_signal_noise_ratio(
        china_pixels, smaller.inverse_transform(smaller.transform(china_pixels))
    )
    assert smaller_psnr < 30.0


def test_auto_size_caps_and_warns(china_pixels):
    with pytest.warns(UserWarning, match="No palette of up to max_colors=8"):
        quantizer = ColorQuantizer(
            "auto", max_delta_e=0.5, max_colors=8, random_state=0
        ).fit(china_pixels)
    assert quantizer.n_colors_ == 8


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_colors": "auto"}, "needs a quality target"),
        ({"n_colors": 16, "min_psnr": 30.0}, "set n_colors='auto'"),
        (
            {"n_colors": "auto", "min_psnr": 30.0, "codebook": "random"},
            "codebook='kmeans'",
        ),
    ],
)
def test_auto_size_errors(china_pixels, params, message):
    with pytest.raises(ValueError, match=message):
        ColorQuantizer(**params).fit(china_pixels)
