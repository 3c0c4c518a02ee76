"""Color quantization as a scikit-learn estimator."""

from ._batch import quantize_animation, quantize_images
from ._histogram import ColorHistogram
from ._image import apply_palette, quantize_image
from ._io import (
    load_palette,
    read_frames,
    read_image,
    save_indexed_frames,
    save_indexed_image,
    save_palette,
)
from ._quantizer import ColorQuantizer

__version__ = "0.1.0"

__all__ = [
    "ColorHistogram",
    "ColorQuantizer",
    "apply_palette",
    "load_palette",
    "quantize_animation",
    "quantize_image",
    "quantize_images",
    "read_frames",
    "read_image",
    "save_indexed_frames",
    "save_indexed_image",
    "save_palette",
    "__version__",
]
