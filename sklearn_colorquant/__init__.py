"""Color quantization as a scikit-learn estimator."""

import importlib

__version__ = "0.1.0"

# Public name -> the private module that defines it. Loaded on first use, as
# scikit-image and SciPy load theirs: ``import sklearn_colorquant`` does not
# import scikit-learn, so that the command line, which needs only NumPy, Pillow
# and the compiled kernels, starts in a fraction of a second.
_DEFINED_IN = {
    "ColorHistogram": "_histogram",
    "ColorQuantizer": "_quantizer",
    "apply_palette": "_image",
    "load_palette": "_io",
    "plot_palette_3d": "_plotting",
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
    try:
        module = importlib.import_module(f".{_DEFINED_IN[name]}", __name__)
    except ImportError as error:
        if "_kernels" not in str(error):
            raise
        raise ImportError(
            f"{error}. The compiled kernels are built when the package is "
            f"installed, and this copy ({__path__[0]}) has none: it is a source "
            "tree. Install it (pip install .) and run from another folder, or "
            "install it in editable mode (pip install meson-python meson ninja "
            "cython numpy && pip install --no-build-isolation -e .)."
        ) from error
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_DEFINED_IN})
