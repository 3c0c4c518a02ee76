"""
==================
Codebooks compared
==================

The same photo reduced to a palette four ways: k-means (the default), mini-batch
k-means, colors drawn at random (the baseline of the classic example), and a fixed
web-safe palette of 216 colors, which needs no fit at all.
"""

# %%
from time import perf_counter

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image

from sklearn_colorquant import ColorQuantizer
from sklearn_colorquant.metrics import peak_signal_noise_ratio

china = load_sample_image("china.jpg")
pixels = china.reshape(-1, 3)
levels = np.arange(0, 256, 51)
web_safe = (
    np.array(np.meshgrid(levels, levels, levels)).reshape(3, -1).T.astype(np.uint8)
)

codebooks = {
    "k-means, 64 colors": ColorQuantizer(64, random_state=0),
    "mini-batch k-means, 64 colors": ColorQuantizer(
        64, codebook="minibatch", random_state=0
    ),
    "random, 64 colors": ColorQuantizer(64, codebook="random", random_state=0),
    "web-safe, 216 colors": ColorQuantizer(codebook=web_safe),
}

fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
for ax, (name, quantizer) in zip(axes.ravel(), codebooks.items()):
    start = perf_counter()
    quantized = quantizer.fit(pixels).inverse_transform(quantizer.transform(pixels))
    seconds = perf_counter() - start
    quantized = quantized.reshape(china.shape)
    psnr = peak_signal_noise_ratio(china, quantized)
    print(f"{name}: PSNR {psnr:.2f} dB, fit and transform in {seconds:.3f} s")
    ax.imshow(quantized)
    ax.set_title(f"{name}\nPSNR {psnr:.1f} dB, {seconds:.2f} s")
    ax.set_axis_off()
fig.tight_layout()
plt.show()
