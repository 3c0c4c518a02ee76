"""
=====================================================
Bag-of-colors features against raw pixels
=====================================================

Which photo does a small crop come from? A classifier on raw pixels needs every
crop at one size, and it sees where each color is, which does not matter here.
:class:`~sklearn_colorquant.ColorHistogram` learns one palette from all the
crops and describes each crop, whatever its size, by the share of each palette
color in it: a fixed-width "bag of colors". This example compares the two
features with the same classifier, and shows the accuracy against the palette
size.
"""

# %%
# A dataset made offline from shipped photos: crops of random sizes (16 to 48
# pixels a side), labelled by the photo they come from.
import time

import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from skimage.transform import resize
from sklearn.datasets import load_sample_image
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_colorquant import ColorHistogram, ColorQuantizer

photos = {
    "china": load_sample_image("china.jpg"),
    "flower": load_sample_image("flower.jpg"),
    "astronaut": data.astronaut(),
    "coffee": data.coffee(),
    "chelsea": data.chelsea(),
    "rocket": data.rocket(),
}
rng = np.random.default_rng(0)
crops, labels = [], []
for label, photo in enumerate(photos.values()):
    for _ in range(100):
        height, width = rng.integers(16, 49, size=2)
        top = rng.integers(0, photo.shape[0] - height)
        left = rng.integers(0, photo.shape[1] - width)
        crops.append(photo[top : top + height, left : left + width])
        labels.append(label)
labels = np.array(labels)
print(f"{len(crops)} crops from {len(photos)} photos, sizes 16 to 48 pixels a side")

# %%
# Raw pixels: every crop resized to 16x16, flattened (768 features).
raw = np.stack([resize(crop, (16, 16), anti_aliasing=True) for crop in crops])
raw = raw.reshape(len(raw), -1)
classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
raw_scores = cross_val_score(classifier, raw, labels, cv=3)
print(f"raw pixels (16x16): accuracy {raw_scores.mean():.3f}")

# %%
# Bag of colors: the crops go in as they are, a list of arrays of any size.
# The grid search refits the palette in every fold, so the palette never sees
# the crops it is scored on.
bag = make_pipeline(
    ColorHistogram(ColorQuantizer(random_state=0)),
    StandardScaler(),
    LogisticRegression(max_iter=3000),
)
sizes = [2, 4, 8, 16, 32, 64, 128]
start = time.perf_counter()
search = GridSearchCV(bag, {"colorhistogram__quantizer__n_colors": sizes}, cv=3)
search.fit(crops, labels)
seconds = time.perf_counter() - start
scores = search.cv_results_["mean_test_score"]
for size, score in zip(sizes, scores):
    print(f"bag of {size:3d} colors: accuracy {score:.3f}")
print(f"grid search over {len(sizes)} sizes x 3 folds: {seconds:.1f} s")

# %%
# Accuracy against palette size: from 8 colors on, the bag of colors tells the
# photos apart better than 768 raw pixel values do.
fig, ax = plt.subplots(figsize=(6, 4))
ax.errorbar(
    sizes,
    scores,
    yerr=search.cv_results_["std_test_score"],
    marker="o",
    capsize=3,
    label="bag of colors (ColorHistogram)",
)
ax.axhline(raw_scores.mean(), color="gray", linestyle="--", label="raw pixels, 16x16")
ax.set_xscale("log", base=2)
ax.set_xticks(sizes, [str(size) for size in sizes])
ax.set_xlabel("palette size (n_colors)")
ax.set_ylabel("cross-validated accuracy")
ax.set_title(f"Which of {len(photos)} photos is this crop from?")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# What the features look like: a few crops and, for each, the shares of the 8
# colors of a 64-color palette that it uses most, each bar in its palette color.
histogram = ColorHistogram(ColorQuantizer(64, random_state=0)).fit(crops)
features = histogram.transform(crops)
shown = [0, 150, 320, 530]
fig, axes = plt.subplots(2, len(shown), figsize=(9, 4.5))
for column, index in enumerate(shown):
    crop = crops[index]
    axes[0, column].imshow(crop)
    axes[0, column].set_title(
        f"{list(photos)[labels[index]]}, {crop.shape[1]}x{crop.shape[0]}", fontsize=9
    )
    axes[0, column].axis("off")
    top = np.argsort(-features[index])[:8]
    axes[1, column].bar(
        range(8), features[index, top], color=histogram.palette_[top] / 255
    )
    axes[1, column].set_ylim(0, 1)
    axes[1, column].set_xticks([])
    axes[1, column].set_xlabel(f"uses {np.count_nonzero(features[index])} of 64 colors")
axes[1, 0].set_ylabel("share of pixels")
fig.tight_layout()
plt.show()
