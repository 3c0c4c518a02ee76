"""
=========================================================
Turning an image dataset into tokens, and back
=========================================================

Generative models of images such as ImageGPT read an image as a sequence of
tokens: every pixel replaced by the index of its color in one palette shared by
the whole dataset (512 colors there). That is a
:class:`~sklearn_colorquant.ColorQuantizer` with ``n_channels=3``: ``fit``
learns the dataset-wide palette from every pixel of every image, ``transform``
gives each image its token sequence, and ``inverse_transform`` turns tokens back
into pixels. Because the palette comes most-used color first, token 0 is the
commonest color of the dataset.

This example tokenizes 1,000 crops of 32x32 pixels and compares the time with
:class:`~sklearn.cluster.MiniBatchKMeans`, the usual way to learn such a palette.
"""

# %%
# The dataset: 32x32 crops at random places of six shipped photos.
import time

import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from sklearn.cluster import MiniBatchKMeans
from sklearn.datasets import load_sample_image

from sklearn_colorquant import ColorQuantizer

photos = [
    load_sample_image("china.jpg"),
    load_sample_image("flower.jpg"),
    data.astronaut(),
    data.coffee(),
    data.chelsea(),
    data.rocket(),
]
rng = np.random.default_rng(0)
crops = []
for index in range(1000):
    photo = photos[index % len(photos)]
    top = rng.integers(0, photo.shape[0] - 32)
    left = rng.integers(0, photo.shape[1] - 32)
    crops.append(photo[top : top + 32, left : left + 32])
crops = np.stack(crops)
X = crops.reshape(len(crops), -1)  # one image per row, channels last
print(f"{len(X)} images of 32x32 pixels: {X.shape[0] * 1024:,} pixels")


def psnr(original, restored):
    error = np.mean((original.astype(np.float64) - restored) ** 2)
    return 10 * np.log10(255.0**2 / error)


# %%
# Tokenize: one palette of 512 colors for the whole dataset, then a sequence of
# 1,024 tokens per image.
start = time.perf_counter()
tokenizer = ColorQuantizer(512, n_channels=3, random_state=0).fit(X)
tokens = tokenizer.transform(X)
ours = time.perf_counter() - start
restored = tokenizer.inverse_transform(tokens)
print(f"tokens: shape {tokens.shape}, dtype {tokens.dtype}")
print(f"ColorQuantizer fit + transform: {ours:.2f} s, PSNR {psnr(X, restored):.2f} dB")

# %%
# The same palette size with MiniBatchKMeans, which clusters every pixel: fit on
# all the pixels, then ``predict`` gives the tokens.
pixels = X.reshape(-1, 3).astype(np.float64)
start = time.perf_counter()
minibatch = MiniBatchKMeans(512, n_init=1, random_state=0).fit(pixels)
minibatch_tokens = minibatch.predict(pixels)
theirs = time.perf_counter() - start
minibatch_restored = minibatch.cluster_centers_[minibatch_tokens].reshape(X.shape)
print(
    f"MiniBatchKMeans fit + predict: {theirs:.2f} s, "
    f"PSNR {psnr(X, minibatch_restored):.2f} dB"
)
print(f"ColorQuantizer took {ours / theirs:.3f}x the time of MiniBatchKMeans")

# %%
# Tokens and images side by side: a few crops, their token sequences drawn as
# 32x32 grids of indices (dark is a common color), and the crops rebuilt from
# their tokens alone.
shown = [0, 1, 2, 3, 4, 5]
fig, axes = plt.subplots(3, len(shown), figsize=(9, 4.8))
for column, index in enumerate(shown):
    axes[0, column].imshow(crops[index])
    axes[1, column].imshow(
        tokens[index].reshape(32, 32), cmap="viridis", vmin=0, vmax=511
    )
    axes[2, column].imshow(restored[index].reshape(32, 32, 3))
for row, title in enumerate(["image", "tokens", "from tokens"]):
    axes[row, 0].set_ylabel(title)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()

# %%
# How often each token occurs: the palette comes most-used first, so the
# frequencies fall with the index, as token frequencies in a vocabulary do.
counts = np.bincount(tokens.ravel(), minlength=tokenizer.n_colors_)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.bar(np.arange(len(counts)), counts, width=1.0, color=tokenizer.palette_ / 255)
ax.set_yscale("log")
ax.set_xlabel("token (palette index)")
ax.set_ylabel("pixels")
ax.set_title("Token frequencies, each bar in its palette color")
fig.tight_layout()
plt.show()
