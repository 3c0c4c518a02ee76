"""
===================================================
Quantizing an animation without flicker
===================================================

An animated GIF holds at most 256 colors a frame. Quantizing each frame on its
own gives each its own palette, and areas that do not move change color from
frame to frame: they flicker. Dithering makes it worse, as the dither pattern of
a still area depends on everything before it in the scan. Here a crop of one
photo moves across another, still, photo, and three ways of quantizing the
frames to 32 colors with Floyd-Steinberg dithering are compared:

- a palette per frame;
- one palette for all frames, each frame dithered on its own;
- :func:`~sklearn_colorquant.quantize_animation`: one palette, fitted on pixels
  drawn from every frame, and every pixel whose color does not change from one
  frame to the next keeps its index.

Flicker is measured as the share of still pixels (same color in the input as in
the frame before) whose output color changes.
"""

# %%
# The animation: 12 frames of 240x320, a 64x64 crop of flower.jpg crossing
# china.jpg.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_image

from sklearn_colorquant import quantize_animation, quantize_images, save_indexed_frames

background = load_sample_image("china.jpg")[80:320, 160:480]
sprite = load_sample_image("flower.jpg")[140:204, 230:294]
frames = []
for step in range(12):
    frame = background.copy()
    left = 10 + 20 * step
    frame[90:154, left : left + 64] = sprite
    frames.append(frame)
print(f"{len(frames)} frames of {frames[0].shape[1]}x{frames[0].shape[0]}")


def flicker(frames_in, frames_out):
    """Share of pixels unchanged in the input whose output changed."""
    changed = still = 0
    for before, after, out_before, out_after in zip(
        frames_in, frames_in[1:], frames_out, frames_out[1:]
    ):
        same = np.all(before == after, axis=-1)
        still += same.sum()
        changed += (np.any(out_before != out_after, axis=-1) & same).sum()
    return changed / still


def psnr(frames_in, frames_out):
    error = np.mean([(a.astype(float) - b) ** 2 for a, b in zip(frames_in, frames_out)])
    return 10 * np.log10(255**2 / error)


# %%
# The three ways, each written as an animated GIF of 32 colors.
options = {"dither": "floyd-steinberg", "random_state": 0}
one, quantizers = quantize_animation(frames, 32, **options)
per_frame, per_frame_quantizers = quantize_animation(
    frames, 32, palette_per_frame=True, **options
)
frame_by_frame, shared = quantize_images(frames, 32, shared_palette=True, **options)

folder = Path(tempfile.mkdtemp())
results = {}
for name, frames_out, palettes, indices in [
    (
        "palette per frame",
        [q.palette_[i] for q, i in zip(per_frame_quantizers, per_frame)],
        [q.palette_ for q in per_frame_quantizers],
        per_frame,
    ),
    (
        "one palette, frames dithered apart",
        frame_by_frame,
        shared.palette_,
        [
            shared.transform(f.reshape(-1, 3)).reshape(f.shape[:2])
            for f in frame_by_frame
        ],
    ),
    (
        "quantize_animation",
        [quantizers[0].palette_[i] for i in one],
        quantizers[0].palette_,
        one,
    ),
]:
    path = folder / f"{len(results)}.gif"
    save_indexed_frames(path, indices, palettes, durations=[80] * len(frames))
    results[name] = frames_out
    print(
        f"{name:<36} flicker {flicker(frames, frames_out):6.1%}   "
        f"PSNR {psnr(frames, frames_out):5.2f} dB   GIF {path.stat().st_size:,} bytes"
    )

# %%
# Four frames of each, and where still pixels changed over the whole animation
# (white): a palette per frame flickers everywhere, a shared palette dithered
# frame by frame makes the background crawl, and keeping the index of what did
# not change leaves it still.
shown = [0, 4, 8, 11]
fig, axes = plt.subplots(3, len(shown) + 1, figsize=(12, 6.4))
for row, (name, frames_out) in enumerate(results.items()):
    for column, index in enumerate(shown):
        axes[row, column].imshow(frames_out[index])
        axes[row, column].set_title(f"frame {index}", fontsize=8)
    changes = np.zeros(frames[0].shape[:2], bool)
    for before, after, out_before, out_after in zip(
        frames, frames[1:], frames_out, frames_out[1:]
    ):
        same = np.all(before == after, axis=-1)
        changes |= np.any(out_before != out_after, axis=-1) & same
    axes[row, -1].imshow(changes, cmap="gray", vmin=0, vmax=1)
    axes[row, -1].set_title("still pixels that changed", fontsize=8)
    axes[row, 0].set_ylabel(name, fontsize=8)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
