"""One image file in, one indexed file out: the per-file work of ``colorquant``.

Files are written through a temporary file of a unique name in the target's
folder and moved into place only when whole, so that a failed or interrupted run
leaves no partial file, two runs never touch each other's temporary files, and an
existing file is replaced only when the caller says so.
"""

import io
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from ._batch import animation_labels, animation_palettes, shared_sample
from ._color_spaces import check_image_range
from ._distinct import n_distinct_colors
from ._image import (
    _image_pixels,
    fit_image_palette,
    image_colors,
    image_labels,
    learn_visible_palette,
)
from ._io import read_first_frame, read_frames, save_indexed_frames, save_indexed_image
from ._learn import check_random_state
from ._palette import BLOCK_PIXELS
from ._quality import quality_of_psnr
from .metrics import _psnr_from_unit_mse


@dataclass(frozen=True)
class FileReport:
    """What quantizing one file did."""

    source: Path
    target: Path
    bytes_in: int
    bytes_out: int
    colors_in: int
    colors_out: int
    psnr: float  # over the visible pixels
    seconds: float = 0.0
    notes: tuple = ()
    frames: int = 1
    frames_written: int = 1


class NotWritten(Exception):
    """A file left unwritten on purpose; ``exit_code`` is pngquant's for it."""

    exit_code = 1


class QualityTooLow(NotWritten):
    """Even the largest palette allowed misses the quality asked for."""

    exit_code = 99


class NotLarger(NotWritten):
    """The output would not be smaller than its input (``skip_if_larger``)."""

    exit_code = 98


def quantize_file(
    source,
    target,
    *,
    palette=None,
    n_colors=64,
    options=None,
    dither=None,
    dither_strength=1.0,
    force=False,
    first_frame=False,
    palette_per_frame=False,
    required_psnr=None,
    skip_if_larger=False,
    strip=False,
    format=None,
):
    """Quantize the image file ``source`` and write it to ``target`` as an indexed
    PNG or GIF.

    Parameters
    ----------
    source : path-like or binary file object
        A file object is read whole (standard input).
    target : path-like or binary file object
        A file object is written once the file is whole (standard output).
    palette : FittedPalette, optional
        The palette to use; otherwise one is learned from the image with
        ``n_colors`` and ``options``.
    n_colors : int or "auto"
        Entries of the file's palette, at most: with fully transparent pixels,
        the transparent entry counts among them (pngquant's ``-k``). With
        "auto", ``options`` hold ``max_colors`` (counted the same way) and the
        ``min_psnr`` to reach.
    options : dict, optional
        Options of ``learn_palette``: ``codebook``, ``color_space``,
        ``fixed_colors``, ``random_state``, ``max_colors``, ``min_psnr``.
    dither, dither_strength
        As for :func:`apply_palette`.
    force : bool
        Replace ``target`` if it exists; otherwise an existing ``target`` is an
        error, even one that another process wrote meanwhile.
    first_frame : bool
        Quantize the first frame of an animation or multi-page file only;
        otherwise every frame is written, as an animated GIF or PNG, with the
        frames' durations and loop count.
    palette_per_frame : bool
        Give each frame of an animation a palette of its own (GIF only);
        otherwise one palette, learned from pixels drawn from every frame, serves
        all of them, and a pixel whose color does not change from one frame to
        the next keeps its index, dithered or not: no flicker.
    required_psnr : float, optional
        Write nothing, and raise ``QualityTooLow``, when the PSNR over the
        visible pixels is below this.
    skip_if_larger : bool
        Write nothing, and raise ``NotLarger``, when the output would not be
        smaller than ``source``.
    strip : bool
        Write none of the source's metadata; otherwise its ICC profile, gamma
        and text chunks are kept.
    format : {"png", "gif"}, optional
        Needed when ``target`` is a file object; otherwise taken from its suffix.

    Returns
    -------
    report : FileReport
    palette : FittedPalette
        The palette used: ``palette``, or the one learned from the image.

    Raises
    ------
    ValueError, OSError
        With a one-line message about this file.
    NotWritten
        ``QualityTooLow`` or ``NotLarger``, with a one-line message.
    """
    start = time.perf_counter()
    source = source if _is_stream(source) else Path(source)
    target = target if _is_stream(target) else Path(target)
    format = format or target.suffix.lower().removeprefix(".")
    options = options or {}
    # Before anything is written: the target may be the source itself.
    bytes_in = _size_of(source)
    image, n_frames, metadata = read_first_frame(source)
    written = _Output(
        target,
        format,
        force=force,
        smaller_than=bytes_in if skip_if_larger else None,
        metadata={} if strip else metadata,
    )
    if n_frames > 1 and not first_frame:
        return _quantize_animation(
            source,
            written,
            bytes_in,
            palette,
            palette_per_frame,
            start,
            n_colors=n_colors,
            options=options,
            dither=dither,
            dither_strength=dither_strength,
            required_psnr=required_psnr,
        )
    # A float image outside [0, 1] would be clipped in the indexed file.
    check_image_range(image)
    pixels = _image_pixels(image)
    transparent = pixels.shape[1] == 4 and bool(np.any(pixels[:, 3] == 0))
    if palette is None:
        size, fit_options = sized_for(n_colors, options, transparent, pixels.shape[1])
        palette = fit_image_palette(image, size, **fit_options)
    labels = image_labels(image, palette, dither, dither_strength)
    colors, alpha = indexed_palette(palette, transparent)
    notes = []
    if format == "gif" and alpha is not None:
        partial = int(np.count_nonzero((alpha[labels] > 0) & (alpha[labels] < 255)))
        if partial:
            notes.append(
                f"GIF has no partial transparency: {partial:,} partly transparent "
                "pixels written opaque (PNG keeps them)"
            )
    figures = _figures([(pixels, labels, palette)], required_psnr)
    spatial = image.shape[:2]
    bytes_out, _ = written.write(
        lambda file, **kept: save_indexed_image(
            file, labels.reshape(spatial), colors, alpha=alpha, **kept
        )
    )
    report = FileReport(
        source, target, bytes_in, bytes_out, *figures,
        seconds=time.perf_counter() - start, notes=tuple(notes),
    )  # fmt: skip
    return report, palette


def _quantize_animation(
    source,
    written,
    bytes_in,
    palette,
    palette_per_frame,
    start,
    *,
    n_colors,
    options,
    dither,
    dither_strength,
    required_psnr,
):
    """``quantize_file`` for a file of several frames: all of them written."""
    frames, durations, loop = read_frames(source)
    for frame in frames:
        check_image_range(frame)
    pixels = [_image_pixels(frame) for frame in frames]
    transparent = pixels[0].shape[1] == 4 and any(
        bool(np.any(frame_pixels[:, 3] == 0)) for frame_pixels in pixels
    )
    if palette_per_frame and palette is None and written.format != "gif":
        raise ValueError(
            "--palette-per-frame needs --format gif: an animated PNG holds one palette"
        )
    if palette is None:
        size, fit_options = sized_for(
            n_colors, options, transparent, pixels[0].shape[1]
        )
        palettes = animation_palettes(
            frames, size, palette_per_frame=palette_per_frame, **fit_options
        )
    else:
        palettes = [palette] * len(frames)
    indices = animation_labels(frames, palettes, dither, dither_strength)
    labels = [frame_indices.reshape(-1) for frame_indices in indices]
    tables = [indexed_palette(frame_palette, transparent) for frame_palette in palettes]
    shared = all(frame_palette is palettes[0] for frame_palette in palettes)
    figures = _figures(list(zip(pixels, labels, palettes)), required_psnr)
    spatial = frames[0].shape[:2]
    bytes_out, frames_written = written.write(
        lambda file, **kept: save_indexed_frames(
            file,
            [frame_labels.reshape(spatial) for frame_labels in labels],
            tables[0][0] if shared else [colors for colors, _ in tables],
            alpha=tables[0][1] if shared else [alpha for _, alpha in tables],
            durations=durations,
            loop=loop,
            **kept,
        ),
        count_frames=True,
    )
    notes = []
    if frames_written != len(frames):
        notes.append(
            f"{len(frames) - frames_written:,} of the {len(frames):,} frames are "
            "the same as the frame before them once quantized, and show as one "
            f"with their durations added: the file holds {frames_written:,} "
            + ("frame" if frames_written == 1 else "frames")
        )
    report = FileReport(
        source, written.target, bytes_in, bytes_out, *figures,
        seconds=time.perf_counter() - start, notes=tuple(notes),
        frames=len(frames), frames_written=frames_written,
    )  # fmt: skip
    return report, palettes[0]


def _figures(mapped, required_psnr):
    """``(colors_in, colors_out, psnr)`` of each ``(pixels, labels, palette)`` of
    ``mapped``: colors before and after, and PSNR over the visible pixels, each
    worked out without a copy of the image; ``QualityTooLow`` below
    ``required_psnr``."""
    squared, values, colors_out = 0.0, 0, set()
    for pixels, labels, palette in mapped:
        visible = slice(None)
        if pixels.shape[1] == 4:
            visible = pixels[:, 3] > 0
        squared += palette.squared_error(pixels[visible], labels[visible])
        values += pixels[visible].size
        used = _used_labels(labels, palette.n_colors + 1)
        colors = image_colors(palette, pixels.dtype)
        colors_out.update(map(bytes, colors[used[: len(colors)]]))
    psnr = _psnr_from_unit_mse(squared / max(values, 1))
    if required_psnr is not None and psnr < required_psnr:
        raise QualityTooLow(
            f"not written: quality {quality_of_psnr(psnr):.0f} (PSNR {psnr:.2f} dB) "
            f"with {len(colors_out)} colors, below the minimum "
            f"{quality_of_psnr(required_psnr):.0f} asked for"
        )
    all_pixels = [pixels for pixels, _, _ in mapped]
    colors_in = n_distinct_colors(
        all_pixels[0] if len(all_pixels) == 1 else np.concatenate(all_pixels)
    )
    return colors_in, len(colors_out), psnr


class _Output:
    """Where a file goes, and how: a path written through a temporary file, or
    a stream (standard output) written once the file is whole."""

    def __init__(self, target, format, *, force, smaller_than, metadata):
        self.target = target
        self.format = format
        self.force = force
        self.smaller_than = smaller_than
        self.metadata = metadata

    def write(self, write, count_frames=False):
        """``write(file, format=..., metadata=...)``, then ``(bytes, frames)`` of
        the file written (frames None unless ``count_frames``)."""
        frames = None

        def checked(file):
            nonlocal frames
            write(file, format=self.format, metadata=self.metadata)
            size = _size_of(file)
            if self.smaller_than is not None and size >= self.smaller_than:
                raise NotLarger(
                    f"not written: {size:,} bytes quantized, not smaller than "
                    f"the {self.smaller_than:,} of the input"
                )
            if count_frames:
                frames = _frames_in(file)

        if not _is_stream(self.target):
            return write_new_file(self.target, checked, force=self.force), frames
        # A stream is written once whole, so that a failure sends nothing.
        buffer = io.BytesIO()
        checked(buffer)
        self.target.write(buffer.getbuffer())
        self.target.flush()
        return buffer.getbuffer().nbytes, frames


def _is_stream(file):
    return hasattr(file, "read") or hasattr(file, "write")


def _size_of(file):
    if isinstance(file, io.BytesIO):
        return file.getbuffer().nbytes
    if _is_stream(file):
        file.flush()
        return os.fstat(file.fileno()).st_size
    return Path(file).stat().st_size


def _frames_in(file):
    """Frames in a written file: Pillow's writers merge consecutive frames that
    are the same, adding their durations."""
    file.seek(0)
    with Image.open(file) as written:
        return getattr(written, "n_frames", 1)


def _used_labels(labels, n_labels):
    """Which of ``n_labels`` labels occur, block by block: ``np.bincount`` of a
    whole image would make an int64 copy of its labels."""
    used = np.zeros(n_labels, dtype=bool)
    for start in range(0, len(labels), BLOCK_PIXELS):
        used |= (
            np.bincount(labels[start : start + BLOCK_PIXELS], minlength=n_labels) > 0
        )
    return used


def shared_file_palette(images, n_images, n_colors, *, random_state=None, **options):
    """A palette learned from pixels drawn evenly from ``n_images`` images, read
    from the iterator ``images`` one at a time, for files of at most ``n_colors``
    palette entries (one of them transparent if any image has transparent
    pixels)."""
    transparent = []

    def noting_transparency(images):
        for image in images:
            pixels = _image_pixels(image)
            transparent.append(pixels.shape[1] == 4 and bool(np.any(pixels[:, 3] == 0)))
            yield image

    rng = check_random_state(random_state)
    sample = shared_sample(noting_transparency(images), rng, n_images=n_images)
    size, fit_options = sized_for(n_colors, options, any(transparent), sample.shape[1])
    return learn_visible_palette(sample, size, random_state=random_state, **fit_options)


def sized_for(n_colors, options, transparent, channels):
    """The palette size to learn and the options to learn it with, for files of
    at most ``n_colors`` palette entries (``options["max_colors"]`` with
    "auto") of images of ``channels`` channels."""
    options = options_for(options, channels)
    if n_colors != "auto":
        return learned_colors(n_colors, transparent), options
    max_colors = learned_colors(options.get("max_colors", 256), transparent)
    return "auto", {**options, "max_colors": max_colors}


def options_for(options, channels):
    """``options`` with reserved RGB colors (``fixed_colors``, uint8) made to fit
    images of ``channels`` channels: opaque for RGBA, gray for grayscale."""
    fixed = options.get("fixed_colors")
    if fixed is None or channels == 3:
        return options
    if channels == 4:
        opaque = np.full((len(fixed), 1), 255, dtype=np.uint8)
        return {**options, "fixed_colors": np.hstack([fixed, opaque])}
    if channels == 1 and np.all(fixed == fixed[:, :1]):
        return {**options, "fixed_colors": fixed[:, :1]}
    raise ValueError(
        f"the reserved colors are RGB and the image has {channels} channel(s); "
        "a grayscale image takes gray ones (#rrggbb with rr = gg = bb)"
    )


def learned_colors(n_colors, transparent):
    """Colors to learn for a file of at most ``n_colors`` palette entries: one
    fewer where fully transparent pixels take an entry of their own."""
    if not transparent:
        return n_colors
    if n_colors < 2:
        raise ValueError(
            "the image has transparent pixels, which take a palette entry of their "
            "own: use -k 2 or more"
        )
    return n_colors - 1


def indexed_palette(palette, transparent):
    """The palette as uint8 RGB for an indexed file, and its alpha table (RGBA),
    with the fully transparent entry last where ``transparent`` pixels need it."""
    colors = image_colors(palette, np.uint8)
    channels = colors.shape[1]
    if channels == 1:
        return np.repeat(colors, 3, axis=1), None
    if channels == 3:
        return colors, None
    if channels == 4:
        if not transparent:
            colors = colors[:-1]
        if len(colors) > 256:
            raise ValueError(
                f"{len(colors) - 1} palette colors and the transparent entry make "
                f"{len(colors)}; an indexed file holds 256"
            )
        return np.ascontiguousarray(colors[:, :3]), colors[:, 3].copy()
    raise ValueError(
        f"images of {channels} channels cannot be written as indexed files"
    )


def write_new_file(target, write, *, force=False):
    """Call ``write(file)`` on a new temporary file beside ``target``, open for
    reading and writing in binary mode, then move it into place; its size in
    bytes.

    Without ``force``, an existing ``target`` is a ValueError, checked atomically
    (a hard link fails if the name exists), so that of two runs writing one name,
    one succeeds and the other says so. The temporary file is removed whatever
    happens, and no other file is: by this process on an exception, by
    ``remove_temporaries`` on a signal, and by a later run's
    ``remove_stale_temporaries`` if this process was killed. ``write`` gets an
    open file rather than a name: a writer that opened the name itself, after
    a signal's handler removed it, would make the file again.
    """
    target = Path(target)
    temporary, lock = _new_temporary(target)
    try:
        with os.fdopen(os.dup(lock), "w+b") as file:
            write(file)
            file.flush()
            size = os.fstat(file.fileno()).st_size
        if force:
            os.replace(temporary, target)
        else:
            _link_new(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
        with _temporaries_lock:
            _temporaries.discard(temporary)
        os.close(lock)
    return size


# The temporary files this process is writing, for a signal's handler to remove.
_temporaries = set()
_temporaries_lock = threading.Lock()
_stopping = False
# Our temporary files' names: ".NAME.<12 hex digits>.partial.SUFFIX".
_TEMPORARY_NAME = re.compile(r"\..+\.[0-9a-f]{12}\.partial\.[A-Za-z0-9]+")


def _new_temporary(target):
    """A new, empty file beside ``target`` with a name no other run uses, made
    with the permissions a plain new file gets (umask applied), and an open
    descriptor holding a lock on it for as long as this process writes it."""
    for _ in range(100):
        token = os.urandom(6).hex()
        temporary = target.with_name(f".{target.stem}.{token}.partial{target.suffix}")
        # Made under a name that remove_stale_temporaries does not match, locked,
        # and only then given its own: a run cleaning the folder meanwhile could
        # otherwise take the lock of the file just made, before its maker, and
        # remove it. The rename cannot replace another run's file unless both
        # drew the same 48 random bits.
        making = target.with_name(f".{target.stem}.{token}.making{target.suffix}")
        with _temporaries_lock:
            if _stopping:
                raise OSError("the run is stopping")
            try:
                descriptor = os.open(making, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o666)
            except FileExistsError:
                continue
            try:
                _lock(descriptor)
                os.rename(making, temporary)
            except BaseException:
                os.close(descriptor)
                Path(making).unlink(missing_ok=True)
                raise
            _temporaries.add(temporary)
        return temporary, descriptor
    raise OSError(f"cannot make a temporary file beside {target}")


def remove_temporaries():
    """Remove the temporary files this process is writing, and make no more: for
    a run stopped by a signal, which then exits."""
    global _stopping
    with _temporaries_lock:
        _stopping = True
        for temporary in _temporaries:
            temporary.unlink(missing_ok=True)
        _temporaries.clear()


def remove_stale_temporaries(folder):
    """Remove the temporary files in ``folder`` that a run killed outright
    (``kill -9``, a crash, a power cut) left, and return their paths: those of
    our naming that no process holds the lock of. Where locks cannot be taken
    (no ``fcntl``), none is removed."""
    if fcntl is None:
        return []
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if not _TEMPORARY_NAME.fullmatch(entry.name) or not entry.is_file(
            follow_symlinks=False
        ):
            continue
        try:
            descriptor = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live run is writing it
        else:
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        finally:
            os.close(descriptor)
    return removed


def _lock(descriptor):
    if fcntl is not None:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass  # a file system without locks: the file is removed all the same


def _link_new(temporary, target):
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise ValueError(f"{target} exists; use --force to overwrite it") from None
    except OSError:
        # No hard links on this file system (FAT, some network shares): check,
        # then move, with a window in which another run could write the name.
        if os.path.lexists(target):
            raise ValueError(f"{target} exists; use --force to overwrite it") from None
        os.replace(temporary, target)
