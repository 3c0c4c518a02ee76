import os
import sys
from pathlib import Path

import numpy as np
import pytest
from skimage import data
from sklearn.datasets import load_sample_image

# The tests run on the installed package: its kernels are compiled, and the
# source tree's are not. ``python -m pytest`` puts the current folder first on
# sys.path, where the source tree's copy would shadow the installed one; an
# editable install's loader comes first whatever the path holds.
_SOURCE_TREE = Path(__file__).resolve().parents[1]
sys.path[:] = [
    entry for entry in sys.path if Path(entry or os.curdir).resolve() != _SOURCE_TREE
]


@pytest.fixture(scope="session", autouse=True)
def _outside_the_source_tree(tmp_path_factory):
    """Tests and the processes they start run in a folder of their own, where
    ``python -c`` and ``python -m`` import the installed package too."""
    previous = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    os.chdir(previous)


@pytest.fixture(scope="session")
def china():
    return load_sample_image("china.jpg")


@pytest.fixture(scope="session")
def flower():
    return load_sample_image("flower.jpg")


@pytest.fixture(scope="session")
def astronaut():
    return data.astronaut()


@pytest.fixture(scope="session")
def china_pixels(china):
    """Every other row and column of china.jpg, one pixel per row (uint8)."""
    return np.ascontiguousarray(china[::2, ::2]).reshape(-1, 3)
