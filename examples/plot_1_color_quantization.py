"""
==================================
Color quantization of a photograph
==================================

scikit-learn's classic example, with :class:`sklearn_colorquant.ColorQuantizer`:
the Summer Palace photo (``china.jpg``) reduced from 96,615 colors to 64, with a
k-means palette and with a palette of colors drawn at random.
"""

# %%
# Quantize with both codebooks and time them.
from time import perf_counter

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image

from sklearn_colorquant import ColorQuantizer

china = load_sample_image("china.jpg")
pixels = china.reshape(-1, 3)
print(f"{len(np.unique(pixels, axis=0)):,} distinct colors")

quantized = {}
for codebook in ("kmeans", "random"):
    start = perf_counter()
    quantizer = ColorQuantizer(64, codebook=codebook, random_state=0).fit(pixels)
    indices = quantizer.transform(pixels)
    print(f"{codebook}: fit and transform in {perf_counter() - start:.2f} s")
    quantized[codebook] = quantizer.inverse_transform(indices).reshape(china.shape)

# %%
# The original beside both quantized images.
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for ax, (title, image) in zip(
    axes,
    [("Original (96,615 colors)", china)]
    + [(f"{name} palette, 64 colors", image) for name, image in quantized.items()],
):
    ax.imshow(image)
    ax.set_title(title)
    ax.set_axis_off()
plt.show()
