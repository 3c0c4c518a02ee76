"""Dithering on real images: properties rather than snapshots."""

import numpy as np
import pytest

from sklearn_colorquant import (
    ColorQuantizer,
    _dither_kernels,
    apply_palette,
    quantize_image,
)
from sklearn_colorquant._color_spaces import color_space_of

METHODS = ["adaptive", "floyd-steinberg", "ordered"]


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


def _plain_floyd_steinberg(image, centers, low, high, strength, limit=np.inf):
    """Floyd-Steinberg written plainly: every palette color tried for every pixel,
    the error rows indexed with one column of margin on each side. The error
    reaching pixel ``(y, x)`` is scaled by ``strength[y, x]`` (a number for all)
    and shortened to a squared length of ``limit``. The image's bands of rows
    are scanned apart: no error crosses into a band's first row."""
    height, width, _ = image.shape
    firsts = {
        _dither_kernels.band_start(band, height)
        for band in range(1, _dither_kernels.N_BANDS)
    }
    strength = np.broadcast_to(np.asarray(strength, dtype=np.float32), (height, width))
    errors = np.zeros((height + 1, width + 2, image.shape[2]))
    ahead, behind, under, past = np.array([7, 3, 5, 1]) / 16
    labels = np.empty((height, width), dtype=np.int64)
    for y in range(height):
        step = 1 if y % 2 == 0 else -1
        for x in range(width) if step == 1 else range(width - 1, -1, -1):
            scale = float(strength[y, x])
            carried = sum(float(e) * float(e) for e in errors[y, x + 1])
            carried *= scale * scale
            if carried > limit:
                scale *= np.sqrt(limit / carried)
            value = np.clip(image[y, x] + scale * errors[y, x + 1], low, high)
            j = int(np.argmin(((value - centers) ** 2).sum(axis=1)))
            labels[y, x] = j
            error = value - centers[j]
            errors[y, x + 1 + step] += error * ahead
            if y + 1 in firsts:
                continue
            errors[y + 1, x + 1 - step] += error * behind
            errors[y + 1, x + 1] += error * under
            errors[y + 1, x + 1 + step] += error * past
    return labels


@pytest.mark.parametrize("height", [1, 2, 3, 5, 6, 71])
@pytest.mark.filterwarnings("ignore:The data has .* distinct colors")
def test_floyd_steinberg_bands_match_a_plain_scan_at_every_height(china, height):
    # The scan runs the image's bands of rows side by side, and a band may be
    # empty or one row longer than the other: every height must give the plain
    # scan's colors.
    image = china[150 : 150 + height, 180:241]
    _, quantizer = quantize_image(image, 16, random_state=0)
    labels = apply_palette(
        image, quantizer, dither="floyd-steinberg", return_indices=True
    )
    centers = quantizer.cluster_centers_
    low, high = _box("rgb", centers, 3)
    expected = _plain_floyd_steinberg(image.astype(np.float64), centers, low, high, 1.0)
    np.testing.assert_array_equal(labels, expected)


def _working_image(image, color_space, channels):
    space = color_space_of(color_space)
    if color_space == "rgb":
        return image.reshape(*image.shape[:2], channels).astype(np.float64)
    working = space.to_working(image.reshape(-1, channels), image.dtype)
    return working.reshape(*image.shape[:2], channels)


def _box(color_space, centers, channels):
    gamut_low, gamut_high = color_space_of(color_space).gamut_box(channels)
    return (
        np.minimum(gamut_low, centers.min(axis=0)),
        np.maximum(gamut_high, centers.max(axis=0)),
    )


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
    working = _working_image(image, color_space, channels)
    centers = quantizer.cluster_centers_
    low, high = _box(color_space, centers, channels)
    expected = _plain_floyd_steinberg(working, centers, low, high, strength)
    assert len(np.unique(expected)) > n_colors // 2
    np.testing.assert_array_equal(labels, expected)


def _cross(values, pick):
    padded = np.pad(values, 1, mode="edge")
    neighbors = [
        padded[:-2, 1:-1],
        padded[2:, 1:-1],
        padded[1:-1, :-2],
        padded[1:-1, 2:],
    ]
    return pick.reduce([values, *neighbors])


def _plain_dither_map(working, plain, extent, strength=1.0):
    """The adaptive method's strength map written plainly, with the constants
    that its docstring gives: edges from second differences, eroded then
    dilated, lifted by 1.5 and scaled by how long each undithered run is."""
    padded = np.pad(working, ((1, 1), (1, 1), (0, 0)), mode="edge")
    centre = 2 * working
    horizontal = np.abs(padded[1:-1, :-2] + padded[1:-1, 2:] - centre).max(axis=-1)
    vertical = np.abs(padded[:-2, 1:-1] + padded[2:, 1:-1] - centre).max(axis=-1)
    edge = np.minimum((3.0 / extent) * np.maximum(horizontal, vertical), 1.0)
    flatness = (1.0 - edge).astype(np.float32)
    flatness = _cross(_cross(flatness, np.minimum), np.maximum)
    height, width = plain.shape
    factor = np.empty((height, width))
    for y in range(height):
        x = 0
        while x < width:
            stop = x + 1
            while stop < width and plain[y, stop] == plain[y, x]:
                stop += 1
            count = 10.0 * (stop - x)
            for row in (y - 1, y + 1):
                if 0 <= row < height:
                    count += 15.0 * np.sum(plain[row, x:stop] == plain[y, x])
            factor[y, x:stop] = 0.8 * strength * (1.0 - 20.0 / (20.0 + count)) / 2.5
            x = stop
    return ((flatness.astype(np.float64) + 1.5) * factor).astype(np.float32)


@pytest.mark.parametrize(
    "color_space, n_colors, strength",
    [("rgb", 16, 1.0), ("rgb", 256, 0.7), ("lab", 64, 1.0)],
)
def test_adaptive_matches_a_plain_implementation(
    china, color_space, n_colors, strength
):
    # The strength map and the limited error, written out in NumPy and Python,
    # must give every pixel the same palette color as the compiled scan.
    image = china[120:184, 180:276]
    _, quantizer = quantize_image(
        image, n_colors, color_space=color_space, random_state=0
    )
    labels = apply_palette(
        image,
        quantizer,
        dither="adaptive",
        dither_strength=strength,
        return_indices=True,
    )
    working = _working_image(image, color_space, 3)
    centers = quantizer.cluster_centers_
    low, high = _box(color_space, centers, 3)
    plain = apply_palette(image, quantizer, return_indices=True)
    strength_map = _plain_dither_map(working, plain, np.max(high - low), strength)
    squared = ((centers[:, None] - centers[None]) ** 2).sum(-1)
    np.fill_diagonal(squared, np.inf)
    limit = (2.0 * np.median(np.sqrt(squared.min(axis=1)))) ** 2
    expected = _plain_floyd_steinberg(working, centers, low, high, strength_map, limit)
    assert len(np.unique(expected)) > n_colors // 2
    assert np.mean(expected != plain) > 0.02  # it does dither
    np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize(
    "shape", [(1, 1), (1, 7), (9, 1), (2, 2), (3, 5), (64, 96), (97, 61)]
)
@pytest.mark.parametrize("as_uint8", [True, False])
@pytest.mark.filterwarnings("ignore:The data has .* distinct colors")
def test_dither_map_matches_a_plain_implementation(china, shape, as_uint8):
    # The compiled map works row by row from rings of rows, with the run totals
    # from prefix sums: every row count, edge and kind of image must give the
    # map that the whole-image NumPy version gives.
    height, width = shape
    image = np.ascontiguousarray(china[100 : 100 + height, 200 : 200 + width])
    _, quantizer = quantize_image(image, 8, random_state=0)
    plain = apply_palette(image, quantizer, return_indices=True).astype(np.int16)
    working = image if as_uint8 else image / 255.0
    extent = 255.0 if as_uint8 else 1.0
    strength = np.full(shape, np.nan, dtype=np.float32)
    _dither_kernels.dither_map(
        np.ascontiguousarray(working), plain, 3.0 / extent, 1.5, 20.0, 0.8, strength
    )
    expected = _plain_dither_map(working.astype(np.float64), plain, extent)
    np.testing.assert_allclose(strength, expected, rtol=1e-6)
    if height * width > 100:
        assert np.ptp(strength) > 0.1  # edges and runs do change it


def _distant_specks(image, dithered, plain):
    """Share of pixels whose dithered color is more than 60 (of 255) farther from
    their own color than the undithered one: the specks people see."""

    def distance(result):
        return np.sqrt(((result.astype(float) - image) ** 2).sum(axis=-1))

    return np.mean(distance(dithered) > distance(plain) + 60)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_adaptive_keeps_plain_psnr_and_raises_tone_without_specks(name):
    from skimage import data

    from sklearn_colorquant.metrics import (
        blurred_peak_signal_noise_ratio,
        peak_signal_noise_ratio,
    )

    image = getattr(data, name)()
    _, quantizer = quantize_image(image, 16, random_state=0)
    plain = apply_palette(image, quantizer)
    adaptive = apply_palette(image, quantizer, dither=True)
    classic = apply_palette(image, quantizer, dither="floyd-steinberg")
    # Within 1.6 dB of the undithered PSNR, and 1.2 dB or more above the
    # classic's grain; the tone (blurred PSNR) better than undithered.
    assert (
        peak_signal_noise_ratio(image, adaptive)
        > peak_signal_noise_ratio(image, plain) - 1.6
    )
    assert (
        peak_signal_noise_ratio(image, adaptive)
        > peak_signal_noise_ratio(image, classic) + 1.2
    )
    assert (
        blurred_peak_signal_noise_ratio(image, adaptive)
        > blurred_peak_signal_noise_ratio(image, plain) + 0.8
    )
    # Distant specks: a tenth of the classic's at most.
    assert _distant_specks(image, classic, plain) > 0.004
    assert (
        _distant_specks(image, adaptive, plain)
        < _distant_specks(image, classic, plain) / 10
    )


def test_adaptive_dithers_a_flat_gray_between_two_colors():
    flat = np.full((64, 64, 3), 100, dtype=np.uint8)
    dithered = apply_palette(flat, _black_and_white(), dither="adaptive")
    # No edges and one long undithered run: diffusion at nearly full strength,
    # 80% of the error passed on, so the mean sits a little towards the color
    # chosen first.
    assert set(np.unique(dithered)) == {0, 255}
    assert abs(dithered.mean() - 100) < 5


def test_true_is_the_adaptive_method(china_16):
    image, quantizer = china_16
    np.testing.assert_array_equal(
        apply_palette(image, quantizer, dither=True),
        apply_palette(image, quantizer, dither="adaptive"),
    )
    np.testing.assert_array_equal(
        apply_palette(image, quantizer, dither=False), apply_palette(image, quantizer)
    )


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
        ({"dither": "adaptive", "dither_strength": -0.1}, "between 0 and 1"),
        ({"dither": "ordered", "dither_strength": 1.5}, "between 0 and 1"),
    ],
)
def test_bad_dithering_options(china_16, params, message):
    image, quantizer = china_16
    with pytest.raises(ValueError, match=message):
        apply_palette(image, quantizer, **params)
