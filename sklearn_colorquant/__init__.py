"""Color quantization as a scikit-learn estimator."""

import importlib

__version__ = "0.1.0"

# Public name -> the private module that defines it. Loaded on first use, as
# scikit-image and SciPy load theirs: ``import sklearn_colorquant`` does not
# import scikit-learn, so a process that only needs the compiled kernels (the
# helper in ``_compile_ahead``) starts in a fraction of a second.
_DEFINED_IN = {
    "ColorHistogram": "_histogram",
    "ColorQuantizer": "_quantizer",
    "apply_palette": "_image",
    "load_palette": "_io",
    "quantize_animation": "_batch",
    "quantize_image": "_image",
    "quantize_images": "_batch",
    "read_frames": "_io",
    "read_image": "_io",
    "save_indexed_frames": "_io",
    "save_indexed_image": "_io",
    "save_palette": "_io",
}

__all__ = [*_DEFINED_IN, "__version__"]


def __getattr__(name):
    if name not in _DEFINED_IN:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_DEFINED_IN[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_DEFINED_IN})
