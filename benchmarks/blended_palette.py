"""Can a palette refined in a blend of RGB and CIELAB beat libimagequant on both
PSNR and CIEDE2000? An experiment for the default palette, not a feature yet.

Run from the repository root, after ``pip install ".[bench]"``::

    python benchmarks/blended_palette.py --beta 0.7 --seeds 2

Each benchmark photo's distinct colors, weighted by their counts, are placed in a
6-D space: RGB on [0, 1] beside ``beta`` times CIELAB divided by 100, so that a
squared distance is the RGB one plus ``beta**2`` times the CIE76 one. This
package's default palette (``--start ours``) or k-means++ (``--start scratch``)
starts scikit-learn's ``KMeans`` there; the palette is the RGB part of its centers,
and the image is mapped to it by nearest RGB color, as ``transform`` maps. It
prints, for each photo and K, the margins over libimagequant's undithered output
at the worst seed (positive: ahead), and how many cases are ahead on both.

Small ``beta`` moves away from the RGB optimum, where PSNR loses only to second
order while CIEDE2000 gains to first order: that is the bet.
"""

import argparse
import warnings

import numpy as np
from bench_quantizers import IMAGES  # the benchmark's photos, from this folder
from PIL import Image
from skimage.color import rgb2lab
from sklearn.cluster import KMeans

from sklearn_colorquant import ColorQuantizer, apply_palette
from sklearn_colorquant.metrics import mean_delta_e, peak_signal_noise_ratio

try:
    import imagequant
except ImportError:  # pip install ".[bench]"
    imagequant = None


def _blend(rgb, beta):
    return np.hstack([rgb, beta * rgb2lab(rgb) / 100.0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beta", type=float, default=0.7)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--start", choices=["ours", "scratch"], default="ours")
    parser.add_argument("--n-colors", type=int, nargs="+", default=[16, 64, 256])
    args = parser.parse_args(argv)
    if imagequant is None:
        parser.error('the anchor libimagequant is missing: pip install ".[bench]"')
    ahead = cases = 0
    for name, load in IMAGES.items():
        image = load()
        pixels = image.reshape(-1, 3)
        colors, counts = np.unique(pixels, axis=0, return_counts=True)
        features = _blend(colors / 255.0, args.beta)
        for n_colors in args.n_colors:
            theirs = np.asarray(
                imagequant.quantize_pil_image(
                    Image.fromarray(image), dithering_level=0.0, max_colors=n_colors
                ).convert("RGB")
            )
            their_psnr = peak_signal_noise_ratio(image, theirs)
            their_delta_e = mean_delta_e(image, theirs)
            worst_psnr = worst_delta_e = np.inf
            for seed in range(args.seeds):
                if args.start == "ours":
                    start = ColorQuantizer(n_colors, random_state=seed).fit(pixels)
                    init, n_init = _blend(start.palette_ / 255.0, args.beta), 1
                else:
                    init, n_init = "k-means++", 1
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # converged early, empty clusters
                    kmeans = KMeans(
                        n_colors,
                        init=init,
                        n_init=n_init,
                        max_iter=args.max_iter,
                        random_state=seed,
                    ).fit(features, sample_weight=counts)
                palette = np.rint(np.clip(kmeans.cluster_centers_[:, :3], 0, 1) * 255)
                quantizer = ColorQuantizer(codebook=palette.astype(np.uint8))
                mapped = apply_palette(image, quantizer.fit(pixels))
                worst_psnr = min(
                    worst_psnr, peak_signal_noise_ratio(image, mapped) - their_psnr
                )
                worst_delta_e = min(
                    worst_delta_e, their_delta_e - mean_delta_e(image, mapped)
                )
            both = worst_psnr >= 0 and worst_delta_e >= 0
            ahead += both
            cases += 1
            print(
                f"{name:<10} K={n_colors:<4} PSNR {worst_psnr:+.2f} dB, "
                f"CIEDE2000 {worst_delta_e:+.3f}{'  ahead on both' if both else ''}",
                flush=True,
            )
    print(
        f"beta={args.beta}, start={args.start}: ahead on both in {ahead}/{cases} "
        f"cases at the worst of {args.seeds} seeds"
    )


if __name__ == "__main__":
    main()
