"""
==================================================
Choosing the palette size for a classifier by grid
==================================================

A :class:`~sklearn_colorquant.ColorQuantizer` is a preprocessing step like any
other: here it reduces small image patches to a shared palette, each patch is
described by how much of each palette color it holds (a "bag of colors"), and a
logistic regression tells which photo a patch comes from.
:class:`~sklearn.model_selection.GridSearchCV` searches the palette size and the
color space with the classifier's accuracy as the score.
"""

# %%
# A dataset made offline from shipped photos: 24x24 patches, labelled by photo.
import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from sklearn.datasets import load_sample_image
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_colorquant import ColorQuantizer

photos = {
    "china": load_sample_image("china.jpg"),
    "flower": load_sample_image("flower.jpg"),
    "astronaut": data.astronaut(),
    "coffee": data.coffee(),
    "chelsea": data.chelsea(),
}


def patches(image, size=24, step=36):
    rows = range(0, image.shape[0] - size + 1, step)
    cols = range(0, image.shape[1] - size + 1, step)
    return np.stack([image[r : r + size, c : c + size] for r in rows for c in cols])


images, labels = [], []
for label, image in enumerate(photos.values()):
    cut = patches(image)
    images.append(cut)
    labels.append(np.full(len(cut), label))
images, labels = np.concatenate(images), np.concatenate(labels)
X = images.reshape(len(images), -1)  # one flattened RGB patch per row
print(f"{len(X)} patches of 24x24 pixels from {len(photos)} photos")


# %%
# The pipeline: a shared palette and, with ``encode="histogram"``, the share of
# each palette color in each patch (a bag of colors), then a classifier.
pipeline = make_pipeline(
    ColorQuantizer(n_channels=3, encode="histogram", random_state=0),
    LogisticRegression(max_iter=2000),
)
search = GridSearchCV(
    pipeline,
    {
        "colorquantizer__n_colors": [2, 4, 8, 16, 32, 64],
        "colorquantizer__color_space": ["rgb", "lab"],
    },
    cv=3,
).fit(X, labels)
print("best:", search.best_params_, f"accuracy {search.best_score_:.3f}")

# %%
# Accuracy against palette size: a few colors already tell the photos apart.
results = search.cv_results_
fig, ax = plt.subplots(figsize=(6, 4))
for space in ("rgb", "lab"):
    chosen = np.array(results["param_colorquantizer__color_space"]) == space
    sizes = np.array(results["param_colorquantizer__n_colors"])[chosen].astype(int)
    ax.errorbar(
        sizes,
        results["mean_test_score"][chosen],
        yerr=results["std_test_score"][chosen],
        marker="o",
        capsize=3,
        label=f"color_space={space!r}",
    )
ax.set_xscale("log", base=2)
ax.set_xticks(sizes, [str(size) for size in sizes])
ax.set_xlabel("palette size (n_colors)")
ax.set_ylabel("cross-validated accuracy")
ax.set_title("Which photo is this patch from?")
ax.legend()
fig.tight_layout()
plt.show()
