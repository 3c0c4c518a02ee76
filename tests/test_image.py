"""quantize_image and apply_palette on images and batches."""

import numpy as np
from skimage import data

from sklearn_colorquant import ColorQuantizer, apply_palette, quantize_image


def _n_distinct(image):
    return len(np.unique(image.reshape(-1, image.shape[-1]), axis=0))


def test_quantize_image_keeps_shape_and_dtype(china):
    quantized, quantizer = quantize_image(china[::2, ::2], n_colors=16, random_state=0)
    assert quantized.shape == china[::2, ::2].shape
    assert quantized.dtype == np.uint8
    assert _n_distinct(quantized) == quantizer.n_colors_ == 16
    assert set(map(tuple, quantized.reshape(-1, 3))) <= set(
        map(tuple, quantizer.palette_)
    )


def test_quantize_batch_shares_one_palette(china, flower):
    batch = np.stack([china[::4, ::4], flower[::4, ::4]])
    quantized, quantizer = quantize_image(batch, n_colors=12, random_state=0)
    assert quantized.shape == batch.shape
    assert _n_distinct(quantized) <= 12
    for image, expected in zip(batch, quantized):
        np.testing.assert_array_equal(apply_palette(image, quantizer), expected)


def test_quantize_float_image(astronaut):
    image = astronaut[::4, ::4] / 255.0
    quantized, quantizer = quantize_image(image, 8, color_space="lab", random_state=0)
    assert quantized.dtype == np.float64
    assert 0 <= quantized.min() and quantized.max() <= 1
    np.testing.assert_allclose(
        quantized,
        quantizer.palette_[apply_palette(image, quantizer, return_indices=True)],
    )


def test_grayscale_image():
    camera = data.camera()[::4, ::4]
    quantized, quantizer = quantize_image(camera, 4, random_state=0)
    assert quantized.shape == camera.shape and quantized.dtype == np.uint8
    assert len(np.unique(quantized)) == 4
    indices = apply_palette(camera, quantizer, return_indices=True)
    assert indices.shape == camera.shape


def test_apply_palette_to_another_image(china, flower):
    _, quantizer = quantize_image(china[::4, ::4], n_colors=8, random_state=0)
    indices = apply_palette(flower, quantizer, return_indices=True)
    assert indices.shape == flower.shape[:2] and indices.max() < 8
    np.testing.assert_array_equal(
        apply_palette(flower, quantizer), quantizer.palette_[indices]
    )
    # Output follows the image's dtype: float images get float colors.
    as_float = apply_palette(flower / 255.0, quantizer)
    np.testing.assert_allclose(as_float * 255, quantizer.palette_[indices], atol=1e-9)


def test_apply_palette_of_an_image_level_quantizer(china):
    batch = np.stack([china[:32, :32], china[32:64, 32:64]])
    quantizer = ColorQuantizer(6, n_channels=3, encode="color", random_state=0)
    colors = quantizer.fit_transform(batch.reshape(2, -1)).reshape(batch.shape)
    # A quantizer fitted on flattened images of one size applies to any image.
    np.testing.assert_array_equal(apply_palette(batch, quantizer), colors)
    assert apply_palette(china, quantizer).shape == china.shape
    assert quantizer.encode == "color" and quantizer.n_channels == 3


def test_apply_palette_takes_a_palette_array(china):
    palette = np.array([[20, 20, 20], [240, 240, 240], [180, 40, 30]], np.uint8)
    image = china[:60, :80]
    indices = apply_palette(image, palette, return_indices=True)
    distances = ((image[:, :, None, :].astype(int) - palette.astype(int)) ** 2).sum(-1)
    np.testing.assert_array_equal(indices, distances.argmin(axis=-1))
    np.testing.assert_array_equal(apply_palette(image, palette), palette[indices])
    # The same palette on the unit scale maps a float image the same way.
    unit = apply_palette(image / 255.0, palette / 255.0, return_indices=True)
    np.testing.assert_array_equal(unit, indices)
