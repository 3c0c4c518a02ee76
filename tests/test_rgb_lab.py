"""RGB beside CIELAB: the working space for PSNR and CIEDE2000 at once."""

import numpy as np
import pytest
from skimage import data
from skimage.color import rgb2lab

from sklearn_colorquant import ColorQuantizer, apply_palette
from sklearn_colorquant._color_spaces import rgb_lab_to_rgb, rgb_to_rgb_lab
from sklearn_colorquant.metrics import mean_delta_e, peak_signal_noise_ratio


def test_coordinates_are_rgb_beside_scaled_lab():
    rgb = data.astronaut()[::8, ::8].reshape(-1, 3) / 255.0
    coordinates = rgb_to_rgb_lab(rgb)
    assert coordinates.shape == (len(rgb), 6)
    np.testing.assert_array_equal(coordinates[:, :3], rgb)
    np.testing.assert_allclose(coordinates[:, 3:], 0.4 * rgb2lab(rgb) / 100)
    np.testing.assert_array_equal(rgb_lab_to_rgb(coordinates), rgb)


def test_pixels_take_the_nearest_color_in_the_blend(china_pixels):
    pixels = china_pixels[:4000]
    quantizer = ColorQuantizer(24, color_space="rgb+lab", random_state=0).fit(pixels)
    labels = quantizer.transform(pixels)[:, 0]
    palette = rgb_to_rgb_lab(quantizer.palette_ / 255.0)
    distances = ((rgb_to_rgb_lab(pixels / 255.0)[:, None] - palette) ** 2).sum(-1)
    chosen = distances[np.arange(len(labels)), labels]
    assert np.all(chosen <= distances.min(axis=1) + 1e-12)


@pytest.mark.parametrize("name", ["astronaut", "chelsea"])
def test_closer_in_ciede2000_than_rgb_at_nearly_its_psnr(name):
    image = getattr(data, name)()
    pixels = image.reshape(-1, 3)
    results = {}
    for space in ("rgb", "rgb+lab"):
        quantizer = ColorQuantizer(64, color_space=space, random_state=0).fit(pixels)
        mapped = apply_palette(image, quantizer)
        results[space] = (
            peak_signal_noise_ratio(image, mapped),
            mean_delta_e(image, mapped),
        )
    assert results["rgb+lab"][1] < results["rgb"][1] - 0.03
    assert results["rgb+lab"][0] > results["rgb"][0] - 0.3
