"""One image file in, one indexed file out: the per-file work of ``colorquant``.

Files are written through a temporary file of a unique name in the target's
folder and moved into place only when whole, so that a failed or interrupted run
leaves no partial file, two runs never touch each other's temporary files, and an
existing file is replaced only when the caller says so.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
    seconds: float
    notes: tuple = ()
    frames: int = 1


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
):
    """Quantize the image file ``source`` and write it to ``target`` as an indexed
    PNG or GIF.

    Parameters
    ----------
    source, target : path-like
    palette : FittedPalette, optional
        The palette to use; otherwise one is learned from the image with
        ``n_colors`` and ``options``.
    n_colors : int
        Entries of the file's palette, at most: with fully transparent pixels,
        the transparent entry counts among them (pngquant's ``-k``).
    options : dict, optional
        Options of ``learn_palette``: ``codebook``, ``color_space``,
        ``fixed_colors``, ``random_state``.
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

    Returns
    -------
    report : FileReport
    palette : FittedPalette
        The palette used: ``palette``, or the one learned from the image.

    Raises
    ------
    ValueError, OSError
        With a one-line message about this file.
    """
    start = time.perf_counter()
    source, target = Path(source), Path(target)
    options = options or {}
    # Before anything is written: the target may be the source itself.
    bytes_in = source.stat().st_size
    image, n_frames = read_first_frame(source)
    if n_frames > 1 and not first_frame:
        return _quantize_animation(
            source,
            target,
            bytes_in,
            palette,
            palette_per_frame,
            start,
            n_colors=n_colors,
            options=options,
            dither=dither,
            dither_strength=dither_strength,
            force=force,
        )
    # A float image outside [0, 1] would be clipped in the indexed file.
    check_image_range(image)
    pixels = _image_pixels(image)
    transparent = pixels.shape[1] == 4 and bool(np.any(pixels[:, 3] == 0))
    if palette is None:
        palette = fit_image_palette(
            image,
            learned_colors(n_colors, transparent),
            **options_for(options, pixels.shape[1]),
        )
    labels = image_labels(image, palette, dither, dither_strength)
    colors, alpha = indexed_palette(palette, transparent)
    notes = []
    if target.suffix.lower() == ".gif" and alpha is not None:
        partial = int(np.count_nonzero((alpha[labels] > 0) & (alpha[labels] < 255)))
        if partial:
            notes.append(
                f"GIF has no partial transparency: {partial:,} partly transparent "
                "pixels written opaque (PNG keeps them)"
            )
    spatial = image.shape[:2]
    bytes_out = write_new_file(
        target,
        lambda path: save_indexed_image(
            path, labels.reshape(spatial), colors, alpha=alpha
        ),
        force=force,
    )
    report = _report(
        source, target, (bytes_in, bytes_out), [(pixels, labels, palette)], start,
        notes=notes,
    )  # fmt: skip
    return report, palette


def _quantize_animation(
    source,
    target,
    bytes_in,
    palette,
    palette_per_frame,
    start,
    *,
    n_colors,
    options,
    dither,
    dither_strength,
    force,
):
    """``quantize_file`` for a file of several frames: all of them written."""
    frames, durations, loop = read_frames(source)
    for frame in frames:
        check_image_range(frame)
    pixels = [_image_pixels(frame) for frame in frames]
    transparent = pixels[0].shape[1] == 4 and any(
        bool(np.any(frame_pixels[:, 3] == 0)) for frame_pixels in pixels
    )
    if palette_per_frame and palette is None and target.suffix.lower() != ".gif":
        raise ValueError(
            "--palette-per-frame needs --format gif: an animated PNG holds one palette"
        )
    if palette is None:
        palettes = animation_palettes(
            frames,
            learned_colors(n_colors, transparent),
            palette_per_frame=palette_per_frame,
            **options_for(options, pixels[0].shape[1]),
        )
    else:
        palettes = [palette] * len(frames)
    indices = animation_labels(frames, palettes, dither, dither_strength)
    labels = [frame_indices.reshape(-1) for frame_indices in indices]
    tables = [indexed_palette(frame_palette, transparent) for frame_palette in palettes]
    shared = all(frame_palette is palettes[0] for frame_palette in palettes)
    spatial = frames[0].shape[:2]
    bytes_out = write_new_file(
        target,
        lambda path: save_indexed_frames(
            path,
            [frame_labels.reshape(spatial) for frame_labels in labels],
            tables[0][0] if shared else [colors for colors, _ in tables],
            alpha=tables[0][1] if shared else [alpha for _, alpha in tables],
            durations=durations,
            loop=loop,
        ),
        force=force,
    )
    report = _report(
        source,
        target,
        (bytes_in, bytes_out),
        list(zip(pixels, labels, palettes)),
        start,
        frames=len(frames),
    )
    return report, palettes[0]


def _report(source, target, sizes, mapped, start, notes=(), frames=1):
    """What was done to the pixels of each ``(pixels, labels, palette)`` of
    ``mapped``: colors before and after, and PSNR over the visible pixels, each
    worked out without a copy of the image."""
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
    all_pixels = [pixels for pixels, _, _ in mapped]
    return FileReport(
        source=source,
        target=target,
        bytes_in=sizes[0],
        bytes_out=sizes[1],
        colors_in=n_distinct_colors(
            all_pixels[0] if len(all_pixels) == 1 else np.concatenate(all_pixels)
        ),
        colors_out=len(colors_out),
        psnr=_psnr_from_unit_mse(squared / max(values, 1)),
        seconds=time.perf_counter() - start,
        notes=tuple(notes),
        frames=frames,
    )


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
    return learn_visible_palette(
        sample,
        learned_colors(n_colors, any(transparent)),
        random_state=random_state,
        **options_for(options, sample.shape[1]),
    )


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
    """Call ``write(path)`` on a new temporary file beside ``target``, then move it
    into place; its size in bytes.

    Without ``force``, an existing ``target`` is a ValueError, checked atomically
    (a hard link fails if the name exists), so that of two runs writing one name,
    one succeeds and the other says so. The temporary file is removed whatever
    happens, and no other file is.
    """
    target = Path(target)
    temporary = _new_temporary(target)
    try:
        write(temporary)
        size = temporary.stat().st_size
        if force:
            os.replace(temporary, target)
        else:
            _link_new(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return size


def _new_temporary(target):
    """A new, empty file beside ``target`` with a name no other run uses, made
    with the permissions a plain new file gets (umask applied)."""
    for _ in range(100):
        name = f".{target.stem}.{os.urandom(6).hex()}.partial{target.suffix}"
        temporary = target.with_name(name)
        try:
            os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return temporary
    raise OSError(f"cannot make a temporary file beside {target}")


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
