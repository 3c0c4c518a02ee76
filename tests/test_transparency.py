"""RGBA in, RGBA out: transparency kept, and carried into the indexed PNG."""

import numpy as np
import pytest
from skimage import data

from sklearn_colorquant import (
    apply_palette,
    quantize_image,
    read_image,
    save_indexed_image,
)


@pytest.fixture(scope="module")
def astronaut_rgba():
    rgb = data.astronaut()[::2, ::2]
    alpha = np.full(rgb.shape[:2], 255, dtype=np.uint8)
    alpha[:, :64] = 0  # a transparent band, whose RGB is noise
    alpha[:, 64:96] = 128  # and a half-transparent one
    rgba = np.dstack([rgb, alpha])
    rgba[:, :64, :3] = np.random.default_rng(0).integers(0, 256, (rgb.shape[0], 64, 3))
    return rgba


def test_transparent_pixels_stay_transparent_and_take_no_color(astronaut_rgba):
    quantized, quantizer = quantize_image(astronaut_rgba, 16, random_state=0)
    assert quantized.shape == astronaut_rgba.shape and quantized.dtype == np.uint8
    transparent = astronaut_rgba[..., 3] == 0
    assert (quantized[transparent] == 0).all()
    # All 16 palette colors went to visible pixels, none to the noise band.
    assert quantizer.n_colors_ == 16 and (quantizer.palette_[:, 3] > 0).all()
    visible = quantized[~transparent]
    assert set(np.unique(visible[:, 3])) <= {128, 255} | set(quantizer.palette_[:, 3])
    indices = apply_palette(astronaut_rgba, quantizer, return_indices=True)
    assert (indices[transparent] == quantizer.n_colors_).all()
    assert (indices[~transparent] < quantizer.n_colors_).all()


def test_partial_alpha_is_quantized_with_the_color(astronaut_rgba):
    quantized, _ = quantize_image(astronaut_rgba, 16, random_state=0)
    band = quantized[:, 64:96, 3]
    assert abs(band.astype(float).mean() - 128) < 16


def test_rgba_to_indexed_png_with_alpha_table(tmp_path, astronaut_rgba):
    quantized, quantizer = quantize_image(astronaut_rgba, 16, random_state=0)
    indices = apply_palette(astronaut_rgba, quantizer, return_indices=True)
    palette = np.vstack([quantizer.palette_, [[0, 0, 0, 0]]]).astype(np.uint8)
    save_indexed_image(
        tmp_path / "rgba.png", indices, palette[:, :3], alpha=palette[:, 3]
    )
    np.testing.assert_array_equal(read_image(tmp_path / "rgba.png"), quantized)


def test_rgba_needs_rgb_space(astronaut_rgba):
    with pytest.raises(
        ValueError, match="RGBA images are quantized with color_space='rgb'"
    ):
        quantize_image(astronaut_rgba, 8, color_space="lab")
    with pytest.raises(ValueError, match="fully transparent"):
        quantize_image(np.zeros((4, 4, 4), dtype=np.uint8), 8)
