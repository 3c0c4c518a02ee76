"""RGB beside CIELAB: the working space for PSNR and CIEDE2000 at once."""

import numpy as np
import pytest
from skimage import data
from skimage.color import rgb2lab

from sklearn_colorquant import ColorQuantizer, apply_palette
from sklearn_colorquant._color_spaces import rgb_lab_to_rgb, rgb_to_lab, rgb_to_rgb_lab
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


def test_cielab_is_scikit_images_without_importing_it():
    levels = np.arange(256) / 255.0
    cube = np.stack(np.meshgrid(levels, levels, levels), axis=-1).reshape(-1, 3)
    np.testing.assert_array_equal(rgb_to_lab(cube), rgb2lab(cube))


@pytest.mark.parametrize(
    "pixels",
    [
        data.coffee()[::8, ::8].reshape(-1, 3),
        data.coffee()[::8, ::8].reshape(-1, 3) / 255.0,
        data.coffee()[::8, ::8].reshape(-1, 3).astype(np.uint16) * 257,
    ],
    ids=["uint8", "unit floats", "uint16"],
)
def test_auto_is_rgb_beside_lab_for_rgb_colors(pixels):
    auto = ColorQuantizer(16, color_space="auto", random_state=0).fit(pixels)
    assert auto.color_space_ == "rgb+lab"
    blend = ColorQuantizer(16, color_space="rgb+lab", random_state=0).fit(pixels)
    np.testing.assert_array_equal(auto.palette_, blend.palette_)
    np.testing.assert_array_equal(auto.transform(pixels), blend.transform(pixels))


def test_auto_is_rgb_for_other_data():
    rgb = data.coffee()[::8, ::8].reshape(-1, 3)
    gray = data.camera()[::8, ::8].reshape(-1, 1)
    rgba = np.hstack([rgb, np.full((len(rgb), 1), 255, np.uint8)])
    features = np.random.default_rng(0).normal(size=(500, 3))
    for pixels in (gray, rgba, features, rgb[:, :2]):
        quantizer = ColorQuantizer(8, color_space="auto", random_state=0).fit(pixels)
        assert quantizer.color_space_ == "rgb"
    # Float colors on the 0..255 scale are not RGB in their dtype's range: they
    # are quantized as they are, with the warning of RGB.
    with pytest.warns(UserWarning, match="outside \\[0, 1\\]"):
        on_255 = ColorQuantizer(8, color_space="auto", random_state=0)
        on_255.fit(rgb.astype(np.float64))
    assert on_255.color_space_ == "rgb"


def test_dithering_diffuses_in_rgb():
    image = data.coffee()[:96, :128]
    blend = ColorQuantizer(16, color_space="rgb+lab", random_state=0)
    blend.fit(image.reshape(-1, 3))
    # The same palette, matched in RGB: error diffusion picks the same colors.
    in_rgb = ColorQuantizer(codebook=blend.palette_, color_space="rgb")
    in_rgb.fit(image.reshape(-1, 3))
    for method in ("floyd-steinberg", "ordered"):
        np.testing.assert_array_equal(
            apply_palette(image, blend, dither=method),
            apply_palette(image, in_rgb, dither=method),
        )
    # Undithered, and at strength 0, the nearest color of the blend.
    plain = apply_palette(image, blend)
    for method in ("adaptive", "floyd-steinberg"):
        np.testing.assert_array_equal(
            apply_palette(image, blend, dither=method, dither_strength=0.0), plain
        )
    assert np.any(plain != apply_palette(image, in_rgb))
