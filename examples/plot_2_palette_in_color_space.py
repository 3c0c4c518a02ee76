"""
======================================
The palette among the pixels, in 3-D
======================================

Each pixel of a photo is a point in color space, and a k-means palette is a set of
cluster centers among them. Here are the pixels of china.jpg and their 32-color
palette, in RGB and in CIELAB, where the palette of ``color_space="lab"`` is learned,
drawn by :func:`~sklearn_colorquant.plot_palette_3d`: first as a static matplotlib
figure, then as an interactive plotly one that turns, zooms and names each palette
color and its share of the pixels on hover (``pip install
"sklearn-colorquant[plot]"``).
"""

# %%
# Static: matplotlib
# ------------------
import matplotlib.pyplot as plt
from sklearn.datasets import load_sample_image

from sklearn_colorquant import ColorQuantizer, plot_palette_3d

china = load_sample_image("china.jpg")
pixels = china.reshape(-1, 3)

in_rgb = ColorQuantizer(32, random_state=0).fit(pixels)
in_lab = ColorQuantizer(32, color_space="lab", random_state=0).fit(pixels)

fig = plt.figure(figsize=(12, 5.5))
for position, quantizer in enumerate((in_rgb, in_lab), start=1):
    ax = fig.add_subplot(1, 2, position, projection="3d")
    # Each palette is shown in the space where it was learned.
    plot_palette_3d(quantizer, china, ax=ax, random_state=0)
fig.tight_layout()
plt.show()

# %%
# Interactive: plotly
# -------------------
# The same RGB palette and 4,000 of the pixels; drag to turn, scroll to zoom, and
# hover over a large dot for its color code and the share of the pixels it takes.
plot_palette_3d(in_rgb, china, backend="plotly", random_state=0)
