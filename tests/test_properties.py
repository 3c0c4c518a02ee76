"""Properties that hold for any image, dtype and parameters (hypothesis)."""

import warnings

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.cluster import KMeans

from sklearn_colorquant import ColorQuantizer

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def images(draw):
    n_pixels = draw(st.integers(1, 300))
    dtype = draw(st.sampled_from([np.uint8, np.uint16, np.float32, np.float64]))
    if np.dtype(dtype).kind == "f":
        elements = st.floats(0, 1, width=32 if dtype == np.float32 else 64)
    else:
        elements = st.integers(0, 255 if dtype == np.uint8 else 65535)
    # Few distinct levels make repeated colors and ties likely.
    levels = draw(st.sampled_from([None, 4]))
    pixels = draw(arrays(dtype, (n_pixels, 3), elements=elements))
    if levels:
        top = 1.0 if np.dtype(dtype).kind == "f" else np.iinfo(dtype).max
        pixels = (np.round(pixels / top * (levels - 1)) / (levels - 1) * top).astype(
            dtype
        )
    return pixels


def _fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ColorQuantizer(**params).fit(X)


@SETTINGS
@given(
    X=images(),
    n_colors=st.integers(1, 12),
    codebook=st.sampled_from(["kmeans", "minibatch", "random"]),
    color_space=st.sampled_from(["rgb", "lab"]),
    seed=st.integers(0, 2**16),
)
# Subnormal colors whose squared distance underflows to 0: merged in fit.
@example(
    X=np.array([[2.22507386e-313, 0, 0], [0, 0, 0]]),
    n_colors=2,
    codebook="kmeans",
    color_space="rgb",
    seed=0,
)
@example(
    X=np.array([[1e-300, 0, 0], [0, 0, 0]]),
    n_colors=2,
    codebook="random",
    color_space="rgb",
    seed=0,
)
def test_quantizer_invariants(X, n_colors, codebook, color_space, seed):
    params = {"n_colors": n_colors, "codebook": codebook, "color_space": color_space}
    quantizer = _fit(X, random_state=seed, **params)
    indices = quantizer.transform(X)
    assert indices.min() >= 0 and indices.max() < quantizer.n_colors_ <= n_colors
    colors = quantizer.inverse_transform(indices)
    assert colors.dtype == X.dtype
    palette = {tuple(color) for color in quantizer.palette_}
    assert {tuple(color) for color in colors} <= palette
    # Quantizing the quantized pixels with the same palette changes nothing.
    np.testing.assert_array_equal(
        quantizer.inverse_transform(quantizer.transform(colors)), colors
    )
    # A pixel equal to a palette color maps to that color.
    np.testing.assert_array_equal(
        quantizer.transform(quantizer.palette_)[:, 0], np.arange(quantizer.n_colors_)
    )
    # The same random_state gives the same result.
    again = _fit(X, random_state=seed, **params)
    np.testing.assert_array_equal(again.palette_, quantizer.palette_)


@SETTINGS
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(20, 300), st.just(3)),
        elements=st.floats(0, 1),
    ),
    n_colors=st.integers(2, 8),
    seed=st.integers(0, 2**16),
)
def test_kmeans_refinement_never_scores_worse_than_its_start(X, n_colors, seed):
    start = _fit(X, n_colors=n_colors, codebook="random", random_state=seed).palette_
    fixed = _fit(X, codebook=start)
    refined = _fit(
        X, n_colors=len(start), codebook=KMeans(len(start), init=start, n_init=1)
    )
    assert refined.score(X) >= fixed.score(X) - 1e-12
