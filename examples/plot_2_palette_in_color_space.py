"""
======================================
The palette among the pixels, in 3-D
======================================

Each pixel of a photo is a point in color space, and a k-means palette is a set of
cluster centers among them. Here are the pixels of china.jpg and their 32-color
palette, in RGB and in CIELAB, where the palette of ``color_space="lab"`` is learned.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from skimage.color import rgb2lab
from sklearn.datasets import load_sample_image

from sklearn_colorquant import ColorQuantizer

china = load_sample_image("china.jpg")
pixels = china.reshape(-1, 3)
shown = pixels[np.random.default_rng(0).choice(len(pixels), 4000, replace=False)]

spaces = {
    "RGB": (ColorQuantizer(32, random_state=0), lambda colors: colors / 255),
    "CIELAB": (
        ColorQuantizer(32, color_space="lab", random_state=0),
        lambda colors: rgb2lab(colors / 255),
    ),
}
axis_names = {"RGB": ("red", "green", "blue"), "CIELAB": ("L*", "a*", "b*")}

fig = plt.figure(figsize=(12, 5.5))
for position, (name, (quantizer, coordinates)) in enumerate(spaces.items(), start=1):
    quantizer.fit(pixels)
    ax = fig.add_subplot(1, 2, position, projection="3d")
    points, centers = coordinates(shown), coordinates(quantizer.palette_)
    ax.scatter(*points.T, c=shown / 255, s=2, alpha=0.35)
    ax.scatter(*centers.T, c=quantizer.palette_ / 255, s=160, edgecolors="black")
    ax.set_xlabel(axis_names[name][0])
    ax.set_ylabel(axis_names[name][1])
    ax.set_zlabel(axis_names[name][2])
    ax.set_title(f"{name}: 4,000 pixels and the 32-color palette learned there")
fig.tight_layout()
plt.show()
