"""Writing quantized images as indexed (palette) files."""

import numpy as np
from PIL import Image


def save_indexed_image(path, indices, palette):
    """Write an indexed PNG or GIF: one palette index per pixel, the palette embedded.

    Parameters
    ----------
    path : str or path-like
        Output file; the format follows the extension (``.png``, ``.gif``).
    indices : ndarray of shape (H, W)
        Palette index of each pixel, below ``len(palette)``.
    palette : ndarray of shape (k, 3), uint8
        RGB palette, at most 256 colors.
    """
    palette = np.asarray(palette)
    if palette.ndim != 2 or palette.shape[1] != 3 or palette.dtype != np.uint8:
        raise ValueError(
            f"An indexed file needs a uint8 RGB palette of shape (k, 3), got dtype "
            f"{palette.dtype} and shape {palette.shape}."
        )
    if len(palette) > 256:
        raise ValueError(
            f"Indexed PNG and GIF files hold at most 256 colors, got {len(palette)}."
        )
    indices = np.ascontiguousarray(indices, dtype=np.uint8)
    height, width = indices.shape
    image = Image.frombytes("P", (width, height), indices.tobytes())
    # Pillow picks the PNG bit depth (1, 2, 4 or 8) from the palette's length.
    image.putpalette(palette.ravel().tolist())
    image.save(path, optimize=True)
