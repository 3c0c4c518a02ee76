"""The examples in the docstrings run, on the installed package, as written."""

import doctest
import importlib
import pkgutil

import pytest

import sklearn_colorquant

MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(
        sklearn_colorquant.__path__, prefix="sklearn_colorquant."
    )
    if not info.name.rsplit(".", 1)[1].endswith("_kernels")
)


def test_every_module_is_listed():
    # A module missing from the installed package (left out of meson.build)
    # would lose its examples silently.
    assert "sklearn_colorquant._quantizer" in MODULES
    assert "sklearn_colorquant.metrics" in MODULES
    assert len(MODULES) >= 20


@pytest.mark.parametrize("name", ["sklearn_colorquant", *MODULES])
def test_docstring_examples(name):
    if name == "sklearn_colorquant.dask":
        pytest.importorskip("dask")
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner()
    for test in finder.find(module, name):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} failed"
