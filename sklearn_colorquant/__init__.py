"""Color quantization as a scikit-learn estimator."""

from ._image import apply_palette, quantize_image
from ._quantizer import ColorQuantizer

__version__ = "0.1.0"

__all__ = ["ColorQuantizer", "apply_palette", "quantize_image", "__version__"]
