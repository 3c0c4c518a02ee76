"""How much CIELAB can the default palette take? CIEDE2000 against libimagequant
beside the PSNR gap to scikit-learn's KMeans, for shares of CIELAB in the blend.

Run from the repository root, after ``pip install ".[bench]"``::

    python benchmarks/lab_share_tradeoff.py --n-colors 64 --shares 0 0.15 0.25 0.35 0.4

``color_space="rgb+lab"`` places colors at unit RGB beside ``share`` times CIELAB
over 100 (0.4 as shipped, ``_color_spaces._LAB_SHARE``, which this experiment sets);
a share of 0 is ``"rgb"``. For each share it prints the median and worst PSNR gap
to ``KMeans(random_state=0)`` on the photos of ``bench_real_machine.py`` (whose
targets are a median of at least 0 and a worst of at least -0.10 dB), how many of
``bench_perceptual.py``'s photos are at or above libimagequant's undithered PSNR and
mean CIEDE2000 at the worst seed, and each photo's CIEDE2000 margin (positive:
ahead). The two targets pull the share in opposite directions: the table shows
whether any share meets both.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans

from sklearn_colorquant import ColorQuantizer, _color_spaces
from sklearn_colorquant.metrics import mean_delta_e, peak_signal_noise_ratio

sys.path.insert(0, str(Path(__file__).parent))
import bench_perceptual  # noqa: E402
import bench_real_machine  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-colors", type=int, default=64)
    parser.add_argument(
        "--shares", type=float, nargs="+", default=[0.0, 0.15, 0.25, 0.35, 0.4]
    )
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    if bench_perceptual.imagequant is None:
        sys.exit('libimagequant is missing: pip install ".[bench]"')
    n_colors = args.n_colors
    images = bench_real_machine.photos()
    kmeans_psnr, liq = {}, {}
    for name, image in images.items():
        pixels = image.reshape(-1, 3)
        kmeans = KMeans(n_colors, random_state=0).fit(pixels / 255.0)
        reference = np.rint(kmeans.cluster_centers_[kmeans.labels_] * 255)
        kmeans_psnr[name] = bench_real_machine._psnr(pixels, reference)
        if name in bench_perceptual.IMAGES:
            theirs = bench_perceptual._libimagequant(image, n_colors, 0.0)
            liq[name] = (
                peak_signal_noise_ratio(image, theirs),
                mean_delta_e(image, theirs),
            )
    print(f"K={n_colors}, worst of {args.seeds} seeds")
    print("share | KMeans gap median / worst | ahead of liq on both | dE00 margins")
    for share in args.shares:
        _color_spaces._LAB_SHARE = share
        space = "rgb" if share == 0 else "rgb+lab"
        gaps, ahead, margins = [], 0, []
        for name, image in images.items():
            pixels = image.reshape(-1, 3)
            worst_psnr = worst_de = np.inf
            for seed in range(args.seeds):
                quantizer = ColorQuantizer(
                    n_colors, color_space=space, random_state=seed
                ).fit(pixels)
                ours = quantizer.palette_[quantizer.transform(pixels)[:, 0]]
                ours = ours.reshape(image.shape)
                gaps.append(bench_real_machine._psnr(image, ours) - kmeans_psnr[name])
                if name in liq:
                    liq_psnr, liq_de = liq[name]
                    worst_psnr = min(
                        worst_psnr, peak_signal_noise_ratio(image, ours) - liq_psnr
                    )
                    worst_de = min(worst_de, liq_de - mean_delta_e(image, ours))
            if name in liq:
                ahead += worst_psnr >= 0 and worst_de >= 0
                margins.append(f"{name} {worst_de:+.3f}")
        print(
            f"{share:5.2f} | {np.median(gaps):+.3f} / {min(gaps):+.3f} dB | "
            f"{ahead}/{len(liq)} | {', '.join(margins)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
