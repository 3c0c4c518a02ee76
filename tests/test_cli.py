"""colorquant quantize, run as a user would, and quantize_images."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from skimage import data
from sklearn.datasets import load_sample_image

from sklearn_colorquant import load_palette, quantize_images, read_image
from sklearn_colorquant._cli import main


@pytest.fixture
def folder(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    Image.fromarray(load_sample_image("china.jpg")[::2, ::2]).save(inputs / "china.png")
    Image.fromarray(load_sample_image("flower.jpg")[::2, ::2]).save(
        inputs / "flower.jpg"
    )
    Image.fromarray(data.camera()[::4, ::4]).save(inputs / "camera.png")
    (inputs / "broken.png").write_text("not an image")
    return inputs


def run(*args):
    return main([str(arg) for arg in args])


def test_folder_with_a_broken_file(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert run("quantize", folder, "-k", 16, "-o", out) == 1
    printed = capsys.readouterr()
    assert (
        printed.err.strip()
        == f"colorquant: {folder / 'broken.png'}: not an image file Pillow can read"
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "camera.png",
        "china.png",
        "flower.png",
    ]
    *lines, total = printed.out.strip().splitlines()
    assert len(lines) == 3 and all("-> 16 colors, PSNR" in line for line in lines)
    assert total.startswith("3 of 4 files written: ") and " bytes in " in total
    for name in ("china.png", "flower.png"):
        with Image.open(out / name) as written:
            assert written.mode == "P"
            assert len(np.unique(np.asarray(written))) == 16
    assert read_image(out / "camera.png").ndim == 3  # gray palette as RGB


def test_outputs_and_inputs_are_not_overwritten_without_force(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert run("quantize", folder / "china.png", "-o", out) == 0
    before = (out / "china.png").read_bytes()
    assert run("quantize", folder / "china.png", "-k", 8, "-o", out) == 1
    assert "exists; use --force" in capsys.readouterr().err
    assert (out / "china.png").read_bytes() == before
    assert run("quantize", folder / "china.png", "-k", 8, "-o", out, "--force") == 0
    assert (out / "china.png").read_bytes() != before
    original = (folder / "china.png").read_bytes()
    assert run("quantize", folder / "china.png", "-o", folder) == 1
    assert (folder / "china.png").read_bytes() == original
    assert not list(out.glob(".*partial*"))


def test_shared_palette_and_palette_files(folder, tmp_path):
    out = tmp_path / "out"
    images = [folder / "china.png", folder / "flower.jpg"]
    palette_file = tmp_path / "shared.json"
    assert run("quantize", *images, "-k", 12, "-o", out, "--shared-palette",
               "--save-palette", palette_file) == 0  # fmt: skip
    palette = load_palette(palette_file)
    assert len(palette) == 12
    for name in ("china.png", "flower.png"):
        used = set(map(tuple, read_image(out / name).reshape(-1, 3)))
        assert used <= set(map(tuple, palette))
    # The saved palette drives another run, and the GIF carries it.
    assert run("quantize", folder / "china.png", "-o", out, "--palette", palette_file,
               "--format", "gif", "--dither", "floyd-steinberg") == 0  # fmt: skip
    assert set(map(tuple, read_image(out / "china.gif").reshape(-1, 3))) <= set(
        map(tuple, palette)
    )


def test_rgba_file_keeps_its_transparency(tmp_path):
    rgba = np.dstack([data.astronaut()[::4, ::4], np.full((128, 128), 255, np.uint8)])
    rgba[:40, :, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "sprite.png")
    assert (
        run("quantize", tmp_path / "sprite.png", "-k", 16, "-o", tmp_path / "out") == 0
    )
    written = read_image(tmp_path / "out" / "sprite.png")
    assert written.shape == rgba.shape
    assert (written[:40, :, 3] == 0).all() and (written[40:, :, 3] == 255).all()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_read_only_output_folder(folder, tmp_path, capsys):
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert run("quantize", folder / "china.png", "-o", out) == 1
        assert "cannot write to the output folder" in capsys.readouterr().err
    finally:
        out.chmod(0o700)


def test_output_folder_that_cannot_be_made(folder, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    assert run("quantize", folder / "china.png", "-o", blocker / "out") == 1
    assert "cannot write to the output folder" in capsys.readouterr().err


def test_missing_input_and_usage_errors(tmp_path, capsys):
    assert run("quantize", tmp_path / "nothing.png", "-o", tmp_path / "out") == 1
    assert "no such file or folder" in capsys.readouterr().err
    for args in (
        ["-k", "0"],
        ["--dither-strength", "2"],
        ["--save-palette", "p.gpl", "a", "b"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            run("quantize", "x.png", *args)
        assert exit_info.value.code == 2


def test_help_documents_every_option():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_colorquant._cli", "quantize", "--help"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    options = "--n-colors --output-dir --format --codebook --color-space --dither "
    options += "--dither-strength --shared-palette --palette --save-palette --jobs "
    options += "--force --quiet --verbose"
    for option in options.split():
        assert option in result.stdout


def test_quantize_images_own_and_shared_palettes(china, flower):
    images = [china[::4, ::4], flower[::4, ::4], china[::8, ::8]]
    quantized, quantizers = quantize_images(images, 8, n_jobs=2, random_state=0)
    assert len(quantizers) == 3 and all(q.n_colors_ == 8 for q in quantizers)
    for image, result in zip(images, quantized):
        assert result.shape == image.shape and result.dtype == image.dtype
    shared, quantizer = quantize_images(images, 8, shared_palette=True, random_state=0)
    palette = set(map(tuple, quantizer.palette_))
    for result in shared:
        assert set(map(tuple, result.reshape(-1, 3))) <= palette
    again, _ = quantize_images(images, 8, shared_palette=True, n_jobs=2, random_state=0)
    for first, second in zip(shared, again):
        np.testing.assert_array_equal(first, second)


def test_a_failed_write_leaves_no_partial_file(folder, tmp_path, monkeypatch, capsys):
    import sklearn_colorquant._convert as convert

    def write_half_then_fail(file, indices, palette, **options):
        file.write(b"\x89PNG half of a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(convert, "save_indexed_image", write_half_then_fail)
    out = tmp_path / "out"
    original = (folder / "china.png").read_bytes()
    assert run("quantize", folder / "china.png", folder / "flower.jpg", "-o", out) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert list(out.iterdir()) == []
    assert (folder / "china.png").read_bytes() == original


def test_an_interrupted_run_leaves_no_partial_file(folder, tmp_path, monkeypatch):
    import sklearn_colorquant._convert as convert

    def write_half_then_interrupt(file, indices, palette, **options):
        file.write(b"\x89PNG half of a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(convert, "save_indexed_image", write_half_then_interrupt)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run("quantize", folder / "china.png", "-o", out)
    assert list(out.iterdir()) == []
