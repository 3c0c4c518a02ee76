"""Palettes and dithering against libimagequant on what people see.

Run from the repository root, after ``pip install ".[bench]"``::

    python benchmarks/bench_perceptual.py

On the photos of ``bench_quantizers.py`` (china.jpg, flower.jpg and scikit-image's
astronaut, coffee and chelsea), at K = 16, 64 and 256, it prints two tables against
libimagequant (the library behind pngquant), measured in the same run:

- **palette**: the default palette, undithered, against libimagequant's undithered
  output: PSNR and mean CIEDE2000, the median and the worst over ``--seeds``
  seeds of our palette (libimagequant's is the same every run);
- **dither**: the default dithering (``dither=True``, the adaptive method) with
  that palette against libimagequant's dithered output (``dithering_level=1``):
  plain PSNR and PSNR after a Gaussian blur of sigma 1.5 (tone), median and worst
  seed, with full-strength Floyd-Steinberg beside it for reference and
  SSIMULACRA2 scores where the ``ssimulacra2`` package is installed;

``--color-space rgb+lab`` measures that space's palettes instead of the default's;
then the dithering throughput on one core (a 4 MP enlargement of china.jpg, a
256-color palette, the first call after a fit), as MP/s and as a ratio against
undithered mapping in the same run. Each table ends with the worst photo beside the
median, and the run ends with the targets, met or missed.
"""

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_sample_image

from sklearn_colorquant import ColorQuantizer, apply_palette
from sklearn_colorquant.metrics import (
    blurred_peak_signal_noise_ratio,
    mean_delta_e,
    peak_signal_noise_ratio,
)

sys.path.insert(0, str(Path(__file__).parent))
from bench_quantizers import IMAGES  # noqa: E402

try:
    import imagequant
except ImportError:  # pip install ".[bench]"
    imagequant = None
try:
    from ssimulacra2 import compute_ssimulacra2
except ImportError:  # optional: pip install ssimulacra2
    compute_ssimulacra2 = None


def _libimagequant(image, n_colors, dithering_level):
    indexed = imagequant.quantize_pil_image(
        Image.fromarray(image), dithering_level=dithering_level, max_colors=n_colors
    )
    return np.asarray(indexed.convert("RGB"))


def _ssimulacra2(image, result, folder):
    """SSIMULACRA2 score (100 is identical); the package reads files only."""
    original, distorted = folder / "original.png", folder / "distorted.png"
    Image.fromarray(image).save(original)
    Image.fromarray(result).save(distorted)
    return compute_ssimulacra2(str(original), str(distorted))


def _case_rows(seeds, n_colors_list, rows, color_space="rgb"):
    """Fit our palettes and libimagequant's outputs, every photo, K and seed."""
    cases = []
    for name, load in IMAGES.items():
        image = load()
        for n_colors in n_colors_list:
            plain_liq = _libimagequant(image, n_colors, 0.0)
            dithered_liq = _libimagequant(image, n_colors, 1.0)
            case = {
                "image": image,
                "name": name,
                "k": n_colors,
                "liq_psnr": peak_signal_noise_ratio(image, plain_liq),
                "liq_de": mean_delta_e(image, plain_liq),
                "liq_dither": dithered_liq,
                "liq_dither_psnr": peak_signal_noise_ratio(image, dithered_liq),
                "liq_dither_blur": blurred_peak_signal_noise_ratio(image, dithered_liq),
                "seeds": [],
            }
            for seed in range(seeds):
                pixels = image.reshape(-1, 3)
                quantizer = ColorQuantizer(
                    n_colors, color_space=color_space, random_state=seed
                ).fit(pixels)
                plain = apply_palette(image, quantizer)
                dithered = apply_palette(image, quantizer, dither=True)
                result = {
                    "seed": seed,
                    "quantizer": quantizer,
                    "psnr": peak_signal_noise_ratio(image, plain),
                    "de": mean_delta_e(image, plain),
                    "dither_psnr": peak_signal_noise_ratio(image, dithered),
                    "dither_blur": blurred_peak_signal_noise_ratio(image, dithered),
                    "dithered": dithered,
                }
                case["seeds"].append(result)
                rows.append(
                    {
                        "image": name,
                        "n_colors": n_colors,
                        "seed": seed,
                        "psnr": result["psnr"],
                        "delta_e": result["de"],
                        "dither_psnr": result["dither_psnr"],
                        "dither_blur_psnr": result["dither_blur"],
                        "liq_psnr": case["liq_psnr"],
                        "liq_delta_e": case["liq_de"],
                        "liq_dither_psnr": case["liq_dither_psnr"],
                        "liq_dither_blur_psnr": case["liq_dither_blur"],
                    }
                )
            cases.append(case)
            print(f"  measured {name} K={n_colors}", file=sys.stderr, flush=True)
    return cases


def _margins(case, ours, theirs, lower_is_better=False):
    """Our margin over libimagequant at each seed (positive: ahead)."""
    sign = -1.0 if lower_is_better else 1.0
    return np.array([sign * (seed[ours] - case[theirs]) for seed in case["seeds"]])


def _summary(label, cases, columns):
    """The median and worst case of each margin, and the cases ahead on all of
    them at the worst seed."""
    print(f"\n  {label}: over {len(cases)} photo-and-K cases")
    ahead_everywhere = 0
    for case in cases:
        ahead_everywhere += all(np.min(_margins(case, *col)) >= 0 for col in columns)
    for column in columns:
        worst = [np.min(_margins(case, *column)) for case in cases]
        median = [np.median(_margins(case, *column)) for case in cases]
        position = int(np.argmin(worst))
        print(
            f"    {column[0]:<12} margin: median {np.median(median):+.3f}, "
            f"worst {worst[position]:+.3f} ({cases[position]['name']} "
            f"K={cases[position]['k']}, worst seed)"
        )
    print(f"    ahead on both at the worst seed: {ahead_everywhere}/{len(cases)}")
    return ahead_everywhere


def palette_table(cases):
    print("\nUndithered: the default palette against libimagequant (no dithering)")
    print(
        f"  {'photo':<10} {'K':>4} | {'PSNR liq':>8} {'ours med':>8} {'worst':>7} | "
        f"{'dE00 liq':>8} {'ours med':>8} {'worst':>7} | ahead on both"
    )
    for case in cases:
        psnr = np.array([seed["psnr"] for seed in case["seeds"]])
        delta_e = np.array([seed["de"] for seed in case["seeds"]])
        ahead = psnr.min() >= case["liq_psnr"] and delta_e.max() <= case["liq_de"]
        print(
            f"  {case['name']:<10} {case['k']:>4} | {case['liq_psnr']:>8.2f} "
            f"{np.median(psnr):>8.2f} {psnr.min():>7.2f} | {case['liq_de']:>8.3f} "
            f"{np.median(delta_e):>8.3f} {delta_e.max():>7.3f} | "
            f"{'yes' if ahead else 'NO'}"
        )
    ahead = _summary(
        "palette",
        cases,
        [("psnr", "liq_psnr"), ("de", "liq_de", True)],
    )
    return [
        (
            f"undithered PSNR and CIEDE2000 both at or above libimagequant's: "
            f"{ahead}/{len(cases)} photo-and-K cases at the worst seed",
            ahead == len(cases),
        )
    ]


def dither_table(cases):
    print(
        "\nDithered: the default dithering (adaptive) against libimagequant's "
        "(dithering_level=1)"
    )
    scores = compute_ssimulacra2 is not None
    header = (
        f"  {'photo':<10} {'K':>4} | {'PSNR liq':>8} {'ours med':>8} {'worst':>7} "
        f"{'FS':>6} | {'blur liq':>8} {'ours med':>8} {'worst':>7} {'FS':>6} |"
    )
    if scores:
        header += f" {'SSIMULACRA2 liq':>15} {'ours':>6} {'FS':>6} |"
    print(header + " ahead on both")
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            image = case["image"]
            plain = np.array([seed["dither_psnr"] for seed in case["seeds"]])
            blur = np.array([seed["dither_blur"] for seed in case["seeds"]])
            first = case["seeds"][0]
            classic = apply_palette(image, first["quantizer"], dither="floyd-steinberg")
            ahead = (
                plain.min() >= case["liq_dither_psnr"]
                and blur.min() >= case["liq_dither_blur"]
            )
            line = (
                f"  {case['name']:<10} {case['k']:>4} | "
                f"{case['liq_dither_psnr']:>8.2f} {np.median(plain):>8.2f} "
                f"{plain.min():>7.2f} "
                f"{peak_signal_noise_ratio(image, classic):>6.2f} | "
                f"{case['liq_dither_blur']:>8.2f} {np.median(blur):>8.2f} "
                f"{blur.min():>7.2f} "
                f"{blurred_peak_signal_noise_ratio(image, classic):>6.2f} |"
            )
            if scores:
                line += (
                    f" {_ssimulacra2(image, case['liq_dither'], Path(folder)):>15.2f}"
                    f" {_ssimulacra2(image, first['dithered'], Path(folder)):>6.2f}"
                    f" {_ssimulacra2(image, classic, Path(folder)):>6.2f} |"
                )
            print(line + f" {'yes' if ahead else 'NO'}")
    if not scores:
        print("  (SSIMULACRA2 columns: pip install ssimulacra2)")
    ahead = _summary(
        "dithering",
        cases,
        [("dither_psnr", "liq_dither_psnr"), ("dither_blur", "liq_dither_blur")],
    )
    return [
        (
            f"dithered plain and blurred PSNR both at or above libimagequant's: "
            f"{ahead}/{len(cases)} photo-and-K cases at the worst seed",
            ahead == len(cases),
        )
    ]


def dithering_speed(megapixels=4.0, n_colors=256, repeats=3):
    """Throughput on one core of the whole call, image to palette colors."""
    from threadpoolctl import threadpool_limits

    china = Image.fromarray(load_sample_image("china.jpg"))
    scale = (megapixels * 1e6 / (china.width * china.height)) ** 0.5
    image = np.asarray(
        china.resize((round(china.width * scale), round(china.height * scale)))
    )
    size = image.shape[0] * image.shape[1] / 1e6
    print(
        f"\nDithering {size:.1f} MP with a {n_colors}-color palette, on one core: "
        "the first call after the fit"
    )
    seconds = {}
    with threadpool_limits(1):
        for method in (None, "adaptive", "floyd-steinberg"):
            times = []
            for _ in range(repeats):
                # A new fit each time: the lookup structures that a palette keeps
                # once made are part of what a first call costs.
                quantizer = ColorQuantizer(n_colors, random_state=0, n_threads=1)
                quantizer.fit(image.reshape(-1, 3))
                start = time.perf_counter()
                apply_palette(image, quantizer, dither=method)
                times.append(time.perf_counter() - start)
            seconds[method] = min(times)
            print(
                f"  {str(method):<16} {seconds[method]:.3f} s, "
                f"{size / seconds[method]:.1f} MP/s, "
                f"{seconds[method] / seconds[None]:.2f}x undithered mapping"
            )
    return [
        (
            f"adaptive dithering {size / seconds['adaptive']:.1f} MP/s on one core "
            ">= 20",
            size / seconds["adaptive"] >= 20,
        ),
        (
            f"Floyd-Steinberg {size / seconds['floyd-steinberg']:.1f} MP/s on one "
            "core >= 20",
            size / seconds["floyd-steinberg"] >= 20,
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds of our palettes")
    parser.add_argument("--n-colors", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument(
        "--sections",
        nargs="+",
        choices=["palette", "dither", "speed"],
        default=["palette", "dither", "speed"],
    )
    parser.add_argument(
        "--color-space",
        default="rgb",
        help="our palettes' color_space (default: rgb, the default)",
    )
    parser.add_argument("--csv", default="bench_perceptual.csv")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if imagequant is None:
        parser.error('the anchor libimagequant is missing: pip install ".[bench]"')
    verdicts, rows = [], []
    if {"palette", "dither"} & set(args.sections):
        print(f"Our palettes: color_space={args.color_space!r}")
        cases = _case_rows(args.seeds, args.n_colors, rows, args.color_space)
        if "palette" in args.sections:
            verdicts += palette_table(cases)
        if "dither" in args.sections:
            verdicts += dither_table(cases)
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    if "speed" in args.sections:
        verdicts += dithering_speed(repeats=args.repeats)
    print("\nTargets")
    for text, met in verdicts:
        print(f"  {'met   ' if met else 'MISSED'}  {text}")


if __name__ == "__main__":
    main()
