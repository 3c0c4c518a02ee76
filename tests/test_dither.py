"""Dithering on real images: properties rather than snapshots."""

import numpy as np
import pytest

from sklearn_colorquant import ColorQuantizer, apply_palette, quantize_image

METHODS = ["floyd-steinberg", "ordered"]


@pytest.fixture(scope="module")
def china_16(china):
    image = china[::2, ::2]
    _, quantizer = quantize_image(image, 16, random_state=0)
    return image, quantizer


@pytest.mark.parametrize("method", METHODS)
def test_strength_zero_is_plain_mapping(china_16, method):
    image, quantizer = china_16
    np.testing.assert_array_equal(
        apply_palette(image, quantizer, dither=method, dither_strength=0.0),
        apply_palette(image, quantizer),
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("color_space", ["rgb", "lab"])
def test_dithered_images_are_made_of_palette_colors(china, method, color_space):
    image = china[::3, ::3]
    quantized, quantizer = quantize_image(
        image, 8, dither=method, color_space=color_space, random_state=0
    )
    assert quantized.shape == image.shape and quantized.dtype == np.uint8
    assert set(map(tuple, quantized.reshape(-1, 3))) <= set(
        map(tuple, quantizer.palette_)
    )
    indices = apply_palette(image, quantizer, dither=method, return_indices=True)
    np.testing.assert_array_equal(quantizer.palette_[indices], quantized)


def _black_and_white():
    palette = np.array([[0, 0, 0], [255, 255, 255]], dtype=np.uint8)
    return ColorQuantizer(codebook=palette).fit(palette)


@pytest.mark.parametrize("gray", [40, 100, 200])
def test_floyd_steinberg_keeps_the_mean_of_a_flat_gray(gray):
    flat = np.full((64, 64, 3), gray, dtype=np.uint8)
    dithered = apply_palette(flat, _black_and_white(), dither="floyd-steinberg")
    # Error diffusion carries every pixel's error forward: the mean is kept.
    assert abs(dithered.mean() - gray) < 2.0
    assert set(np.unique(dithered)) == {0, 255}


def test_ordered_dithering_spreads_a_flat_gray_over_two_colors():
    flat = np.full((64, 64, 3), 100, dtype=np.uint8)
    dithered = apply_palette(flat, _black_and_white(), dither="ordered")
    # The pattern spans the gap between the two palette colors.
    assert set(np.unique(dithered)) == {0, 255}
    assert abs(dithered.mean() - 100) < 20
    plain = apply_palette(flat, _black_and_white())
    assert set(np.unique(plain)) == {0}


def test_floyd_steinberg_lowers_banding_error_at_low_scale(china):
    # Seen from afar (averaged over 4x4 blocks), the dithered image is closer to
    # the original than the plainly mapped one.
    image = china[:256, :256]
    _, quantizer = quantize_image(image, 8, random_state=0)

    def blurred_error(result):
        blocks = lambda a: a.astype(float).reshape(64, 4, 64, 4, 3).mean(axis=(1, 3))  # noqa: E731
        return np.abs(blocks(result) - blocks(image)).mean()

    plain = apply_palette(image, quantizer)
    dithered = apply_palette(image, quantizer, dither="floyd-steinberg")
    assert blurred_error(dithered) < blurred_error(plain)


def test_batches_are_dithered_image_by_image(china, flower):
    batch = np.stack([china[:96, :128], flower[:96, :128]])
    _, quantizer = quantize_image(batch, 12, random_state=0)
    together = apply_palette(batch, quantizer, dither="floyd-steinberg")
    for image, expected in zip(batch, together):
        np.testing.assert_array_equal(
            apply_palette(image, quantizer, dither="floyd-steinberg"), expected
        )


@pytest.mark.parametrize(
    "params, message",
    [
        ({"dither": "atkinson"}, "dither must be one of"),
        ({"dither": "ordered", "dither_strength": 1.5}, "between 0 and 1"),
    ],
)
def test_bad_dithering_options(china_16, params, message):
    image, quantizer = china_16
    with pytest.raises(ValueError, match=message):
        apply_palette(image, quantizer, **params)
