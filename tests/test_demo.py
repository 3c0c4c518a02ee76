"""The colorquant command line and its demo."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio
from sklearn.datasets import load_sample_image

from sklearn_colorquant._cli import main


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("demo")
    lines = []
    from sklearn_colorquant._demo import run_demo

    rows = run_demo(output_dir, n_colors=64, random_state=0, out=lines.append)
    return output_dir, rows, lines


def test_demo_writes_indexed_pngs_that_read_back(demo_run):
    output_dir, rows, _ = demo_run
    china = load_sample_image("china.jpg")
    for row in rows:
        with Image.open(output_dir / f"{row['codebook']}.png") as indexed:
            assert indexed.mode == "P"
            indices = np.asarray(indexed)
            palette = np.asarray(indexed.getpalette(), dtype=np.uint8).reshape(-1, 3)
            assert indices.shape == china.shape[:2]
            assert indices.max() < 64
            decoded = np.asarray(indexed.convert("RGB"))
        np.testing.assert_array_equal(decoded, palette[indices])
        assert peak_signal_noise_ratio(china, decoded) == pytest.approx(row["psnr_db"])
        assert row["colors"] == len(np.unique(decoded.reshape(-1, 3), axis=0)) == 64
        # One byte per pixel at most, against three for the RGB original.
        assert row["png_bytes"] < (output_dir / "original.png").stat().st_size / 2
    with Image.open(output_dir / "original.png") as original:
        np.testing.assert_array_equal(np.asarray(original), china)


def test_demo_kmeans_beats_random(demo_run):
    _, rows, lines = demo_run
    psnr = {row["codebook"]: row["psnr_db"] for row in rows}
    assert psnr["kmeans"] > psnr["random"] + 1.0
    assert lines[0].startswith("china.jpg: 640 x 427 pixels, 96,615 distinct colors")
    assert lines[1].startswith("codebook")
    assert any(line.startswith("kmeans") for line in lines)


def test_demo_figure_and_palette(demo_run):
    output_dir, _, _ = demo_run
    with Image.open(output_dir / "comparison.png") as figure:
        assert figure.width > 3 * 640 and figure.height > 427
        figure = np.asarray(figure.convert("RGB"))
    china = load_sample_image("china.jpg")
    # The original stands in the first panel, as it is.
    assert any(
        np.array_equal(figure[top : top + 427, 10 : 10 + 640], china)
        for top in range(0, figure.shape[0] - 427 + 1)
    )
    with Image.open(output_dir / "palette.png") as swatch:
        colors = np.unique(np.asarray(swatch.convert("RGB")).reshape(-1, 3), axis=0)
    assert 64 <= len(colors) <= 65  # the palette, plus white filler if any


def test_console_script_help():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_colorquant._cli", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--output-dir" in result.stdout and "--n-colors" in result.stdout


def test_cli_rejects_palette_too_large_for_png(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "-k", "300"])
    assert exit_info.value.code == 2
    assert "between 1 and 256" in capsys.readouterr().err


def test_examples_run(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import runpy
    from pathlib import Path

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    for script in sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py")):
        runpy.run_path(str(script), run_name="__main__")
