"""Image and palette files: reading what Pillow reads, writing indexed images."""

import json
import os
import re
import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, ImageSequence, PngImagePlugin, UnidentifiedImageError

from ._distinct import distinct_colors

PALETTE_SUFFIXES = (".gpl", ".json")
INDEXED_SUFFIXES = (".png", ".gif")
_HEX_CODE = re.compile(r"#[0-9a-fA-F]{6}")
# A palette file of 256 named colors is a few KiB: reading stops well past that,
# so that a wrong path (a log, a symlink to /dev/zero) cannot fill the memory.
_PALETTE_FILE_BYTES = 1 << 20
_CHANNEL_VALUE = re.compile(r"[0-9]{1,3}")


def read_image(path):
    """Read an image file as an array, upright, in the mode that keeps its content.

    Parameters
    ----------
    path : str or path-like
        Any file Pillow reads. EXIF orientation is applied.

    Returns
    -------
    image : ndarray
        ``(H, W, 3)`` uint8 for color, ``(H, W, 4)`` uint8 when the file has an
        alpha channel or a transparent palette entry, ``(H, W)`` uint8 for
        grayscale and ``(H, W)`` uint16 for 16-bit grayscale. Pillow reads 16-bit
        color PNGs as 8-bit.

    Raises
    ------
    ValueError
        When the file is not an image, is truncated, or is larger than Pillow's
        decompression-bomb limit; the message names the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> from sklearn_colorquant import read_image
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "gray.png"
    >>> Image.new("L", (4, 3), 128).save(path)
    >>> read_image(path).shape, read_image(path).dtype
    ((3, 4), dtype('uint8'))
    """
    return read_first_frame(path)[0]


def read_first_frame(path):
    """``read_image(path)``, the number of frames in the file (animated GIF,
    APNG, multi-page TIFF), so that a caller can refuse to drop frames, and the
    file's metadata that an indexed file can keep (see ``_metadata``)."""
    try:
        with Image.open(path) as opened:
            n_frames = getattr(opened, "n_frames", 1)
            opened.load()
            metadata = _metadata(opened)
            # In place: a transposed copy would hold the image twice.
            image = ImageOps.exif_transpose(opened, in_place=True) or opened
    except UnidentifiedImageError:
        raise ValueError(f"{path}: not an image file Pillow can read") from None
    except Image.DecompressionBombError as error:
        raise ValueError(f"{path}: too large to read safely ({error})") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot read the image ({error})") from None
    return _as_array(_content_mode(image)), n_frames, metadata


def _metadata(image):
    """What says how to show the pixels or what they are, and that PNG holds:
    the ICC profile, the gamma and sRGB chunks, and the text chunks. EXIF is
    not kept (its orientation has been applied, and it carries camera data)."""
    info = image.info
    metadata = {
        key: info[key] for key in ("icc_profile", "gamma", "srgb") if key in info
    }
    text = getattr(image, "text", None) if image.format == "PNG" else None
    if text:
        metadata["text"] = dict(text)
    if isinstance(info.get("comment"), (bytes, str)) and info["comment"]:
        metadata["comment"] = info["comment"]
    return metadata


def read_frames(path):
    """Read every frame of an animated GIF or APNG, or every page of a TIFF.

    Parameters
    ----------
    path : str or path-like
        Any file Pillow reads; a still image gives one frame.

    Returns
    -------
    frames : list of ndarray
        The frames as a viewer shows them (each composited over the ones before
        it, as Pillow does), all of one shape and dtype: RGBA if any frame has
        transparency, RGB if any has color, as :func:`read_image` reads them.
    durations : list of int
        How long each frame shows, in milliseconds (0 where the file says none).
    loop : int or None
        How many times the animation repeats (0: forever), None if the file
        does not say.

    Raises
    ------
    ValueError
        As for :func:`read_image`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from PIL import Image
    >>> from sklearn_colorquant import read_frames
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "blink.gif"
    >>> frames = [Image.new("RGB", (4, 3), color) for color in ("red", "blue")]
    >>> frames[0].save(path, save_all=True, append_images=frames[1:],
    ...                duration=[100, 250], loop=0)
    >>> frames, durations, loop = read_frames(path)
    >>> len(frames), frames[1].shape, durations, loop
    (2, (3, 4, 3), [100, 250], 0)
    """
    try:
        with Image.open(path) as opened:
            loop = opened.info.get("loop")
            frames, durations = [], []
            for frame in ImageSequence.Iterator(opened):
                frame.load()
                durations.append(int(round(frame.info.get("duration", 0) or 0)))
                frames.append(np.asarray(_content_mode(frame.copy())))
    except UnidentifiedImageError:
        raise ValueError(f"{path}: not an image file Pillow can read") from None
    except Image.DecompressionBombError as error:
        raise ValueError(f"{path}: too large to read safely ({error})") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot read the image ({error})") from None
    return _same_layout(frames, path), durations, loop


def _same_layout(frames, path):
    """Frames of one shape and dtype: gray widened to RGB, RGB to RGBA, where
    another frame needs it."""
    shapes = {frame.shape[:2] for frame in frames}
    dtypes = {frame.dtype for frame in frames}
    if len(shapes) > 1 or len(dtypes) > 1:
        raise ValueError(
            f"{path}: its frames differ in size or depth ({sorted(shapes)}, "
            f"{sorted(map(str, dtypes))}), which this reader does not combine"
        )
    channels = max(1 if frame.ndim == 2 else frame.shape[2] for frame in frames)
    widened = []
    for frame in frames:
        if channels > 1 and frame.ndim == 2:
            frame = np.repeat(frame[..., None], 3, axis=2)
        if channels == 4 and frame.shape[2] == 3:
            opaque = np.full(frame.shape[:2] + (1,), np.iinfo(frame.dtype).max)
            frame = np.concatenate([frame, opaque.astype(frame.dtype)], axis=2)
        widened.append(frame)
    return widened


# Rows of a large image copied out of Pillow at a time (see ``_as_array``).
_STRIP_PIXELS = 1 << 20
_UINT8_CHANNELS = {"L": (), "RGB": (3,), "RGBA": (4,)}


def _as_array(image):
    """The pixels of a Pillow image as an array. ``np.asarray`` goes through
    ``tobytes``, which joins encoded chunks: three copies of the image at once
    (Pillow's, the chunks and the bytes). Large 8-bit images are copied a
    strip of rows at a time instead, into the one array that is kept."""
    channels = _UINT8_CHANNELS.get(image.mode)
    width, height = image.size
    if channels is None or width * height <= _STRIP_PIXELS:
        return np.asarray(image)
    pixels = np.empty((height, width, *channels), dtype=np.uint8)
    rows = max(1, _STRIP_PIXELS // width)
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(top + rows, height)))
        pixels[top : top + strip.height] = np.asarray(strip)
    return pixels


def _content_mode(image):
    if image.mode in ("RGB", "RGBA", "L"):
        return image
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("LA", "PA", "RGBa", "La"):
        return image.convert("RGBA")
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I;16"):
        return Image.fromarray(np.asarray(image).astype(np.uint16))
    if image.mode == "I":
        values = np.asarray(image)
        if values.size and (values.min() < 0 or values.max() > 65535):
            # Clipping would make them white or black; scaling would have to
            # guess the range the values mean.
            raise ValueError(
                f"a 32-bit integer image with values in [{values.min()}, "
                f"{values.max()}]: only 0 to 65535 (16-bit) can be read as gray "
                "levels; convert it to 8 or 16 bits first"
            )
        return Image.fromarray(values.astype(np.uint16))
    if image.mode == "F":
        return image
    return image.convert("RGB")


def save_indexed_image(
    path, indices, palette, *, alpha=None, format=None, metadata=None
):
    """Write an indexed PNG or GIF: one palette index per pixel, the palette inside.

    Parameters
    ----------
    path : str, path-like or binary file object
        Output file; ``.png`` or ``.gif``, unless ``format`` says.
    indices : ndarray of shape (H, W)
        Palette index of each pixel, below ``len(palette)``.
    palette : ndarray of shape (k, 3), uint8
        RGB palette, at most 256 colors.
    alpha : ndarray of shape (k,), uint8, optional
        Opacity of each palette color (PNG's tRNS table). A GIF holds at most one
        transparent color, fully transparent.
    format : {"png", "gif"}, default=None
        The file's format; None takes it from the name's suffix, as Pillow's
        ``Image.save`` does. Needed for a file object.
    metadata : dict, default=None
        Metadata to write: ``"icc_profile"`` (bytes), ``"gamma"`` (float),
        ``"srgb"`` (rendering intent, 0 to 3), ``"text"`` (a dict of PNG text
        chunks) and ``"comment"``, as Pillow's ``Image.info`` holds them. A GIF
        keeps the comment only.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from sklearn_colorquant import read_image, save_indexed_image
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.png"
    >>> palette = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    >>> save_indexed_image(path, np.array([[0, 1], [1, 0]]), palette)
    >>> read_image(path)[0, 1]
    array([  0,   0, 255], dtype=uint8)
    """
    suffix = _suffix_of(path, format)
    image, options = _indexed(path, suffix, indices, palette, alpha)
    options.update(_metadata_options(suffix, metadata or {}))
    image.save(path, format=suffix[1:].upper(), **options)


def _suffix_of(path, format):
    if format is not None:
        return "." + str(format).lower().removeprefix(".")
    if isinstance(path, (str, os.PathLike)):
        return Path(path).suffix.lower()
    raise ValueError("Writing to a file object needs format='png' or 'gif'.")


def _metadata_options(suffix, metadata):
    if suffix == ".gif":
        return {"comment": metadata["comment"]} if "comment" in metadata else {}
    options = {}
    if "icc_profile" in metadata:
        options["icc_profile"] = metadata["icc_profile"]
    chunks = PngImagePlugin.PngInfo()
    if "gamma" in metadata:
        chunks.add(b"gAMA", struct.pack(">I", round(metadata["gamma"] * 100_000)))
    if "srgb" in metadata and "icc_profile" not in metadata:
        chunks.add(b"sRGB", bytes([int(metadata["srgb"])]))
    for key, value in metadata.get("text", {}).items():
        if isinstance(value, PngImagePlugin.iTXt):
            chunks.add_itxt(key, value, value.lang, value.tkey)
        else:
            chunks.add_text(key, value)
    if chunks.chunks:
        options["pnginfo"] = chunks
    return options


def _indexed(path, suffix, indices, palette, alpha):
    """The "P" image of ``indices`` with ``palette``, and its save options."""
    palette = np.asarray(palette)
    if suffix not in INDEXED_SUFFIXES:
        raise ValueError(
            f"{path}: indexed images are written as {' or '.join(INDEXED_SUFFIXES)}."
        )
    if palette.ndim != 2 or palette.shape[1] != 3 or palette.dtype != np.uint8:
        raise ValueError(
            f"An indexed file needs a uint8 RGB palette of shape (k, 3), got dtype "
            f"{palette.dtype} and shape {palette.shape}."
        )
    if not 1 <= len(palette) <= 256:
        raise ValueError(
            f"Indexed PNG and GIF files hold 1 to 256 colors, got {len(palette)}."
        )
    indices = _check_indices(indices, len(palette))
    height, width = indices.shape
    image = Image.frombytes("P", (width, height), indices.tobytes())
    # Pillow picks the PNG bit depth (1, 2, 4 or 8) from the palette's length.
    image.putpalette(palette.ravel().tolist())
    options = {}
    if alpha is not None and np.any(np.asarray(alpha) < 255):
        alpha = np.asarray(alpha, dtype=np.uint8)
        if suffix == ".png":
            options["transparency"] = alpha.tobytes()
        else:
            transparent = np.flatnonzero(alpha == 0)
            if len(transparent):
                options["transparency"] = int(transparent[0])
    if suffix == ".gif":
        # Keep the palette as given: Pillow's GIF optimizer would reorder it.
        options["optimize"] = False
    else:
        # zlib's default level: 3x faster than optimize=True (level 9) and 1%
        # larger on photos, where pngquant's files are 20% larger still.
        options["compress_level"] = 6
    return image, options


def _check_indices(indices, n_colors):
    """``indices`` as uint8, after checking that each is a whole number below
    ``n_colors``: a cast alone would wrap 300 to 44 and -1 to 255."""
    indices = np.asarray(indices)
    if indices.ndim != 2 or indices.dtype.kind not in "biuf":
        raise ValueError(
            f"An indexed image needs a 2-D array of palette indices, got dtype "
            f"{indices.dtype} and shape {indices.shape}."
        )
    # Integer indices are whole: no float temporaries, the size of the image
    # eight times over, to check that they are.
    fractional = indices.dtype.kind == "f" and (
        not np.isfinite(indices).all() or np.any(indices != np.round(indices))
    )
    if indices.size and (fractional or indices.min() < 0 or indices.max() >= n_colors):
        raise ValueError(
            f"Palette indices must be whole numbers in [0, {n_colors - 1}] for a "
            f"palette of {n_colors} colors, got values in "
            f"[{indices.min():g}, {indices.max():g}]."
        )
    return np.ascontiguousarray(indices, dtype=np.uint8)


def save_indexed_frames(
    path, frames, palette, *, alpha=None, durations=None, loop=0, format=None,
    metadata=None,
):  # fmt: skip
    """Write an animated GIF or PNG (APNG): one palette, one index array a frame.

    Parameters
    ----------
    path : str, path-like or binary file object
        Output file; ``.png`` or ``.gif``, unless ``format`` says.
    frames : sequence of ndarray of shape (H, W)
        Palette indices of each frame, below ``len(palette)``.
    palette : ndarray of shape (k, 3), uint8, or a list of them
        RGB palette of every frame, at most 256 colors; or one palette a frame
        (GIF only: a PNG holds one palette).
    alpha : ndarray of shape (k,), uint8, or a list of them, optional
        Opacity of each palette color, as for :func:`save_indexed_image`.
    durations : sequence of int, optional
        Milliseconds each frame shows; 100 each by default.
    loop : int or None, default=0
        Repeats (0: forever); None writes no loop count (GIF plays once).
    format : {"png", "gif"}, default=None
        As for :func:`save_indexed_image`.
    metadata : dict, default=None
        As for :func:`save_indexed_image`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from sklearn_colorquant import read_frames, save_indexed_frames
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "blink.gif"
    >>> palette = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    >>> frames = [np.zeros((3, 4), int), np.ones((3, 4), int)]
    >>> save_indexed_frames(path, frames, palette, durations=[100, 250])
    >>> frames, durations, loop = read_frames(path)
    >>> frames[1][0, 0], durations
    (array([  0,   0, 255], dtype=uint8), [100, 250])
    """
    suffix = _suffix_of(path, format)
    if not frames:
        raise ValueError("An animation needs at least one frame.")
    if isinstance(palette, list) and suffix != ".gif":
        raise ValueError(
            f"{path}: a palette a frame needs GIF; an animated PNG holds one palette."
        )
    durations = [100] * len(frames) if durations is None else list(durations)
    if len(durations) != len(frames):
        raise ValueError(
            f"Got {len(durations)} durations for {len(frames)} frames: one a frame."
        )
    palettes = palette if isinstance(palette, list) else [palette] * len(frames)
    alphas = alpha if isinstance(alpha, list) else [alpha] * len(frames)
    indexed = [
        _indexed(path, suffix, *frame)
        for frame in zip(frames, palettes, alphas, strict=True)
    ]
    images, options = [image for image, _ in indexed], indexed[0][1]
    options.update(save_all=True, append_images=images[1:], duration=durations)
    options.update(_metadata_options(suffix, metadata or {}))
    if loop is not None:
        options["loop"] = loop
    images[0].save(path, format=suffix[1:].upper(), **options)


def save_palette(path, palette, *, name=None):
    """Write a palette as a GIMP palette (``.gpl``) or as JSON hex codes (``.json``).

    Parameters
    ----------
    path : str or path-like
    palette : array-like of shape (k, 3), uint8
    name : str, default=None
        The palette's name in a ``.gpl`` file; None uses the file's name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_colorquant import load_palette, save_palette
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "two.json"
    >>> save_palette(path, [[255, 0, 0], [0, 128, 255]])
    >>> path.read_text()
    '["#ff0000", "#0080ff"]'
    >>> load_palette(path).tolist()
    [[255, 0, 0], [0, 128, 255]]
    """
    path = Path(path)
    path.write_text(palette_file_text(path, palette, name=name))


def palette_file_text(path, palette, *, name=None):
    """What ``save_palette(path, palette, name=name)`` writes, as a string."""
    palette = _check_rgb_palette(np.asarray(palette), path)
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return json.dumps([_hex(color) for color in palette])
    if suffix == ".gpl":
        lines = ["GIMP Palette", f"Name: {name or Path(path).stem}", "Columns: 16"]
        lines.append("#")
        for red, green, blue in palette:
            lines.append(f"{red:3d} {green:3d} {blue:3d}\t{_hex((red, green, blue))}")
        return "\n".join(lines) + "\n"
    raise ValueError(f"{path}: palettes are written as .gpl or .json.")


def load_palette(path):
    """Read a palette from a ``.gpl`` or ``.json`` file, or from an image.

    An indexed image gives its palette; another image gives its distinct colors,
    if it has at most 256 of them.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    palette : ndarray of shape (k, 3), uint8
        Ready to use as ``ColorQuantizer(codebook=palette)``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_colorquant import load_palette, save_palette
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "two.gpl"
    >>> save_palette(path, [[255, 0, 0], [0, 0, 255]])
    >>> load_palette(path)
    array([[255,   0,   0],
           [  0,   0, 255]], dtype=uint8)
    """
    path = Path(path)
    try:
        return _load_palette(path)
    except Image.DecompressionBombError as error:
        raise ValueError(f"{path}: too large to read safely ({error})") from None
    except (OSError, RecursionError) as error:
        reason = getattr(error, "strerror", None) or error
        if isinstance(error, RecursionError):
            reason = "nested too deeply"
        raise ValueError(f"{path}: cannot read the palette ({reason})") from None


def _load_palette(path):
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = _palette_text(path, "utf-8")
        try:
            codes = json.loads(text)
        except ValueError:
            codes = None
        if not isinstance(codes, list) or not all(
            isinstance(code, str) and _HEX_CODE.fullmatch(code) for code in codes
        ):
            raise ValueError(f"{path}: expected a JSON list of '#rrggbb' codes")
        palette = [[int(code[i : i + 2], 16) for i in (1, 3, 5)] for code in codes]
        return _check_rgb_palette(np.array(palette, dtype=np.int64), path)
    if suffix == ".gpl":
        return _check_rgb_palette(_read_gpl(path), path)
    try:
        with Image.open(path) as image:
            if image.mode == "P":
                used = np.unique(np.asarray(image))
                palette = np.asarray(
                    image.getpalette()[: 3 * (used.max() + 1)], np.uint8
                )
                return palette.reshape(-1, 3)
    except UnidentifiedImageError:
        raise ValueError(f"{path}: neither a palette file nor an image") from None
    image = read_image(path)
    colors, _ = distinct_colors(
        image[..., :3].reshape(-1, 3) if image.ndim == 3 else image.reshape(-1, 1)
    )
    if len(colors) > 256 or colors.shape[1] != 3:
        raise ValueError(
            f"{path}: has {len(colors)} colors; a palette image has at most 256 RGB "
            "colors. Quantize it first, or pass a .gpl or .json palette."
        )
    return colors


def _palette_text(path, encoding, errors="strict"):
    """The text of a palette file, read up to ``_PALETTE_FILE_BYTES``."""
    with open(path, "rb") as file:
        data = file.read(_PALETTE_FILE_BYTES + 1)
    if len(data) > _PALETTE_FILE_BYTES:
        raise ValueError(
            f"{path}: larger than a palette file can be "
            f"({_PALETTE_FILE_BYTES:,} bytes at most)"
        )
    try:
        return data.decode(encoding, errors)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file") from None


def _read_gpl(path):
    # Color names are free text in any encoding; only the numbers are read.
    lines = _palette_text(path, "utf-8-sig", "replace").splitlines()
    if not lines or lines[0].strip() != "GIMP Palette":
        raise ValueError(f"{path}: a GIMP palette starts with 'GIMP Palette'")
    colors = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if not fields or fields[0].startswith("#") or ":" in fields[0]:
            continue
        # Three values a line, each checked before it is converted: two-value
        # lines must not be regrouped into colors, nor a 30-digit value reach int64.
        values = fields[:3]
        if len(values) < 3 or not all(
            _CHANNEL_VALUE.fullmatch(value) and int(value) <= 255 for value in values
        ):
            shown = line if len(line) <= 60 else line[:57] + "..."
            raise ValueError(
                f"{path}: line {number} is not a color 'R G B [name]' with R, G "
                f"and B whole numbers from 0 to 255: {shown!r}"
            )
        colors.append([int(value) for value in values])
    return np.array(colors, dtype=np.int64).reshape(-1, 3)


def _check_rgb_palette(palette, path):
    if palette.ndim != 2 or palette.shape[1] != 3 or not 1 <= len(palette) <= 256:
        raise ValueError(
            f"{path}: a palette holds 1 to 256 RGB colors, got shape {palette.shape}."
        )
    if palette.min() < 0 or palette.max() > 255:
        raise ValueError(f"{path}: palette values must lie in 0..255.")
    return palette.astype(np.uint8)


def _hex(color):
    return "#{:02x}{:02x}{:02x}".format(*(int(value) for value in color))
