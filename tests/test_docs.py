"""Every public name documents itself with an example that runs (as a doctest)."""

import inspect

import pytest

import sklearn_colorquant
from sklearn_colorquant import ColorQuantizer, datasets, metrics
from sklearn_colorquant.dask import DaskColorQuantizer

PUBLIC = [getattr(sklearn_colorquant, name) for name in sklearn_colorquant.__all__[:-1]]
PUBLIC += [getattr(metrics, name) for name in metrics.__all__]
METHODS = ["fit", "transform", "inverse_transform", "score", "get_feature_names_out"]
PUBLIC += [getattr(ColorQuantizer, name) for name in METHODS]
PUBLIC += [getattr(datasets, name) for name in datasets.__all__]
PUBLIC += [DaskColorQuantizer]
PUBLIC += [getattr(DaskColorQuantizer, name) for name in METHODS[:3]]


@pytest.mark.parametrize("obj", PUBLIC, ids=lambda obj: obj.__qualname__)
def test_public_docstring_has_runnable_examples(obj):
    doc = inspect.getdoc(obj)
    assert doc and "Examples\n--------" in doc and ">>> " in doc
