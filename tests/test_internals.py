"""The fast paths against brute-force references."""

import numpy as np
import pytest
from sklearn.cluster import KMeans

from sklearn_colorquant._assign import nearest_center
from sklearn_colorquant._distinct import distinct_colors


@pytest.mark.parametrize("n_channels", [1, 3, 4])
def test_distinct_colors_of_uint8_match_numpy(n_channels):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 6, size=(5000, n_channels), dtype=np.uint8) * 51
    colors, counts, inverse = distinct_colors(pixels, return_inverse=True)
    expected, expected_counts = np.unique(pixels, axis=0, return_counts=True)
    np.testing.assert_array_equal(colors, expected)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_array_equal(colors[inverse], pixels)


def test_distinct_colors_of_floats():
    pixels = np.array([[0.5, 0.1], [0.2, 0.3], [0.5, 0.1]])
    colors, counts, inverse = distinct_colors(pixels, return_inverse=True)
    np.testing.assert_array_equal(colors, [[0.2, 0.3], [0.5, 0.1]])
    np.testing.assert_array_equal(counts, [1, 2])
    np.testing.assert_array_equal(colors[inverse], pixels)


def test_nearest_center_matches_brute_force(china_pixels):
    points = china_pixels / 255.0
    rng = np.random.default_rng(0)
    centers = rng.random((256, 3))
    brute = ((points[:, None, :] - centers) ** 2).sum(-1).argmin(axis=1)
    np.testing.assert_array_equal(nearest_center(points, centers), brute)


def test_weighted_distinct_colors_give_the_pixel_objective(china_pixels):
    colors, counts = distinct_colors(china_pixels)
    centers = (
        KMeans(16, n_init=1, random_state=0)
        .fit(colors / 255.0, sample_weight=counts)
        .cluster_centers_
    )
    labels = nearest_center(colors / 255.0, centers)
    weighted = (counts * ((colors / 255.0 - centers[labels]) ** 2).sum(1)).sum()
    pixel_labels = nearest_center(china_pixels / 255.0, centers)
    repeated = ((china_pixels / 255.0 - centers[pixel_labels]) ** 2).sum()
    assert weighted == pytest.approx(repeated, rel=1e-10)
