"""The ``colorquant`` command line."""

import argparse
import os
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from . import __version__
from ._codebooks import CODEBOOKS
from ._color_spaces import COLOR_SPACES, check_image_range
from ._convert import (
    indexed_palette,
    quantize_file,
    shared_file_palette,
    write_new_file,
)
from ._demo import SAMPLE_IMAGES, run_demo
from ._dither import DITHER_METHODS
from ._io import _HEX_CODE, load_palette, read_image, save_palette
from ._learn import fixed_palette

IMAGE_SUFFIXES = {
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"
}  # fmt: skip


def build_parser():
    parser = argparse.ArgumentParser(
        prog="colorquant",
        description="Color quantization with scikit-learn: learn a palette, "
        "map images to it.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
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
            "PSNR before and after, and a total. A file that cannot be read or "
            "written is reported on one line and skipped, the others are still "
            "processed, and the exit code is then 1. Existing files (outputs, the "
            "saved palette, inputs in the output folder) are never overwritten "
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
        default=None,
        help="palette entries in each file, 1 to 256, the transparent one included "
        "(default: 64)",
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
        choices=[name for name in CODEBOOKS if name != "fixed"],
        default="kmeans",
        help="how the palette is learned (default: %(default)s)",
    )
    quantize.add_argument(
        "--color-space",
        choices=list(COLOR_SPACES),
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
        "--fixed-colors",
        metavar="COLORS",
        help="colors to keep in every palette, exactly: '#ffffff,#000000', or a "
        "palette file (.gpl, .json or an image); -k counts them",
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
        "--first-frame",
        action="store_true",
        help="write only the first frame of an animation or multi-page file (by "
        "default every frame is written, as an animated GIF or PNG)",
    )
    quantize.add_argument(
        "--palette-per-frame",
        action="store_true",
        help="give each frame of an animation its own palette (GIF only); by "
        "default one palette serves all frames, and unchanged pixels keep their "
        "index from frame to frame",
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
    if args.command == "demo":
        if not 1 <= args.n_colors <= 256:
            parser.error("--n-colors must be between 1 and 256 for an indexed file")
        run_demo(
            args.output_dir,
            image_name=args.image,
            n_colors=args.n_colors,
            random_state=args.random_state,
        )
        return 0
    _check_quantize_args(parser, args)
    with warnings.catch_warnings():
        # Warnings (a file's odd metadata, fewer colors than asked) are notes on
        # the file at hand, one line each, every time.
        warnings.simplefilter("always")
        warnings.showwarning = _note
        return _Run(args).quantize()


# The file each thread is working on, for the notes its warnings become.
_current = threading.local()
# Notes come from the threads that quantize files, errors from the main thread.
_stderr_lock = threading.Lock()


def _say_on_stderr(line):
    """One whole line on standard error: ``print`` writes the text and its
    newline apart, and two threads printing at once interleave them."""
    with _stderr_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _note(message, category, filename, lineno, file=None, line=None):
    path = getattr(_current, "path", None)
    where = f"{path}: " if path is not None else ""
    _say_on_stderr(f"colorquant: {where}note: {' '.join(str(message).split())}")


def _check_quantize_args(parser, args):
    if args.palette and args.n_colors is not None:
        parser.error("--palette gives the palette: -k does not apply with it")
    if args.palette and args.fixed_colors:
        parser.error("--palette gives the palette: put the --fixed-colors in it")
    if args.n_colors is None:
        args.n_colors = 64
    if not 1 <= args.n_colors <= 256:
        parser.error("--n-colors must be between 1 and 256 for an indexed file")
    if not 0 <= args.dither_strength <= 1:
        parser.error("--dither-strength must be between 0 and 1")
    if args.jobs == 0 or args.jobs < -1:
        parser.error("--jobs must be a number of files at once (1 or more), or -1")
    if args.save_palette and not (
        args.shared_palette or args.palette or len(args.inputs) == 1
    ):
        parser.error("--save-palette needs one input, --shared-palette or --palette")


class _Run:
    """One ``colorquant quantize`` run: inputs, outputs, palette, then the files
    one by one, as a stream, so that memory follows the largest file."""

    def __init__(self, args):
        self.args = args
        self.say = (lambda *_: None) if args.quiet else print
        self.failures = 0
        # The options of every palette this run learns.
        self.options = {"codebook": args.codebook, "color_space": args.color_space}

    def fail(self, path, message):
        self.failures += 1
        _say_on_stderr(f"colorquant: {path}: {message}")

    def quantize(self):
        args = self.args
        if args.fixed_colors:
            try:
                self.options["fixed_colors"] = _fixed_colors(args.fixed_colors)
            except ValueError as error:
                self.fail("--fixed-colors", _message(error, args.fixed_colors))
                return 1
        paths = self._inputs()
        output_dir = Path(args.output_dir)
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            _check_writable(output_dir)
        except OSError as error:
            self.fail(
                output_dir,
                f"cannot write to the output folder ({error.strerror or error})",
            )
            return 1
        if args.save_palette and Path(args.save_palette).exists() and not args.force:
            self.fail(args.save_palette, "exists; use --force to overwrite it")
            args.save_palette = None
        targets = self._targets(paths, output_dir)
        shared = self._shared_palette(targets)
        if shared is False:
            return 1
        start = time.perf_counter()
        done = []
        # With one input and --save-palette, its own palette is the one saved;
        # otherwise no palette outlives its file.
        keep = bool(args.save_palette) and shared is None
        jobs = _in_order(
            lambda item: _quantize_one(*item, shared, args, self.options, keep),
            targets.items(),
            _n_workers(args.jobs, len(targets)),
        )
        for number, (source, (report, kept, error)) in enumerate(
            zip(targets, jobs), start=1
        ):
            if error is not None:
                self.fail(source, error)
                continue
            done.append(report)
            self._report(number, len(targets), report)
            shared = kept if keep else shared
        if len(targets) > 1:
            self.say(
                f"{len(done)} of {len(targets)} files written: "
                f"{sum(r.bytes_in for r in done):,} -> "
                f"{sum(r.bytes_out for r in done):,} bytes in "
                f"{time.perf_counter() - start:.1f} s"
            )
        if args.save_palette and shared is not None:
            self._save_palette(shared)
        return 1 if self.failures else 0

    def _inputs(self):
        """The image files named, and those in the folders named (not recursive)."""
        paths = []
        for name in self.args.inputs:
            path = Path(name)
            if path.is_dir():
                paths += sorted(
                    p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
                )
            elif path.exists():
                paths.append(path)
            else:
                self.fail(path, "no such file or folder")
        return paths

    def _targets(self, paths, output_dir):
        """``{input: output path}``, without two inputs on one output, nor an
        output that exists (unless --force)."""
        targets = {}
        for path in paths:
            target = output_dir / f"{path.stem}.{self.args.format}"
            if target in targets.values():
                self.fail(path, f"another input also writes {target}")
            elif target.exists() and not self.args.force:
                self.fail(path, f"{target} exists; use --force to overwrite it")
            else:
                targets[path] = target
        return targets

    def _shared_palette(self, targets):
        """The palette every file shares (--palette, --shared-palette), None for
        one per file, or False when it cannot be made."""
        args = self.args
        try:
            if args.palette:
                return fixed_palette(load_palette(args.palette), args.color_space)
            if args.shared_palette and targets:
                try:
                    return shared_file_palette(
                        self._readable(targets),
                        len(targets),
                        args.n_colors,
                        random_state=args.random_state,
                        **self.options,
                    )
                except ValueError:
                    if not targets:
                        return None  # every input failed, and each has said why
                    raise
        except ValueError as error:
            self.fail(args.palette or "shared palette", _message(error, args.palette))
            return False
        return None

    def _readable(self, targets):
        """The images of ``targets``, read one at a time; the unreadable ones are
        reported and dropped from ``targets``."""
        for path in list(targets):
            _current.path = path
            try:
                image = read_image(path)
                check_image_range(image)
            except (ValueError, OSError) as error:
                self.fail(path, _message(error, path))
                del targets[path]
                continue
            yield image
        _current.path = None

    def _report(self, number, total, report):
        frames = f" ({report.frames} frames)" if report.frames > 1 else ""
        line = (
            f"[{number}/{total}] {report.source} -> {report.target}{frames}: "
            f"{report.bytes_in:,} -> {report.bytes_out:,} bytes, "
            f"{report.colors_in:,} -> {report.colors_out:,} colors, "
            f"PSNR {report.psnr:.2f} dB"
        )
        if self.args.verbose:
            line += f", {report.seconds:.2f} s"
        self.say(line)
        for note in report.notes:
            _say_on_stderr(f"colorquant: {report.source}: note: {note}")

    def _save_palette(self, fitted):
        path = Path(self.args.save_palette)
        palette = indexed_palette(fitted, transparent=False)[0]
        try:
            write_new_file(
                path,
                lambda temporary: save_palette(temporary, palette, name=path.stem),
                force=self.args.force,
            )
        except (ValueError, OSError) as error:
            self.fail(path, _message(error, path))
            return
        self.say(f"palette of {len(palette)} colors written to {path}")


def _in_order(work, items, n_workers):
    """``work(item)`` for each item, yielded in the items' order as each is done,
    on ``n_workers`` threads (the kernels release the GIL), at most two items
    ahead of the one yielded per thread, so that memory follows the files at
    hand rather than the whole run."""
    items = iter(items)
    if n_workers == 1:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(n_workers) as pool:
        pending = []
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= 2 * n_workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def _n_workers(jobs, n_files):
    """Threads for ``--jobs``: -1 is one per core; never more than the files,
    nor than a few per core (more only wait on each other, and past the
    system's limit a thread cannot start)."""
    cores = os.cpu_count() or 1
    wanted = cores if jobs == -1 else jobs
    return max(1, min(wanted, n_files, 4 * cores))


def _quantize_one(source, target, shared, args, options, keep_palette):
    """``(report, palette or None, None)`` for a file written, ``(None, None,
    error)`` for one that was not: one file's failure never stops the others."""
    options = {**options, "random_state": args.random_state}
    _current.path = source
    try:
        report, palette = quantize_file(
            source,
            target,
            palette=shared,
            n_colors=args.n_colors,
            options=options,
            dither=None if args.dither == "none" else args.dither,
            dither_strength=args.dither_strength,
            force=args.force,
            first_frame=args.first_frame,
            palette_per_frame=args.palette_per_frame,
        )
    except (ValueError, OSError) as error:
        return None, None, _message(error, source)
    except MemoryError:
        return None, None, "not enough memory to quantize this image"
    finally:
        _current.path = None
    return report, palette if keep_palette else None, None


def _fixed_colors(text):
    """Reserved colors from '#rrggbb,#rrggbb' or from a palette file."""
    codes = [code.strip() for code in text.split(",")]
    if all(_HEX_CODE.fullmatch(code) for code in codes):
        return np.array(
            [[int(code[i : i + 2], 16) for i in (1, 3, 5)] for code in codes],
            dtype=np.uint8,
        )
    if text.lstrip().startswith("#"):
        raise ValueError(f"expected '#rrggbb' codes separated by commas, got {text!r}")
    return load_palette(text)


def _message(error, path):
    """The error's message on one line, without the path the caller prints."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    message = " ".join(str(error).split())
    return message.removeprefix(f"{path}: ") if path is not None else message


def _check_writable(folder):
    probe = folder / f".colorquant-{os.getpid()}.probe"
    probe.write_bytes(b"")
    probe.unlink()


if __name__ == "__main__":
    sys.exit(main())
