"""Is a CIELAB palette closer in CIEDE2000 than an RGB palette of the same size?

Run from the repository root, after ``pip install ".[bench]"``::

    python benchmarks/lab_against_rgb.py --n-colors 16

For each benchmark photo it prints the mean CIEDE2000 of the image mapped to a
palette learned in Lab and to one learned in RGB: this package's palettes for
several seeds, and scikit-learn's ``KMeans`` (best of 10 inits, on the distinct
colors weighted by their counts) as an independent check. The spread over seeds
shows how much of a difference between the two spaces is the optimizer's luck.
"""

import argparse

import numpy as np
from bench_quantizers import IMAGES  # the benchmark's photos, from this folder
from skimage.color import deltaE_ciede2000, lab2rgb, rgb2lab
from sklearn.cluster import KMeans

from sklearn_colorquant import ColorQuantizer
from sklearn_colorquant._distinct import distinct_colors


def _ours(pixels, n_colors, color_space, seed):
    quantizer = ColorQuantizer(n_colors, color_space=color_space, random_state=seed)
    quantizer.fit(pixels)
    return quantizer.palette_[quantizer.transform(pixels)[:, 0]]


def _scikit_learn(pixels, n_colors, color_space):
    colors, counts, inverse = distinct_colors(pixels, return_inverse=True)
    points = colors / 255.0 if color_space == "rgb" else rgb2lab(colors / 255.0)
    kmeans = KMeans(n_colors, n_init=10, random_state=0)
    kmeans.fit(points, sample_weight=counts)
    centers = kmeans.cluster_centers_
    if color_space == "lab":
        centers = lab2rgb(centers)
    palette = np.clip(np.round(centers * 255), 0, 255).astype(np.uint8)
    return palette[kmeans.predict(points)][inverse]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-colors", type=int, default=16)
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args(argv)
    print(f"mean CIEDE2000 at K={args.n_colors}, Lab palette / RGB palette")
    lower = 0
    for name, load in IMAGES.items():
        image = load()
        pixels = image.reshape(-1, 3)
        reference = rgb2lab(pixels)

        def delta_e(quantized, reference=reference):
            return deltaE_ciede2000(reference, rgb2lab(quantized)).mean()

        ours = {
            space: [
                delta_e(_ours(pixels, args.n_colors, space, seed))
                for seed in range(args.seeds)
            ]
            for space in ("lab", "rgb")
        }
        theirs = {
            space: delta_e(_scikit_learn(pixels, args.n_colors, space))
            for space in ("lab", "rgb")
        }
        lower += ours["lab"][0] < ours["rgb"][0]
        print(
            f"  {name:<10} seed 0 {ours['lab'][0]:.2f} / {ours['rgb'][0]:.2f};  "
            f"seeds 0-{args.seeds - 1} Lab {min(ours['lab']):.2f}-"
            f"{max(ours['lab']):.2f}, RGB {min(ours['rgb']):.2f}-"
            f"{max(ours['rgb']):.2f};  scikit-learn KMeans "
            f"{theirs['lab']:.2f} / {theirs['rgb']:.2f}"
        )
    print(f"Lab lower at seed 0 on {lower} of {len(IMAGES)} photos")


if __name__ == "__main__":
    main()
