"""Palettes users control: reserved colors, and every palette entry counted."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import BisectingKMeans

from sklearn_colorquant import ColorQuantizer

WHITE_BLACK = np.array([[255, 255, 255], [0, 0, 0]], dtype=np.uint8)


def _psnr(pixels, quantizer):
    restored = quantizer.inverse_transform(quantizer.transform(pixels))
    error = np.mean((pixels.astype(float) - restored) ** 2)
    return 10 * np.log10(255**2 / error)


@pytest.mark.parametrize(
    "codebook", ["kmeans", "minibatch", "random", BisectingKMeans(n_init=1)]
)
def test_reserved_colors_are_in_the_palette_exactly_and_take_their_pixels(
    china_pixels, codebook
):
    reserved = np.array([[255, 255, 255], [0, 0, 0], [200, 30, 40]], np.uint8)
    quantizer = ColorQuantizer(
        16, codebook=codebook, fixed_colors=reserved, random_state=0
    ).fit(china_pixels)
    assert quantizer.n_colors_ == 16
    np.testing.assert_array_equal(quantizer.palette_[:3], reserved)
    # A pixel equal or near to a reserved color goes to it.
    np.testing.assert_array_equal(quantizer.transform(reserved)[:, 0], [0, 1, 2])
    near = np.clip(reserved.astype(int) + [[-3, -3, -3], [2, 1, 3], [2, -2, 1]], 0, 255)
    np.testing.assert_array_equal(
        quantizer.transform(near.astype(np.uint8))[:, 0], [0, 1, 2]
    )
    # Learned colors come after, most used first.
    assert np.all(np.diff(quantizer.palette_frequencies_[3:]) <= 0)


def test_kmeans_holds_the_reserved_colors_as_centers(china_pixels):
    # Each learned center is the mean of the pixels it takes: the reserved ones
    # take theirs, so no learned color sits on top of a reserved one.
    quantizer = ColorQuantizer(8, fixed_colors=WHITE_BLACK, random_state=0)
    quantizer.fit(china_pixels)
    labels = quantizer.transform(china_pixels)[:, 0]
    for index in range(2, 8):
        mean = china_pixels[labels == index].mean(axis=0)
        assert np.abs(mean - quantizer.palette_[index]).max() <= 1.0
    # The reserved colors did not move to the mean of their pixels.
    assert np.abs(china_pixels[labels == 0].mean(axis=0) - 255).max() > 5


@pytest.mark.parametrize("color_space", ["rgb", "lab"])
def test_reserved_colors_in_float_data_and_lab(china_pixels, color_space):
    pixels = china_pixels / 255.0
    reserved = np.array([[1.0, 1.0, 1.0], [0.1, 0.2, 0.3]])
    quantizer = ColorQuantizer(
        12, fixed_colors=reserved, color_space=color_space, random_state=0
    ).fit(pixels)
    np.testing.assert_array_equal(quantizer.palette_[:2], reserved)
    np.testing.assert_array_equal(quantizer.transform(reserved)[:, 0], [0, 1])


def test_reserved_colors_with_the_automatic_size(china_pixels):
    quantizer = ColorQuantizer(
        "auto", min_psnr=30, fixed_colors=WHITE_BLACK, random_state=0
    ).fit(china_pixels)
    np.testing.assert_array_equal(quantizer.palette_[:2], WHITE_BLACK)
    assert _psnr(china_pixels, quantizer) >= 30
    assert quantizer.n_colors_ > 2


def test_reserving_all_colors_and_reserved_colors_also_in_the_data():
    pixels = np.array([[255, 255, 255], [0, 0, 0], [10, 10, 10]], np.uint8)
    quantizer = ColorQuantizer(2, fixed_colors=WHITE_BLACK).fit(pixels)
    np.testing.assert_array_equal(quantizer.palette_, WHITE_BLACK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        few = ColorQuantizer(8, fixed_colors=WHITE_BLACK).fit(pixels)
    # The data's own white and black are the reserved ones: not listed twice.
    assert few.n_colors_ == 3
    np.testing.assert_array_equal(few.palette_[:2], WHITE_BLACK)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_colors": 2, "fixed_colors": np.zeros((3, 3))}, "reserves 3 colors, more"),
        ({"fixed_colors": np.zeros((2, 4))}, "has 4 channel.*the data has 3"),
        ({"fixed_colors": [[0.5, 0.5, 0.5]]}, "fixed_colors has fractional values"),
        ({"fixed_colors": [[300, 0, 0]]}, r"fixed_colors has values in \[0, 300\]"),
        (
            {"codebook": WHITE_BLACK, "fixed_colors": WHITE_BLACK},
            "codebook is a fixed palette already",
        ),
        (
            {"n_colors": "auto", "min_psnr": 30, "max_colors": 1,
             "fixed_colors": WHITE_BLACK},
            "more than max_colors=1",
        ),
    ],
)  # fmt: skip
def test_reserved_colors_errors(china_pixels, params, message):
    with pytest.raises(ValueError, match=message):
        ColorQuantizer(**params).fit(china_pixels)


def test_reserving_two_colors_costs_little_psnr(china_pixels):
    # Against learning all 16 and against the naive way (learn 16, then put the
    # reserved colors in place of the two learned colors nearest to them).
    learned = ColorQuantizer(16, random_state=0).fit(china_pixels)
    reserved = ColorQuantizer(16, fixed_colors=WHITE_BLACK, random_state=0).fit(
        china_pixels
    )
    naive_palette = learned.palette_.copy()
    for color in WHITE_BLACK:
        distances = ((naive_palette.astype(int) - color.astype(int)) ** 2).sum(axis=1)
        distances[np.all(np.isin(naive_palette, WHITE_BLACK), axis=1)] = 10**9
        naive_palette[np.argmin(distances)] = color
    naive = ColorQuantizer(codebook=naive_palette).fit(china_pixels)
    psnr_learned = _psnr(china_pixels, learned)
    psnr_reserved = _psnr(china_pixels, reserved)
    psnr_naive = _psnr(china_pixels, naive)
    assert psnr_reserved > psnr_naive
    assert psnr_learned - psnr_reserved < 1.5
