"""OkLab: Ottosson's published values, round trips, and the registry's paths."""

import numpy as np
import pytest
from skimage import data

from sklearn_colorquant import ColorQuantizer, quantize_image
from sklearn_colorquant._color_spaces import oklab_to_rgb, rgb_to_oklab


def _srgb_to_linear(rgb):
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


@pytest.mark.parametrize(
    "rgb, expected",
    [
        # Ottosson's reference values (https://bottosson.github.io/posts/oklab/),
        # for the sRGB primaries and white.
        ((1.0, 1.0, 1.0), (1.0, 0.0, 0.0)),
        ((1.0, 0.0, 0.0), (0.627955, 0.224863, 0.125846)),
        ((0.0, 1.0, 0.0), (0.866440, -0.233888, 0.179498)),
        ((0.0, 0.0, 1.0), (0.452014, -0.032457, -0.311528)),
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
    ],
)
def test_known_values(rgb, expected):
    np.testing.assert_allclose(rgb_to_oklab(np.array([rgb])), [expected], atol=2e-4)


def test_gray_has_no_chroma_and_lightness_grows():
    levels = np.linspace(0, 1, 11)
    oklab = rgb_to_oklab(np.repeat(levels[:, None], 3, axis=1))
    np.testing.assert_allclose(oklab[:, 1:], 0, atol=1e-6)
    assert np.all(np.diff(oklab[:, 0]) > 0)


def test_round_trip_on_a_photo():
    rgb = data.astronaut().reshape(-1, 3) / 255.0
    np.testing.assert_allclose(oklab_to_rgb(rgb_to_oklab(rgb)), rgb, atol=1e-9)


def test_out_of_gamut_colors_come_back_outside_the_unit_range():
    # A saturated color pushed past the gamut: negative channels stay negative
    # (the inverse is odd-symmetric), so the caller's clipping is what decides.
    beyond = rgb_to_oklab(np.array([[0.0, 1.0, 0.0]])) * [1, 1.5, 1.5]
    rgb = oklab_to_rgb(beyond)
    assert rgb.min() < 0 and np.isfinite(rgb).all()


def test_quantizer_in_oklab_matches_clustering_by_hand(china_pixels):
    quantizer = ColorQuantizer(16, color_space="oklab", random_state=0).fit(
        china_pixels
    )
    # Each pixel takes the palette color nearest in OkLab, not in RGB.
    labels = quantizer.transform(china_pixels[:5000])[:, 0]
    pixels = rgb_to_oklab(china_pixels[:5000] / 255.0)
    palette = rgb_to_oklab(quantizer.palette_ / 255.0)
    distances = ((pixels[:, None] - palette[None]) ** 2).sum(-1)
    chosen = distances[np.arange(len(labels)), labels]
    # The stored palette is rounded to uint8, so compare with a small slack.
    assert np.all(chosen <= distances.min(axis=1) + 1e-4)


def test_oklab_palette_is_closer_in_oklab_than_an_rgb_palette(china_pixels):
    reference = rgb_to_oklab(china_pixels / 255.0)
    errors = {}
    for space in ("rgb", "oklab"):
        quantized, _ = quantize_image(
            china_pixels.reshape(1, -1, 3), 32, color_space=space, random_state=0
        )
        quantized = quantized.reshape(-1, 3)
        errors[space] = np.mean(
            np.sum((rgb_to_oklab(quantized / 255.0) - reference) ** 2, axis=1)
        )
    assert errors["oklab"] < errors["rgb"]
