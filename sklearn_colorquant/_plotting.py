"""A palette among the pixels it stands for, in a 3-D color space: a static
matplotlib figure, or an interactive plotly one."""

import numpy as np

from ._color_spaces import check_image_range, color_space_of, full_scale, to_unit
from ._learn import check_random_state

BACKENDS = ("matplotlib", "plotly")

# The axes of each 3-D space, in the order its coordinates come.
_AXIS_NAMES = {
    "rgb": ("red", "green", "blue"),
    "lab": ("L*", "a*", "b*"),
    "luv": ("L*", "u*", "v*"),
    "ycbcr": ("Y", "Cb", "Cr"),
    "oklab": ("L", "a", "b"),
}
_TITLES = {
    "rgb": "RGB",
    "lab": "CIELAB",
    "luv": "CIELUV",
    "ycbcr": "YCbCr",
    "oklab": "OkLab",
}


def plot_palette_3d(
    palette,
    X=None,
    *,
    color_space=None,
    n_pixels=4000,
    backend="matplotlib",
    ax=None,
    random_state=None,
):
    """Plot a palette among an image's pixels, as points in a 3-D color space.

    Each pixel is a small dot of its own color; each palette color is a large
    one with a black edge. In RGB the axes are the channels on the 0-255 scale;
    in a perceptual space (CIELAB, ...) they are its coordinates, where
    distances are the ones that ``color_space`` clusters by.

    Parameters
    ----------
    palette : ColorQuantizer or array-like of shape (n_colors, 3)
        A fitted :class:`ColorQuantizer`, whose ``palette_`` is shown (and the
        share of the pixels each color takes, on hover with plotly), or RGB
        colors: uint8 (0-255), uint16 (0-65535) or floats in [0, 1]. A fourth
        (alpha) channel is dropped.
    X : array-like of shape (height, width, 3), (n_pixels, 3) or None
        The image or pixels to show around the palette, in the same scale as
        the palette's colors; RGBA pixels that are fully transparent are left
        out. None shows the palette alone.
    color_space : {"rgb", "lab", "luv", "ycbcr", "oklab"}, default=None
        Where to place the points. None: the quantizer's own working space
        (``color_space_``; RGB for one of more than 3 coordinates), and RGB for
        a palette given as colors.
    n_pixels : int, default=4000
        At most this many pixels of ``X``, drawn at random without replacement:
        a scatter of every pixel of a photo is slow to draw and no clearer.
    backend : {"matplotlib", "plotly"}, default="matplotlib"
        ``"matplotlib"`` draws a static figure; ``"plotly"`` an interactive one
        that turns, zooms and names each palette color on hover (install
        ``sklearn-colorquant[plot]``).
    ax : matplotlib 3-D Axes, default=None
        Axes to draw on (matplotlib only), made with ``projection="3d"``; None
        makes a new figure.
    random_state : int, RandomState instance or None, default=None
        Which pixels are shown, for a reproducible figure.

    Returns
    -------
    figure : matplotlib Axes3D or plotly.graph_objects.Figure
        The axes drawn on (matplotlib), or the figure (plotly), to show or
        change further.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_sample_image
    >>> from sklearn_colorquant import ColorQuantizer, plot_palette_3d
    >>> china = load_sample_image("china.jpg")[::4, ::4]
    >>> quantizer = ColorQuantizer(8, random_state=0).fit(china.reshape(-1, 3))
    >>> ax = plot_palette_3d(quantizer, china, random_state=0)
    >>> ax.get_xlabel(), len(ax.collections)
    ('red', 2)
    >>> figure = plot_palette_3d(quantizer, china, backend="plotly")
    >>> [trace.name for trace in figure.data]
    ['pixels', 'palette']
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}.")
    if ax is not None and backend != "matplotlib":
        raise ValueError("ax is for the matplotlib backend; plotly makes its figure.")
    if isinstance(n_pixels, bool) or not isinstance(n_pixels, (int, np.integer)):
        raise ValueError(f"n_pixels must be a whole number, got {n_pixels!r}.")
    if n_pixels < 0:
        raise ValueError(f"n_pixels must be 0 or more, got {n_pixels}.")
    colors, frequencies, own_space = _palette_colors(palette)
    if color_space is None and own_space not in _AXIS_NAMES:
        # A working space of more than 3 coordinates (RGB beside CIELAB) shows in
        # the first of them, RGB.
        own_space = "rgb"
    space_name = own_space if color_space is None else color_space
    space = color_space_of(space_name)
    if space.name not in _AXIS_NAMES:
        raise ValueError(
            f"color_space must be one of {sorted(_AXIS_NAMES)} to plot in 3-D, "
            f"got {space_name!r}."
        )
    pixels = _shown_pixels(X, colors.dtype, n_pixels, random_state)
    scene = _Scene(space, colors, frequencies, pixels)
    if backend == "plotly":
        return _plotly(scene)
    return _matplotlib(scene, ax)


def _palette_colors(palette):
    """``(colors, frequencies or None, color space name)`` of what was given."""
    if hasattr(palette, "get_params") and hasattr(palette, "fit"):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(palette, "palette_")
        colors = np.asarray(palette.palette_)
        frequencies = getattr(palette, "palette_frequencies_", None)
        space = getattr(palette, "color_space_", palette.color_space)
    else:
        colors = np.asarray(palette)
        frequencies, space = None, "rgb"
    if colors.ndim != 2 or colors.shape[1] not in (3, 4) or len(colors) == 0:
        raise ValueError(
            "The palette must hold RGB colors, shape (n_colors, 3) (or RGBA, "
            f"whose alpha is dropped), got shape {colors.shape}."
        )
    check_image_range(colors)
    return colors[:, :3], frequencies, space


def _shown_pixels(X, dtype, n_pixels, random_state):
    """At most ``n_pixels`` visible pixels of ``X``, as RGB of the palette's
    dtype, drawn without replacement."""
    if X is None:
        return np.empty((0, 3), dtype=dtype)
    pixels = np.asarray(X)
    if pixels.ndim not in (2, 3) or pixels.shape[-1] not in (3, 4):
        raise ValueError(
            "X must be an RGB or RGBA image (height, width, 3 or 4) or pixels "
            f"(n_pixels, 3 or 4), got shape {pixels.shape}."
        )
    check_image_range(pixels)
    if full_scale(pixels.dtype) != full_scale(dtype):
        raise ValueError(
            f"X ({pixels.dtype}) and the palette ({dtype}) must be on one scale: "
            "0-255 for uint8, 0-65535 for uint16, [0, 1] for floats."
        )
    pixels = pixels.reshape(-1, pixels.shape[-1])
    if pixels.shape[1] == 4:
        pixels = pixels[pixels[:, 3] > 0, :3]
    if len(pixels) > n_pixels:
        rng = check_random_state(random_state)
        pixels = pixels[np.sort(rng.choice(len(pixels), n_pixels, replace=False))]
    return pixels


class _Scene:
    """Coordinates and display colors of the pixels and the palette."""

    def __init__(self, space, colors, frequencies, pixels):
        self.axis_names = _AXIS_NAMES[space.name]
        self.space = space
        self.palette_rgb = np.clip(to_unit(colors, colors.dtype), 0, 1)
        self.pixel_rgb = np.clip(to_unit(pixels, colors.dtype), 0, 1)
        self.palette_xyz = self._coordinates(self.palette_rgb)
        self.pixel_xyz = self._coordinates(self.pixel_rgb)
        self.frequencies = frequencies
        self.hex_codes = [
            "#{:02x}{:02x}{:02x}".format(*np.round(color * 255).astype(int))
            for color in self.palette_rgb
        ]

    def _coordinates(self, unit_rgb):
        if len(unit_rgb) == 0:
            return np.empty((0, 3))
        if self.space.from_rgb is None:
            return unit_rgb * 255.0
        return self.space.to_working(unit_rgb, np.float64)

    def title(self):
        shown = f"{len(self.pixel_xyz):,} pixels and " if len(self.pixel_xyz) else ""
        return (
            f"{shown}{len(self.palette_xyz)} palette colors in "
            f"{_TITLES[self.space.name]}"
        )


def _matplotlib(scene, ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "plot_palette_3d needs matplotlib: pip install 'sklearn-colorquant[plot]'"
        ) from error
    if ax is None:
        ax = plt.figure(figsize=(6.5, 6)).add_subplot(projection="3d")
    elif getattr(ax, "name", None) != "3d":
        raise ValueError("ax must be 3-D axes: add_subplot(projection='3d').")
    ax.scatter(*scene.pixel_xyz.T, c=scene.pixel_rgb, s=2, alpha=0.35, label="pixels")
    ax.scatter(
        *scene.palette_xyz.T, c=scene.palette_rgb, s=140, edgecolors="black",
        depthshade=False, label="palette",
    )  # fmt: skip
    for set_label, name in zip((ax.set_xlabel, ax.set_ylabel, ax.set_zlabel),
                               scene.axis_names):  # fmt: skip
        set_label(name)
    ax.set_title(scene.title())
    return ax


def _plotly(scene):
    try:
        import plotly.graph_objects as go
    except ImportError as error:
        raise ImportError(
            "backend='plotly' needs plotly: pip install 'sklearn-colorquant[plot]'"
        ) from error
    names = scene.axis_names
    hover = list(scene.hex_codes)
    if scene.frequencies is not None:
        hover = [f"{code}, {share:.1%} of pixels" for code, share in
                 zip(hover, scene.frequencies)]  # fmt: skip
    figure = go.Figure(
        [
            go.Scatter3d(
                x=scene.pixel_xyz[:, 0], y=scene.pixel_xyz[:, 1],
                z=scene.pixel_xyz[:, 2], mode="markers", name="pixels",
                marker={"size": 2, "color": _css(scene.pixel_rgb), "opacity": 0.5},
                hoverinfo="skip",
            ),
            go.Scatter3d(
                x=scene.palette_xyz[:, 0], y=scene.palette_xyz[:, 1],
                z=scene.palette_xyz[:, 2], mode="markers", name="palette",
                marker={"size": 9, "color": scene.hex_codes,
                        "line": {"color": "black", "width": 2}},
                text=hover, hovertemplate="%{text}<extra></extra>",
            ),
        ],
    )  # fmt: skip
    figure.update_layout(
        title=scene.title(),
        scene={"xaxis_title": names[0], "yaxis_title": names[1],
               "zaxis_title": names[2]},
        margin={"l": 0, "r": 0, "b": 0, "t": 40},
        # A page that embeds the figure gives it no height of its own.
        height=600,
    )  # fmt: skip
    return figure


def _css(unit_rgb):
    values = np.round(unit_rgb * 255).astype(int)
    return [f"rgb({r},{g},{b})" for r, g, b in values]
