"""Dithering on real images: properties rather than snapshots."""

import numpy as np
import pytest

from sklearn_colorquant import ColorQuantizer, apply_palette, quantize_image
from sklearn_colorquant._color_spaces import color_space_of

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


def _plain_floyd_steinberg(image, centers, low, high, strength):
    """Floyd-Steinberg written plainly: every palette color tried for every pixel,
    the error rows indexed with one column of margin on each side."""
    height, width, _ = image.shape
    errors = np.zeros((height + 1, width + 2, image.shape[2]))
    ahead, behind, under, past = strength * np.array([7, 3, 5, 1]) / 16
    labels = np.empty((height, width), dtype=np.int64)
    for y in range(height):
        step = 1 if y % 2 == 0 else -1
        for x in range(width) if step == 1 else range(width - 1, -1, -1):
            value = np.clip(image[y, x] + errors[y, x + 1], low, high)
            j = int(np.argmin(((value - centers) ** 2).sum(axis=1)))
            labels[y, x] = j
            error = value - centers[j]
            errors[y, x + 1 + step] += error * ahead
            errors[y + 1, x + 1 - step] += error * behind
            errors[y + 1, x + 1] += error * under
            errors[y + 1, x + 1 + step] += error * past
    return labels


@pytest.mark.parametrize(
    "color_space, n_colors, strength, channels",
    [
        ("rgb", 256, 1.0, 3),
        ("rgb", 64, 0.6, 3),
        ("lab", 128, 1.0, 3),
        ("rgb", 16, 1.0, 1),
    ],
)
def test_floyd_steinberg_matches_a_plain_search_over_the_palette(
    china, color_space, n_colors, strength, channels
):
    # The compiled scan tries only the palette colors its grid cell lists; a
    # plain scan tries all of them, and every pixel must get the same color.
    image = china[100:172, 200:296, :channels].squeeze()
    _, quantizer = quantize_image(
        image, n_colors, color_space=color_space, random_state=0
    )
    labels = apply_palette(
        image,
        quantizer,
        dither="floyd-steinberg",
        dither_strength=strength,
        return_indices=True,
    )
    space = color_space_of(color_space)
    working = space.to_working(image.reshape(-1, channels), image.dtype)
    working = working.reshape(*image.shape[:2], channels)
    if color_space == "rgb":
        working = image.reshape(working.shape).astype(np.float64)
    centers = quantizer.cluster_centers_
    gamut_low, gamut_high = space.gamut_box(channels)
    low = np.minimum(gamut_low, centers.min(axis=0))
    high = np.maximum(gamut_high, centers.max(axis=0))
    expected = _plain_floyd_steinberg(working, centers, low, high, strength)
    assert len(np.unique(expected)) > n_colors // 2
    np.testing.assert_array_equal(labels, expected)


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
