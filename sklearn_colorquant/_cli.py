"""The ``colorquant`` command line."""

import argparse
import sys

from ._demo import SAMPLE_IMAGES, run_demo


def build_parser():
    parser = argparse.ArgumentParser(
        prog="colorquant",
        description="Color quantization with scikit-learn: learn a palette, "
        "map images to it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
        "--random-state",
        type=int,
        default=0,
        help="seed for reproducible palettes (default: %(default)s)",
    )
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        if not 1 <= args.n_colors <= 256:
            parser.error("--n-colors must be between 1 and 256 for an indexed PNG")
        run_demo(
            args.output_dir,
            image_name=args.image,
            n_colors=args.n_colors,
            random_state=args.random_state,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
