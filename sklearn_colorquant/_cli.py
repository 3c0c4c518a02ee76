"""The ``colorquant`` command line."""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

from ._assign import palette_colors
from ._batch import fit_shared_quantizer
from ._codebooks import CODEBOOK_NAMES
from ._color_spaces import COLOR_SPACES
from ._demo import SAMPLE_IMAGES, run_demo
from ._distinct import distinct_colors
from ._dither import DITHER_METHODS
from ._image import _image_pixels, apply_palette, fit_image_quantizer, image_palette
from ._io import load_palette, read_image, save_indexed_image, save_palette
from ._quantizer import ColorQuantizer
from .metrics import peak_signal_noise_ratio

IMAGE_SUFFIXES = {
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"
}  # fmt: skip


def build_parser():
    parser = argparse.ArgumentParser(
        prog="colorquant",
        description="Color quantization with scikit-learn: learn a palette, "
        "map images to it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands)
    _add_quantize(commands)
    return parser


def _add_demo(commands):
    demo = commands.add_parser(
        "demo",
        help="reproduce scikit-learn's color-quantization example, offline",
        description=(
            "Quantize a sample image that ships with scikit-learn with a k-means "
            "palette and a random palette; print colors, times and PSNR, and write "
            "the original, both indexed PNGs, the palette and a comparison figure."
        ),
    )
    demo.add_argument(
        "-o",
        "--output-dir",
        default="colorquant-demo",
        help="folder for the output images (default: %(default)s)",
    )
    demo.add_argument(
        "-k",
        "--n-colors",
        type=int,
        default=64,
        help="palette size, 1 to 256 (default: %(default)s)",
    )
    demo.add_argument(
        "--image",
        choices=SAMPLE_IMAGES,
        default="china.jpg",
        help="sample image (default: %(default)s)",
    )
    demo.add_argument(
        "--random-state", type=int, default=0,
        help="seed for reproducible palettes (default: %(default)s)",
    )  # fmt: skip


def _add_quantize(commands):
    quantize = commands.add_parser(
        "quantize",
        help="quantize image files to indexed PNG or GIF",
        description=(
            "Quantize image files, or the images in folders, to indexed PNG or GIF "
            "files of at most 256 colors. Prints, per file, the size, colors and "
            "PSNR before and after. A file that cannot be read is reported and "
            "skipped; the exit code is then 1. Existing files are never overwritten "
            "without --force."
        ),
    )
    quantize.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="image files, or folders whose image files are quantized (not recursive)",
    )
    quantize.add_argument(
        "-k",
        "--n-colors",
        type=int,
        default=64,
        help="palette size, 1 to 256 (default: %(default)s)",
    )
    quantize.add_argument(
        "-o",
        "--output-dir",
        default="quantized",
        help="folder for the output files (default: %(default)s)",
    )
    quantize.add_argument(
        "--format",
        choices=("png", "gif"),
        default="png",
        help="output format (default: %(default)s)",
    )
    quantize.add_argument(
        "--codebook",
        choices=CODEBOOK_NAMES,
        default="kmeans",
        help="how the palette is learned (default: %(default)s)",
    )
    quantize.add_argument(
        "--color-space",
        choices=COLOR_SPACES,
        default="rgb",
        help="space in which colors are clustered and matched (default: %(default)s)",
    )
    quantize.add_argument(
        "--dither",
        choices=("none", *DITHER_METHODS),
        default="none",
        help="dithering when mapping pixels to the palette (default: %(default)s)",
    )
    quantize.add_argument(
        "--dither-strength",
        type=float,
        default=1.0,
        help="dithering strength, 0 to 1 (default: %(default)s)",
    )
    quantize.add_argument(
        "--shared-palette",
        action="store_true",
        help="one palette for all inputs, fitted on pixels drawn from all of them",
    )
    quantize.add_argument(
        "--palette",
        metavar="FILE",
        help="use this palette (.gpl, .json, or an image of at most 256 colors) "
        "instead of learning one",
    )
    quantize.add_argument(
        "--save-palette",
        metavar="FILE",
        help="write the palette to FILE (.gpl or .json); needs one input, "
        "--shared-palette or --palette",
    )
    quantize.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        help="files processed at once; -1 for all cores (default: %(default)s)",
    )
    quantize.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed for reproducible palettes (default: %(default)s)",
    )
    quantize.add_argument(
        "-f",
        "--force",
        action="store_true",
        help="overwrite existing output files",
    )
    verbosity = quantize.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-q", "--quiet", action="store_true", help="print errors only"
    )
    verbosity.add_argument(
        "-v", "--verbose", action="store_true", help="also print times per file"
    )  # fmt: skip


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.n_colors <= 256:
        parser.error("--n-colors must be between 1 and 256 for an indexed file")
    if args.command == "demo":
        run_demo(
            args.output_dir,
            image_name=args.image,
            n_colors=args.n_colors,
            random_state=args.random_state,
        )
        return 0
    return _quantize_files(parser, args)


def _quantize_files(parser, args):
    if not 0 <= args.dither_strength <= 1:
        parser.error("--dither-strength must be between 0 and 1")
    if args.save_palette and not (
        args.shared_palette or args.palette or len(args.inputs) == 1
    ):
        parser.error("--save-palette needs one input, --shared-palette or --palette")
    say = (lambda *_: None) if args.quiet else print
    failures = 0

    def fail(path, message):
        nonlocal failures
        failures += 1
        print(f"colorquant: {path}: {message}", file=sys.stderr)

    paths = []
    for name in args.inputs:
        path = Path(name)
        if path.is_dir():
            paths += sorted(
                p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
            )
        elif path.exists():
            paths.append(path)
        else:
            fail(path, "no such file or folder")
    output_dir = Path(args.output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        _check_writable(output_dir)
    except OSError as error:
        fail(
            output_dir, f"cannot write to the output folder ({error.strerror or error})"
        )
        return 1

    images = {}
    for path in paths:
        try:
            images[path] = read_image(path)
        except ValueError as error:
            fail(path, str(error).removeprefix(f"{path}: "))

    params = {"codebook": args.codebook, "color_space": args.color_space}
    shared = None
    try:
        if args.palette:
            palette = load_palette(args.palette)
            shared = ColorQuantizer(codebook=palette, color_space=args.color_space)
            shared.fit(palette)
        elif args.shared_palette and images:
            shared = fit_shared_quantizer(
                list(images.values()),
                ColorQuantizer(args.n_colors, random_state=args.random_state, **params),
            )
    except ValueError as error:
        fail(args.palette or "shared palette", str(error))
        return 1

    outputs = {}
    for path in images:
        target = output_dir / f"{path.stem}.{args.format}"
        if target in outputs.values():
            fail(path, f"another input also writes {target}")
        elif target.exists() and not args.force:
            fail(path, f"{target} exists; use --force to overwrite it")
        else:
            outputs[path] = target

    dither = None if args.dither == "none" else args.dither
    jobs = Parallel(n_jobs=args.jobs, prefer="threads")(
        delayed(_quantize_file)(
            path, images[path], target, shared, args, params, dither
        )
        for path, target in outputs.items()
    )
    quantizers = []
    for number, (path, (result, error)) in enumerate(zip(outputs, jobs), start=1):
        if error is not None:
            fail(path, error)
            continue
        quantizers.append(result.pop("quantizer"))
        line = (
            f"[{number}/{len(outputs)}] {path} -> {outputs[path]}: "
            f"{result['bytes_in']:,} -> {result['bytes_out']:,} bytes, "
            f"{result['colors_in']:,} -> {result['colors_out']:,} colors, "
            f"PSNR {result['psnr']:.2f} dB"
        )
        if args.verbose:
            line += f", {result['seconds']:.2f} s"
        say(line)

    if args.save_palette and (shared or quantizers):
        quantizer = shared or quantizers[0]
        try:
            visible = _indexed_palette(quantizer)[0][: quantizer.n_colors_]
            save_palette(args.save_palette, visible)
            size = quantizer.n_colors_
            say(f"palette of {size} colors written to {args.save_palette}")
        except ValueError as error:
            fail(args.save_palette, str(error))
    return 1 if failures else 0


def _quantize_file(path, image, target, shared, args, params, dither):
    """Quantize one image and write it; ``(result, None)`` or ``(None, error)``."""
    start = time.perf_counter()
    try:
        if shared is None:
            quantizer = fit_image_quantizer(
                image, args.n_colors, random_state=args.random_state, **params
            )
        else:
            quantizer = shared
        indices = apply_palette(
            image,
            quantizer,
            dither=dither,
            dither_strength=args.dither_strength,
            return_indices=True,
        )
        colors = image_palette(quantizer, image.dtype)
        quantized = palette_colors(colors, indices).reshape(image.shape)
        palette, alpha = _indexed_palette(quantizer)
        if len(palette) > 256:
            return None, (
                f"{len(palette)} colors with the transparent one: use -k 255 or fewer "
                "for images with transparent pixels"
            )
        partial = target.with_name(f".{target.stem}.partial{target.suffix}")
        try:
            save_indexed_image(partial, indices, palette, alpha=alpha)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    except (ValueError, OSError) as error:
        return None, str(error)
    pixels = _image_pixels(image)
    return {
        "bytes_in": path.stat().st_size,
        "bytes_out": target.stat().st_size,
        "colors_in": len(distinct_colors(pixels)[0]),
        "colors_out": len(distinct_colors(_image_pixels(quantized))[0]),
        "psnr": peak_signal_noise_ratio(image, quantized),
        "seconds": time.perf_counter() - start,
        "quantizer": quantizer,
    }, None


def _indexed_palette(quantizer):
    """The palette as uint8 RGB for an indexed file, and its alpha table: for RGBA,
    with the fully transparent color after the palette's own."""
    palette = image_palette(quantizer, np.uint8)
    channels = palette.shape[1]
    if channels == 1:
        return np.repeat(palette, 3, axis=1), None
    if channels == 3:
        return palette, None
    if channels == 4:
        return np.ascontiguousarray(palette[:, :3]), palette[:, 3].copy()
    raise ValueError(
        f"images of {channels} channels cannot be written as indexed files"
    )


def _check_writable(folder):
    probe = folder / f".colorquant-{os.getpid()}.probe"
    probe.write_bytes(b"")
    probe.unlink()


if __name__ == "__main__":
    sys.exit(main())
