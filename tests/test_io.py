"""Image and palette files: round trips on shipped images, and broken files."""

import numpy as np
import pytest
from PIL import Image

from sklearn_colorquant import (
    ColorQuantizer,
    load_palette,
    quantize_image,
    read_image,
    save_indexed_image,
    save_palette,
)


@pytest.fixture(scope="module")
def china_64(china):
    quantizer = ColorQuantizer(64, random_state=0).fit(china.reshape(-1, 3))
    indices = quantizer.transform(china.reshape(-1, 3)).reshape(china.shape[:2])
    return indices, quantizer.palette_


@pytest.mark.parametrize("suffix", [".png", ".gif"])
def test_indexed_round_trip(tmp_path, china_64, suffix):
    indices, palette = china_64
    path = tmp_path / f"china{suffix}"
    save_indexed_image(path, indices, palette)
    with Image.open(path) as written:
        assert written.mode == "P"
        np.testing.assert_array_equal(np.asarray(written), indices)
        stored = np.asarray(written.getpalette(), dtype=np.uint8).reshape(-1, 3)
    # GIF pads the palette to a power of two; the colors in use are identical.
    np.testing.assert_array_equal(stored[: len(palette)], palette)
    np.testing.assert_array_equal(read_image(path), palette[indices])
    np.testing.assert_array_equal(load_palette(path)[: len(palette)], palette)


def test_indexed_png_is_small_and_uses_few_bits(tmp_path, china_64):
    indices, palette = china_64
    save_indexed_image(tmp_path / "indexed.png", indices, palette)
    Image.fromarray(palette[indices]).save(tmp_path / "rgb.png", optimize=True)
    assert (tmp_path / "indexed.png").stat().st_size < (
        tmp_path / "rgb.png"
    ).stat().st_size
    save_indexed_image(tmp_path / "four.png", indices % 4, palette[:4])
    with Image.open(tmp_path / "four.png") as four:
        assert four.info.get("bits", 8) <= 2 or len(four.getpalette()) // 3 <= 4


def test_png_alpha_table(tmp_path):
    palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 0]], dtype=np.uint8)
    alpha = np.array([255, 128, 0], dtype=np.uint8)
    indices = np.array([[0, 1, 2], [2, 1, 0]])
    save_indexed_image(tmp_path / "alpha.png", indices, palette, alpha=alpha)
    image = read_image(tmp_path / "alpha.png")
    assert image.shape == (2, 3, 4)
    np.testing.assert_array_equal(image[..., 3], alpha[indices])
    save_indexed_image(tmp_path / "alpha.gif", indices, palette, alpha=alpha)
    with Image.open(tmp_path / "alpha.gif") as gif:
        assert gif.info["transparency"] == 2


@pytest.mark.parametrize("suffix", [".gpl", ".json"])
def test_palette_files_round_trip(tmp_path, china_64, suffix):
    _, palette = china_64
    save_palette(tmp_path / f"palette{suffix}", palette)
    loaded = load_palette(tmp_path / f"palette{suffix}")
    np.testing.assert_array_equal(loaded, palette)
    # A loaded palette is a fixed codebook that maps exactly as the original.
    reused = ColorQuantizer(codebook=loaded).fit(palette)
    np.testing.assert_array_equal(reused.palette_, palette)


def test_gpl_file_format(tmp_path):
    save_palette(tmp_path / "p.gpl", [[255, 0, 0], [1, 2, 3]])
    lines = (tmp_path / "p.gpl").read_text().splitlines()
    assert lines[:4] == ["GIMP Palette", "Name: p", "Columns: 16", "#"]
    assert lines[4] == "255   0   0\t#ff0000"


def test_palette_from_a_plain_image(tmp_path, china):
    quantized, quantizer = quantize_image(china[::4, ::4], 16, random_state=0)
    Image.fromarray(quantized).save(tmp_path / "sixteen.png")
    assert set(map(tuple, load_palette(tmp_path / "sixteen.png"))) == set(
        map(tuple, quantizer.palette_)
    )
    Image.fromarray(china).save(tmp_path / "photo.png")
    with pytest.raises(ValueError, match="has 96615 colors; .* Quantize it first"):
        load_palette(tmp_path / "photo.png")


def test_read_modes(tmp_path, china):
    Image.fromarray(china).convert("L").save(tmp_path / "gray.png")
    assert read_image(tmp_path / "gray.png").shape == china.shape[:2]
    deep = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    read = read_image(tmp_path / "deep.png")
    assert read.dtype == np.uint16
    np.testing.assert_array_equal(read, deep)
    Image.fromarray(china).convert("P").save(tmp_path / "palette.png")
    assert read_image(tmp_path / "palette.png").shape == china.shape
    Image.fromarray(china).convert("RGBA").save(tmp_path / "rgba.png")
    assert read_image(tmp_path / "rgba.png").shape == (*china.shape[:2], 4)


def test_exif_orientation_is_applied(tmp_path, china):
    image = Image.fromarray(china)
    exif = image.getexif()
    exif[0x0112] = 6  # rotated: display turned 90 degrees clockwise
    image.save(tmp_path / "rotated.jpg", exif=exif, quality=95)
    read = read_image(tmp_path / "rotated.jpg")
    assert read.shape == (china.shape[1], china.shape[0], 3)


def test_broken_files_name_the_file(tmp_path, china):
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ValueError, match="notes.png: not an image"):
        read_image(tmp_path / "notes.png")
    Image.fromarray(china).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.png: cannot read the image"):
        read_image(tmp_path / "cut.png")


def test_decompression_bomb_is_refused(tmp_path, monkeypatch, china):
    Image.fromarray(china).save(tmp_path / "big.png")
    # Pillow refuses images of more than twice MAX_IMAGE_PIXELS.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValueError, match="big.png: too large to read safely"):
        read_image(tmp_path / "big.png")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda p: save_palette(p / "x.txt", [[0, 0, 0]]), r"\.gpl or \.json"),
        (
            lambda p: save_indexed_image(
                p / "x.jpg", np.zeros((2, 2)), np.zeros((1, 3), np.uint8)
            ),
            r"\.png or \.gif",
        ),
        (
            lambda p: save_indexed_image(
                p / "x.png", np.zeros((2, 2)), np.zeros((300, 3), np.uint8)
            ),
            "1 to 256",
        ),
        (
            lambda p: (
                (p / "bad.json").write_text("[1, 2]") and load_palette(p / "bad.json")
            ),
            "rrggbb",
        ),
        (
            lambda p: (
                (p / "bad.gpl").write_text("hello") and load_palette(p / "bad.gpl")
            ),
            "GIMP Palette",
        ),
    ],
)
def test_file_errors(tmp_path, call, message):
    with pytest.raises(ValueError, match=message):
        call(tmp_path)
