"""plot_palette_3d: the palette and the pixels where they are, with either backend."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from skimage.color import rgb2lab  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

from sklearn_colorquant import ColorQuantizer, plot_palette_3d  # noqa: E402

go = pytest.importorskip("plotly.graph_objects")


@pytest.fixture(scope="module")
def fitted(china):
    image = china[::4, ::4]
    quantizer = ColorQuantizer(12, random_state=0).fit(image.reshape(-1, 3))
    return quantizer, image


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _rows(points):
    return {tuple(np.round(point, 6)) for point in np.asarray(points, dtype=float)}


def test_matplotlib_places_the_palette_and_a_sample_of_pixels_in_rgb(fitted):
    quantizer, image = fitted
    ax = plot_palette_3d(quantizer, image, n_pixels=500, random_state=0)
    pixels, palette = ax.collections
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_zlabel()) == (
        "red", "green", "blue",
    )  # fmt: skip
    assert ax.get_title() == "500 pixels and 12 palette colors in RGB"
    xs, ys, zs = palette._offsets3d
    assert _rows(np.column_stack([xs, ys, zs])) == _rows(quantizer.palette_)
    # Each palette point has its own color, once drawn (before, matplotlib
    # 3.11 holds one face color fewer than the points).
    ax.figure.canvas.draw()
    shown = {to_hex(color) for color in palette.get_facecolors()}
    assert shown == {
        "#{:02x}{:02x}{:02x}".format(*color) for color in quantizer.palette_
    }
    xs, ys, zs = pixels._offsets3d
    drawn = np.column_stack([xs, ys, zs])
    assert len(drawn) == 500
    # Pixels of the image, without repeats of one pixel.
    assert _rows(drawn) <= _rows(image.reshape(-1, 3))


def test_plotly_is_interactive_with_the_same_points_and_hover_shares(fitted):
    quantizer, image = fitted
    figure = plot_palette_3d(quantizer, image, backend="plotly", random_state=0)
    assert isinstance(figure, go.Figure)
    pixels, palette = figure.data
    assert (pixels.name, palette.name) == ("pixels", "palette")
    assert isinstance(palette, go.Scatter3d) and palette.mode == "markers"
    assert _rows(np.column_stack([palette.x, palette.y, palette.z])) == _rows(
        quantizer.palette_
    )
    codes = ["#{:02x}{:02x}{:02x}".format(*color) for color in quantizer.palette_]
    assert list(palette.marker.color) == codes
    shares = quantizer.palette_frequencies_
    assert list(palette.text) == [
        f"{code}, {share:.1%} of pixels" for code, share in zip(codes, shares)
    ]
    assert len(pixels.x) == 4000 and pixels.hoverinfo == "skip"
    assert figure.layout.scene.xaxis.title.text == "red"
    # It serializes to a page that plotly.js draws.
    html = figure.to_html(include_plotlyjs=False, full_html=False)
    assert "scatter3d" in html


@pytest.mark.parametrize("backend", ["matplotlib", "plotly"])
def test_a_perceptual_space_places_points_at_their_coordinates(fitted, backend):
    quantizer, image = fitted
    shown = plot_palette_3d(
        quantizer, image, color_space="lab", backend=backend, random_state=0
    )
    expected = rgb2lab(quantizer.palette_[None] / 255.0)[0]
    if backend == "plotly":
        palette = shown.data[1]
        points = np.column_stack([palette.x, palette.y, palette.z])
        assert shown.layout.scene.xaxis.title.text == "L*"
    else:
        points = np.column_stack(shown.collections[1]._offsets3d)
        assert shown.get_xlabel() == "L*" and shown.get_title().endswith("CIELAB")
    np.testing.assert_allclose(points, expected, atol=1e-6)


def test_a_quantizers_own_space_is_the_default(china):
    pixels = china[::8, ::8].reshape(-1, 3)
    quantizer = ColorQuantizer(6, color_space="lab", random_state=0).fit(pixels)
    ax = plot_palette_3d(quantizer)
    assert ax.get_xlabel() == "L*" and len(ax.collections[0]._offsets3d[0]) == 0
    assert plot_palette_3d(quantizer, color_space="rgb").get_xlabel() == "red"


def test_a_palette_given_as_colors_and_float_images(astronaut):
    palette = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    image = astronaut[::8, ::8] / 255.0
    figure = plot_palette_3d(palette, image, backend="plotly", n_pixels=100)
    assert list(figure.data[1].marker.color) == ["#ff0000", "#0000ff", "#ffffff"]
    assert list(figure.data[1].x) == [255.0, 0.0, 255.0]
    assert len(figure.data[0].x) == 100
    assert list(figure.data[1].text) == ["#ff0000", "#0000ff", "#ffffff"]


def test_the_sample_follows_random_state_and_skips_transparent_pixels(fitted):
    quantizer, image = fitted
    first = plot_palette_3d(quantizer, image, backend="plotly", random_state=3)
    again = plot_palette_3d(quantizer, image, backend="plotly", random_state=3)
    other = plot_palette_3d(quantizer, image, backend="plotly", random_state=4)
    assert list(first.data[0].x) == list(again.data[0].x)
    assert list(first.data[0].x) != list(other.data[0].x)
    rgba = np.dstack([image, np.zeros(image.shape[:2], np.uint8)])
    rgba[:10, :, 3] = 255
    figure = plot_palette_3d(quantizer, rgba, backend="plotly", n_pixels=10**6)
    assert len(figure.data[0].x) == 10 * image.shape[1]


def test_drawing_on_given_axes(fitted):
    quantizer, image = fitted
    figure = plt.figure()
    ax = figure.add_subplot(1, 2, 2, projection="3d")
    assert plot_palette_3d(quantizer, image, ax=ax) is ax
    with pytest.raises(ValueError, match="ax must be 3-D axes"):
        plot_palette_3d(quantizer, image, ax=figure.add_subplot(1, 2, 1))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"backend": "bokeh"}, ValueError, r"backend must be one of \['matplotlib'"),
        ({"backend": "plotly", "ax": object()}, ValueError, "ax is for the matplotl"),
        ({"color_space": "hsv"}, ValueError, "color_space must be one of"),
        ({"n_pixels": -1}, ValueError, "n_pixels must be 0 or more"),
        ({"n_pixels": 2.5}, ValueError, "n_pixels must be a whole number"),
        ({"n_pixels": True}, ValueError, "n_pixels must be a whole number"),
    ],
)
def test_bad_options_are_named(fitted, kwargs, error, message):
    quantizer, image = fitted
    with pytest.raises(error, match=message):
        plot_palette_3d(quantizer, image, **kwargs)


def test_bad_palettes_and_pixels_are_named(fitted, china):
    quantizer, image = fitted
    with pytest.raises(NotFittedError):
        plot_palette_3d(ColorQuantizer(4), image)
    with pytest.raises(ValueError, match=r"must hold RGB colors.*shape \(4, 1\)"):
        plot_palette_3d(np.zeros((4, 1), np.uint8))
    with pytest.raises(ValueError, match="X must be an RGB or RGBA image"):
        plot_palette_3d(quantizer, image[..., 0])
    with pytest.raises(ValueError, match="must be on one scale"):
        plot_palette_3d(quantizer, image / 255.0)
    with pytest.raises(ValueError, match=r"\[0, 1\]|range"):
        plot_palette_3d(np.array([[2.0, 0.0, 0.0]]))
    nan = image.astype(float) / 255
    nan[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN|finite"):
        plot_palette_3d(np.array([[1.0, 0.0, 0.0]]), nan)
