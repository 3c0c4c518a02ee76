"""
======================================================
One palette for an image collection, on a Dask cluster
======================================================

An image dataset may not fit in one machine's memory. :class:`~sklearn_colorquant.dask.
DaskColorQuantizer` fits one palette over a whole collection held as a Dask array
without gathering its pixels: each chunk's color histogram (its distinct colors and
their pixel counts) is made where the chunk is, the histograms are merged by summing,
and the k-means fit runs on the merged histogram. That is the fit on all pixels, so
the palette is the one an in-memory fit gives. The mapping to the palette is lazy, so
the indices go to a Zarr store chunk by chunk.

This needs the ``dask`` extra (``pip install "sklearn-colorquant[dask]"``) and Zarr.
"""

# %%
# A collection of 100 photos, made by the cluster
# -----------------------------------------------
# :func:`~sklearn_colorquant.datasets.make_image_collection` varies scikit-learn's two
# sample photos (flips, shifts, exposure and color cast) into 100 images of
# 640 x 427 pixels. With ``lazy=True`` it is a Dask array of one image per chunk,
# each made by the task that holds it: nothing is sent from this process.
#
# The cluster here runs its workers as threads of this process, which suits a
# documentation build; ``LocalCluster(n_workers=2)`` with worker processes, or a
# real cluster, runs the same code (in a script, under ``if __name__ ==
# "__main__":``).
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import zarr
from distributed import Client, LocalCluster

from sklearn_colorquant import ColorQuantizer
from sklearn_colorquant.dask import DaskColorQuantizer
from sklearn_colorquant.datasets import make_image_collection

cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
)
client = Client(cluster)

images = make_image_collection(100, lazy=True)
print(images)
print(
    f"{images.nbytes / 1e6:.0f} MB of pixels, {images.size // 3 / 1e6:.1f} megapixels"
)

# %%
# Fit one palette on every pixel
# ------------------------------
# The wrapped quantizer is cloned and fitted on the merged histogram, with the counts
# as ``sample_weight``.
start = time.perf_counter()
quantizer = DaskColorQuantizer(ColorQuantizer(64, random_state=0)).fit(images)
print(f"fit in {time.perf_counter() - start:.1f} s")
print(f"{quantizer.n_histogram_colors_:,} distinct colors in the collection")
most_used = quantizer.palette_[np.argmax(quantizer.palette_frequencies_)]
print(f"{quantizer.n_colors_} palette colors, the most used: {most_used}")

# %%
# Map the collection to the palette, straight into Zarr
# -----------------------------------------------------
# ``transform`` is lazy: indices of shape ``(100, 427, 640)``, uint8, one chunk per
# image. ``to_zarr`` computes and writes them chunk by chunk.
indices = quantizer.transform(images)
print(indices)

store = Path(tempfile.mkdtemp()) / "collection-indices.zarr"
indices.to_zarr(str(store))
stored = zarr.open_array(str(store), mode="r")
stored_bytes = sum(path.stat().st_size for path in store.rglob("*") if path.is_file())
print(
    f"{store.name}: shape {stored.shape}, chunks {stored.chunks}, "
    f"{stored.dtype}, {stored_bytes / 1e6:.1f} MB on disk "
    f"(the RGB pixels: {images.nbytes / 1e6:.0f} MB)"
)

# %%
# Read images back from the store
# -------------------------------
# Any image comes back from its indices and the palette; ``inverse_transform`` does
# the same lazily for Dask arrays.
shown = [0, 1, 2, 3]
originals = images[shown].compute()
quantized = quantizer.palette_[stored[shown]]

fig, axes = plt.subplots(2, len(shown), figsize=(12, 4.6))
for column, (original, mapped) in enumerate(zip(originals, quantized)):
    axes[0, column].imshow(original)
    axes[1, column].imshow(mapped)
    axes[0, column].set_title(f"image {shown[column]}")
axes[0, 0].set_ylabel("original")
axes[1, 0].set_ylabel("64 shared colors")
for axis in axes.ravel():
    axis.set_xticks([])
    axis.set_yticks([])
fig.tight_layout()

# %%
# The palette that all 100 images share, most used color first.
fig, axis = plt.subplots(figsize=(10, 1.2))
by_use = np.argsort(-quantizer.palette_frequencies_)
axis.imshow(quantizer.palette_[by_use][np.newaxis], aspect="auto")
axis.set_axis_off()
axis.set_title("the collection's palette")

# %%
client.close()
cluster.close()
