"""The ``colorquant`` command line."""

import argparse
import contextlib
import io
import os
import signal
import stat
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
    NotWritten,
    indexed_palette,
    quantize_file,
    remove_stale_temporaries,
    remove_temporaries,
    shared_file_palette,
    write_new_file,
)
from ._demo import SAMPLE_IMAGES, run_demo
from ._dither import DITHER_METHODS
from ._io import (
    _HEX_CODE,
    PALETTE_SUFFIXES,
    load_palette,
    palette_file_text,
    read_image,
)
from ._learn import fixed_palette
from ._progress import Progress
from ._quality import parse_quality, psnr_of_quality, quality_of_psnr

# The name of standard input among the inputs, and of standard output as -o.
STDIN = STDOUT = "-"

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
        help="image files, or folders whose image files are quantized (not "
        "recursive); - reads one image from standard input and writes it to "
        "standard output",
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
        default=None,
        help="folder for the output files, or - for standard output (one input) "
        "(default: quantized)",
    )
    quantize.add_argument(
        "--ext",
        metavar="EXT",
        help="write each output beside its input, named as the input with its "
        "suffix replaced by EXT (such as .new.png, or .png with --force to "
        "replace the input); EXT's suffix gives the format",
    )
    quantize.add_argument(
        "--quality",
        metavar="MIN-MAX",
        help="0 to 100, as pngquant's: use the smallest palette, up to -k colors "
        "(default 256 here), that reaches MAX, and write nothing (exit code 99) "
        "where even that is below MIN. Quality Q is a PSNR of Q/2 dB: 70 is 35 "
        "dB, 80 is 40 dB. Also -MAX, MIN- and N (MAX N, MIN 90%% of N)",
    )
    quantize.add_argument(
        "--skip-if-larger",
        action="store_true",
        help="write no output that is not smaller than its input (exit code 98)",
    )
    quantize.add_argument(
        "--strip",
        action="store_true",
        help="write no metadata; without it, the input's ICC profile, gamma "
        "and sRGB chunks and PNG text chunks are kept (a GIF keeps its comment "
        "only), and EXIF is dropped",
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
        help="space in which colors are clustered and matched (default: %(default)s; "
        "auto: rgb+lab for RGB images, rgb for gray and RGBA)",
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


def main(argv=None, *, restore_signal_handlers=True):
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
    with warnings.catch_warnings(), _stopped_cleanly(restore_signal_handlers):
        # Warnings (a file's odd metadata, fewer colors than asked) are notes on
        # the file at hand, one line each, every time.
        warnings.simplefilter("always")
        if args.quality:
            # The report gives the quality reached; a miss of MAX is no error.
            warnings.filterwarnings("ignore", message="No palette of up to")
        warnings.showwarning = _note
        return _Run(args).quantize()


def program():
    """The command line as a process (``colorquant``, ``python -m``): its signal
    handlers stay until it exits, so that a Ctrl-C as it ends gives the same
    line and exit code rather than a death by the signal. It exits at once once
    its output is flushed: the interpreter's shutdown puts the default handlers
    back first, and a signal then would kill it."""
    try:
        code = main(restore_signal_handlers=False)
    except SystemExit as stop:
        # argparse's usage errors and --help.
        code = stop.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


@contextlib.contextmanager
def _stopped_cleanly(restore=True):
    """Ctrl-C and SIGTERM stop the run with one line, the exit code a shell
    gives a process its signal ended (130, 143), and no temporary file left:
    the threads that write them are not told, so the files go first. With
    ``restore``, the previous handlers come back after the run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        remove_temporaries()
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        name = "interrupted" if signum == signal.SIGINT else "terminated"
        _say_on_stderr(f"colorquant: {name}; no partial file is left")
        os._exit(128 + signum)

    handled = [signal.SIGINT] + [signal.SIGTERM] * hasattr(signal, "SIGTERM")
    previous = {number: signal.signal(number, stop) for number in handled}
    try:
        yield
    finally:
        if restore:
            for number, handler in previous.items():
                signal.signal(number, handler)


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
        args.n_colors = 256 if args.quality else 64
    if not 1 <= args.n_colors <= 256:
        parser.error("--n-colors must be between 1 and 256 for an indexed file")
    if args.quality:
        if args.palette:
            parser.error("--palette gives the palette: --quality does not apply")
        try:
            args.quality = parse_quality(args.quality)
        except ValueError as error:
            parser.error(f"--quality: {error}")
    _check_outputs(parser, args)
    if not 0 <= args.dither_strength <= 1:
        parser.error("--dither-strength must be between 0 and 1")
    if args.jobs == 0 or args.jobs < -1:
        parser.error("--jobs must be a number of files at once (1 or more), or -1")
    if args.save_palette and not (
        args.shared_palette or args.palette or len(args.inputs) == 1
    ):
        parser.error("--save-palette needs one input, --shared-palette or --palette")
    # Before any image is read, and naming the path as given.
    if (
        args.save_palette
        and Path(args.save_palette).suffix.lower() not in PALETTE_SUFFIXES
    ):
        parser.error(
            f"--save-palette {args.save_palette}: palettes are written as "
            f"{' or '.join(PALETTE_SUFFIXES)}"
        )


def _check_outputs(parser, args):
    """Where outputs go: a folder, beside the inputs (--ext), or standard
    output (-o -, and by default for standard input, as pngquant does)."""
    if args.inputs.count(STDIN) > 1:
        parser.error("- (standard input) can be given once")
    if args.ext is not None:
        if args.output_dir is not None:
            parser.error("--ext writes beside each input: -o does not apply with it")
        if STDIN in args.inputs:
            parser.error("--ext names outputs after their inputs: not with -")
        suffix = Path(f"x{args.ext}").suffix.lower()
        if suffix not in (".png", ".gif") or not args.ext.strip("."):
            parser.error(f"--ext {args.ext}: it must end in .png or .gif")
        args.format = suffix[1:]
    if args.output_dir is None and STDIN in args.inputs:
        args.output_dir = STDOUT
    if args.output_dir == STDOUT:
        if len(args.inputs) != 1 or (
            args.inputs[0] != STDIN and Path(args.inputs[0]).is_dir()
        ):
            parser.error("standard output takes one image: give one input file or -")
        if args.save_palette == STDOUT:
            parser.error("--save-palette - : the image goes to standard output")
    if args.output_dir is None and args.ext is None:
        args.output_dir = "quantized"


class _Run:
    """One ``colorquant quantize`` run: inputs, outputs, palette, then the files
    one by one, as a stream, so that memory follows the largest file."""

    def __init__(self, args):
        self.args = args
        self.to_stdout = args.output_dir == STDOUT
        # Standard output may carry the image: the report then goes to stderr.
        self.stream = sys.stderr if self.to_stdout else sys.stdout
        self.failures = 0
        self.not_written = set()  # exit codes of the files left unwritten
        self.progress = None
        # The options of every palette this run learns.
        self.options = {"codebook": args.codebook, "color_space": args.color_space}
        if args.quality:
            self.options.update(
                max_colors=args.n_colors, min_psnr=psnr_of_quality(args.quality[1])
            )

    def say(self, line):
        if self.args.quiet:
            return
        if self.progress is not None:
            self.progress.print(line, self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def fail(self, path, message):
        self.failures += 1
        self._error(f"colorquant: {path}: {message}")

    def _error(self, line):
        if self.progress is not None:
            self.progress.clear()
        _say_on_stderr(line)
        if self.progress is not None:
            self.progress.draw()

    def quantize(self):
        args = self.args
        if args.fixed_colors:
            try:
                self.options["fixed_colors"] = _fixed_colors(args.fixed_colors)
            except ValueError as error:
                where = "--fixed-colors" + (
                    f" {args.fixed_colors}" if Path(args.fixed_colors).exists() else ""
                )
                self.fail(where, _message(error, args.fixed_colors))
                return 1
        paths = self._inputs()
        if not self._output_folders_ready(paths):
            return 1
        if args.save_palette and Path(args.save_palette).exists() and not args.force:
            self.fail(args.save_palette, "exists; use --force to overwrite it")
            args.save_palette = None
        targets = self._targets(paths)
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
        if len(targets) > 1 and not args.quiet:
            self.progress = Progress.for_stream(sys.stderr, len(targets))
        try:
            for number, (source, (report, kept, error)) in enumerate(
                zip(targets, jobs), start=1
            ):
                if self.progress is not None:
                    self.progress.advance()
                if isinstance(error, NotWritten):
                    self.not_written.add(error.exit_code)
                    self.say(f"[{number}/{len(targets)}] {_name(source)}: {error}")
                    continue
                if error is not None:
                    self.fail(_name(source), error)
                    continue
                done.append(report)
                self._report(number, len(targets), report)
                shared = kept if keep else shared
        finally:
            if self.progress is not None:
                self.progress.clear()
                self.progress = None
        if len(targets) > 1:
            self.say(
                f"{len(done)} of {len(targets)} files written: "
                f"{sum(r.bytes_in for r in done):,} -> "
                f"{sum(r.bytes_out for r in done):,} bytes in "
                f"{time.perf_counter() - start:.1f} s"
            )
        if args.save_palette and shared is not None:
            self._save_palette(shared)
        return self._exit_code()

    def _exit_code(self):
        """1 if anything failed; otherwise pngquant's codes for files left
        unwritten on purpose (99 for quality, then 98 for size); else 0."""
        if self.failures:
            return 1
        return max(self.not_written, default=0)

    def _inputs(self):
        """The image files named, and those in the folders named (not recursive)."""
        paths = []
        for name in self.args.inputs:
            if name == STDIN:
                # Read whole, once: the image's frames are read in two passes.
                self.args.stdin = sys.stdin.buffer.read()
                paths.append(STDIN)
                continue
            path = Path(name)
            if path.is_dir():
                found = sorted(
                    p
                    for p in path.iterdir()
                    if p.suffix.lower() in IMAGE_SUFFIXES and _may_be_an_image(p)
                )
                if not found:
                    suffixes = sorted(IMAGE_SUFFIXES)
                    self.fail(
                        path,
                        "no images found in this folder (it is not searched "
                        f"recursively; images end in {', '.join(suffixes)})",
                    )
                paths += found
            elif path.exists():
                paths.append(path)
            else:
                self.fail(path, "no such file or folder")
        return paths

    def _output_folders_ready(self, paths):
        """Make the output folder; remove what killed runs left in the folders
        written to, and say so."""
        args = self.args
        folders = set()
        if args.output_dir not in (None, STDOUT):
            output_dir = Path(args.output_dir)
            try:
                output_dir.mkdir(parents=True, exist_ok=True)
                _check_writable(output_dir)
            except OSError as error:
                self.fail(
                    output_dir,
                    f"cannot write to the output folder ({error.strerror or error})",
                )
                return False
            folders.add(output_dir)
        if args.ext is not None:
            folders.update(path.parent for path in paths)
        if args.save_palette:
            folders.add(Path(args.save_palette).parent)
        for folder in sorted(folders):
            for stale in remove_stale_temporaries(folder):
                _say_on_stderr(
                    f"colorquant: removed {stale}, a partial file left by a run "
                    "that was killed"
                )
        return True

    def _targets(self, paths):
        """``{input: output path}``, without two inputs on one output, nor an
        output that exists (unless --force)."""
        args = self.args
        targets = {}
        for path in paths:
            if self.to_stdout:
                targets[path] = STDOUT
                continue
            if args.ext is not None:
                target = path.with_name(path.name.removesuffix(path.suffix) + args.ext)
            else:
                stem = "stdin" if path == STDIN else path.stem
                target = Path(args.output_dir) / f"{stem}.{args.format}"
            if target in targets.values():
                self.fail(_name(path), f"another input also writes {target}")
            elif target.exists() and not args.force:
                self.fail(_name(path), f"{target} exists; use --force to overwrite it")
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
                        "auto" if args.quality else args.n_colors,
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
            _current.path = _name(path)
            try:
                image = read_image(_source(path, self.args))
                check_image_range(image)
            except (ValueError, OSError) as error:
                self.fail(_name(path), _message(error, path))
                del targets[path]
                continue
            yield image
        _current.path = None

    def _report(self, number, total, report):
        frames = ""
        if report.frames > 1:
            frames = f" ({report.frames} frames)"
            if report.frames_written != report.frames:
                frames = (
                    f" ({report.frames} frames, {report.frames_written} in the file)"
                )
        target = "standard output" if self.to_stdout else report.target
        line = (
            f"[{number}/{total}] {_name(report.source)} -> {target}{frames}: "
            f"{report.bytes_in:,} -> {report.bytes_out:,} bytes, "
            f"{report.colors_in:,} -> {report.colors_out:,} colors, "
            f"PSNR {report.psnr:.2f} dB"
        )
        if self.args.quality:
            line += f" (quality {quality_of_psnr(report.psnr):.0f})"
        if self.args.verbose:
            line += f", {report.seconds:.2f} s"
        self.say(line)
        for note in report.notes:
            self._error(f"colorquant: {_name(report.source)}: note: {note}")

    def _save_palette(self, fitted):
        path = Path(self.args.save_palette)
        palette = indexed_palette(fitted, transparent=False)[0]
        try:
            write_new_file(
                path,
                lambda file: file.write(palette_file_text(path, palette).encode()),
                force=self.args.force,
            )
        except (ValueError, OSError) as error:
            self.fail(path, _message(error, path))
            return
        self.say(f"palette of {len(palette)} colors written to {path}")


def _name(source):
    return "standard input" if str(source) == STDIN else source


class _StandardInput(io.BytesIO):
    """Standard input's bytes, named as the user gave it in messages."""

    def __str__(self):
        return STDIN


def _source(path, args):
    """What to read ``path`` from: standard input's bytes, or the path."""
    return _StandardInput(args.stdin) if path == STDIN else path


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
    _current.path = _name(source)
    try:
        report, palette = quantize_file(
            _source(source, args),
            sys.stdout.buffer if target == STDOUT else target,
            palette=shared,
            n_colors="auto" if args.quality and shared is None else args.n_colors,
            options=options,
            dither=None if args.dither == "none" else args.dither,
            dither_strength=args.dither_strength,
            force=args.force,
            first_frame=args.first_frame,
            palette_per_frame=args.palette_per_frame,
            required_psnr=psnr_of_quality(args.quality[0]) if args.quality else None,
            skip_if_larger=args.skip_if_larger,
            strip=args.strip,
            format=args.format,
        )
    except NotWritten as reason:
        return None, None, reason
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


def _may_be_an_image(path):
    """Whether a folder's entry is a file to read: a regular file, or a link
    that is broken or loops (reported, not passed over). A FIFO, socket or
    device would block the run or never end; a folder is not an image."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return path.is_symlink()


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
    program()
