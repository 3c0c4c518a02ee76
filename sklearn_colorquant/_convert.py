"""One image file in, one indexed file out: the per-file work of ``colorquant``.

Files are written through a temporary file of a unique name in the target's
folder and moved into place only when whole, so that a failed or interrupted run
leaves no partial file, two runs never touch each other's temporary files, and an
existing file is replaced only when the caller says so.
"""

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

from ._assign import palette_colors
from ._batch import quantize_animation, shared_sample
from ._color_spaces import check_image_range
from ._distinct import distinct_colors
from ._image import (
    _image_pixels,
    fit_image_quantizer,
    fit_pixels,
    image_labels,
    image_palette,
)
from ._io import read_first_frame, read_frames, save_indexed_frames, save_indexed_image
from ._quantizer import ColorQuantizer
from .metrics import peak_signal_noise_ratio


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
    quantizer=None,
    n_colors=64,
    params=None,
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
    quantizer : ColorQuantizer, optional
        A fitted quantizer whose palette to use; otherwise one is fitted on the
        image with ``n_colors`` and ``params``.
    n_colors : int
        Entries of the file's palette, at most: with fully transparent pixels,
        the transparent entry counts among them (pngquant's ``-k``).
    params : dict, optional
        Other parameters of :class:`ColorQuantizer`.
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
        otherwise one palette, fitted on pixels drawn from every frame, serves
        all of them, and a pixel whose color does not change from one frame to
        the next keeps its index, dithered or not: no flicker.

    Returns
    -------
    report : FileReport
    quantizer : ColorQuantizer
        The quantizer used: ``quantizer``, or the one fitted on the image.

    Raises
    ------
    ValueError, OSError
        With a one-line message about this file.
    """
    start = time.perf_counter()
    source, target = Path(source), Path(target)
    # Before anything is written: the target may be the source itself.
    bytes_in = source.stat().st_size
    image, n_frames = read_first_frame(source)
    if n_frames > 1 and not first_frame:
        return _quantize_animation(
            source,
            target,
            bytes_in,
            quantizer,
            palette_per_frame,
            start,
            n_colors=n_colors,
            params=params or {},
            dither=dither,
            dither_strength=dither_strength,
            force=force,
        )
    # A float image outside [0, 1] would be clipped in the indexed file.
    check_image_range(image)
    pixels = _image_pixels(image)
    transparent = pixels.shape[1] == 4 and bool(np.any(pixels[:, 3] == 0))
    if quantizer is None:
        quantizer = fit_image_quantizer(
            image,
            learned_colors(n_colors, transparent),
            **params_for(params or {}, pixels.shape[1]),
        )
    labels = image_labels(image, quantizer, dither, dither_strength)
    palette, alpha = indexed_palette(quantizer, transparent)
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
            path, labels.reshape(spatial), palette, alpha=alpha
        ),
        force=force,
    )
    quantized = palette_colors(image_palette(quantizer, image.dtype), labels)
    report = _report(
        source, target, (bytes_in, bytes_out), pixels, quantized, start, notes=notes
    )
    return report, quantizer


def _quantize_animation(
    source,
    target,
    bytes_in,
    quantizer,
    palette_per_frame,
    start,
    *,
    n_colors,
    params,
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
    if palette_per_frame and quantizer is None and target.suffix.lower() != ".gif":
        raise ValueError(
            "--palette-per-frame needs --format gif: an animated PNG holds one palette"
        )
    indices, quantizers = quantize_animation(
        frames,
        learned_colors(n_colors, transparent),
        quantizer=quantizer,
        palette_per_frame=palette_per_frame,
        dither=dither,
        dither_strength=dither_strength,
        **params_for(params, pixels[0].shape[1]),
    )
    labels = [frame_indices.reshape(-1) for frame_indices in indices]
    tables = [indexed_palette(q, transparent) for q in quantizers]
    shared = all(q is quantizers[0] for q in quantizers)
    spatial = frames[0].shape[:2]
    bytes_out = write_new_file(
        target,
        lambda path: save_indexed_frames(
            path,
            [frame_labels.reshape(spatial) for frame_labels in labels],
            tables[0][0] if shared else [palette for palette, _ in tables],
            alpha=tables[0][1] if shared else [alpha for _, alpha in tables],
            durations=durations,
            loop=loop,
        ),
        force=force,
    )
    originals = np.concatenate(pixels)
    quantized = np.concatenate(
        [
            palette_colors(image_palette(q, frames[0].dtype), frame_labels)
            for q, frame_labels in zip(quantizers, labels)
        ]
    )
    report = _report(
        source,
        target,
        (bytes_in, bytes_out),
        originals,
        quantized,
        start,
        frames=len(frames),
    )
    return report, quantizers[0]


def _report(source, target, sizes, pixels, quantized, start, notes=(), frames=1):
    """What was done to ``pixels``, quantized to ``quantized`` (one per row):
    colors before and after, and PSNR over the visible pixels."""
    visible = pixels[:, 3] > 0 if pixels.shape[1] == 4 else slice(None)
    return FileReport(
        source=source,
        target=target,
        bytes_in=sizes[0],
        bytes_out=sizes[1],
        colors_in=len(distinct_colors(pixels)[0]),
        colors_out=len(distinct_colors(quantized)[0]),
        psnr=peak_signal_noise_ratio(pixels[visible], quantized[visible]),
        seconds=time.perf_counter() - start,
        notes=tuple(notes),
        frames=frames,
    )


def fit_shared_palette(images, n_images, n_colors, *, random_state=None, **params):
    """A quantizer fitted on pixels drawn evenly from ``n_images`` images, read
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
    n_learned = learned_colors(n_colors, any(transparent))
    params = params_for(params, sample.shape[1])
    quantizer = ColorQuantizer(n_learned, random_state=random_state, **params)
    return fit_pixels(quantizer, sample)


def params_for(params, channels):
    """``params`` with reserved RGB colors (``fixed_colors``, uint8) made to fit
    images of ``channels`` channels: opaque for RGBA, gray for grayscale."""
    fixed = params.get("fixed_colors")
    if fixed is None or channels == 3:
        return params
    if channels == 4:
        opaque = np.full((len(fixed), 1), 255, dtype=np.uint8)
        return {**params, "fixed_colors": np.hstack([fixed, opaque])}
    if channels == 1 and np.all(fixed == fixed[:, :1]):
        return {**params, "fixed_colors": fixed[:, :1]}
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


def indexed_palette(quantizer, transparent):
    """The palette as uint8 RGB for an indexed file, and its alpha table (RGBA),
    with the fully transparent entry last where ``transparent`` pixels need it."""
    palette = image_palette(quantizer, np.uint8)
    channels = palette.shape[1]
    if channels == 1:
        return np.repeat(palette, 3, axis=1), None
    if channels == 3:
        return palette, None
    if channels == 4:
        if not transparent:
            palette = palette[:-1]
        if len(palette) > 256:
            raise ValueError(
                f"{len(palette) - 1} palette colors and the transparent entry make "
                f"{len(palette)}; an indexed file holds 256"
            )
        return np.ascontiguousarray(palette[:, :3]), palette[:, 3].copy()
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
        name = f".{target.stem}.{secrets.token_hex(6)}.partial{target.suffix}"
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
