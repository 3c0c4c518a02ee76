import numpy as np
import pytest
from skimage import data
from sklearn.datasets import load_sample_image


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
