"""colorquant quantize on hostile, broken and racing input: nothing lost, nothing
reported that did not happen, one line per error, never a traceback."""

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data
from sklearn.datasets import load_sample_image

import sklearn_colorquant
from sklearn_colorquant import quantize_image, read_image
from sklearn_colorquant._cli import main

CLI = [sys.executable, "-m", "sklearn_colorquant._cli"]


def run(*args):
    return main([str(arg) for arg in args])


def cli(*args, **kwargs):
    """colorquant in a process of its own, as a user runs it."""
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=300, **kwargs
    )


@pytest.fixture(scope="module")
def china_small():
    return load_sample_image("china.jpg")[::4, ::4]


@pytest.fixture
def two_photos(tmp_path, china_small):
    """Two different photos of the same name in two folders."""
    flower = load_sample_image("flower.jpg")[::4, ::4]
    for folder, image in (("A", china_small), ("B", flower)):
        (tmp_path / folder).mkdir()
        Image.fromarray(image).save(tmp_path / folder / "x.png")
    return tmp_path / "A" / "x.png", tmp_path / "B" / "x.png"


def _psnr(a, b):
    error = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return 10 * np.log10(255**2 / error)


def _no_traceback(text):
    assert "Traceback" not in text, text


# --- item 2: NaN through the command line --------------------------------------


def test_a_nan_in_a_float_tiff_is_an_error_naming_the_file(tmp_path, china_small):
    gray = (china_small[..., 0] / 255.0).astype(np.float32)
    gray[30, 40] = np.nan
    Image.fromarray(gray, mode="F").save(tmp_path / "nan.tif")
    Image.fromarray(china_small[..., 0]).save(tmp_path / "fine.png")
    out = tmp_path / "out"
    code = run("quantize", tmp_path / "nan.tif", tmp_path / "fine.png", "-o", out,
               "--shared-palette", "--dither", "floyd-steinberg")  # fmt: skip
    assert code == 1
    assert (out / "fine.png").exists() and not (out / "nan.png").exists()


def test_nan_error_and_no_psnr_nan(tmp_path, china_small, capsys):
    gray = (china_small[..., 0] / 255.0).astype(np.float32)
    gray[-1, -1] = np.nan
    Image.fromarray(gray, mode="F").save(tmp_path / "nan.tif")
    for extra in ([], ["--shared-palette", "--dither", "floyd-steinberg"]):
        assert run("quantize", tmp_path / "nan.tif", "-o", tmp_path / "o", *extra) == 1
        printed = capsys.readouterr()
        assert "nan dB" not in printed.out
        assert re.fullmatch(r"colorquant: .*nan\.tif: .*NaN.*\n", printed.err)


# --- item 7: two runs into one folder ------------------------------------------


@pytest.mark.parametrize("force", [False, True])
def test_two_runs_into_one_folder_lose_nothing(tmp_path, two_photos, force):
    first, second = two_photos
    originals = {first: read_image(first), second: read_image(second)}
    for attempt in range(3):
        out = tmp_path / f"out{attempt}"
        extra = ["--force"] if force else []
        runs = {
            source: subprocess.Popen(
                [*CLI, "quantize", str(source), "-o", str(out), *extra],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for source in (first, second)
        }
        results = {}
        for source, process in runs.items():
            stdout, stderr = process.communicate(timeout=300)
            results[source] = (process.returncode, stdout, stderr)
        succeeded = [source for source, (code, _, _) in results.items() if code == 0]
        for source, (code, stdout, stderr) in results.items():
            _no_traceback(stderr)
            if code:
                assert "exists; use --force to overwrite it" in stderr
                assert stdout == ""
        assert sorted(p.name for p in out.iterdir()) == ["x.png"]  # no leftovers
        written = read_image(out / "x.png")
        if force:
            assert len(succeeded) == 2
        else:
            assert len(succeeded) == 1
            # The file on disk is the one the successful run reported.
            (winner,) = succeeded
            (loser,) = set(results) - {winner}
            assert _psnr(written, originals[winner]) > 28
            assert _psnr(written, originals[loser]) < 20
            size = int(
                re.search(r"-> ([\d,]+) bytes", results[winner][1])
                .group(1)
                .replace(",", "")
            )
            assert size == (out / "x.png").stat().st_size


def test_temporary_names_are_unique_and_others_are_left_alone(tmp_path, two_photos):
    first, _ = two_photos
    out = tmp_path / "out"
    out.mkdir()
    # Another run's temporary file, by the old fixed name: left as it is.
    other = out / ".x.partial.png"
    other.write_bytes(b"another run is writing this")
    assert run("quantize", first, "-o", out) == 0
    assert other.read_bytes() == b"another run is writing this"
    assert sorted(p.name for p in out.iterdir()) == [".x.partial.png", "x.png"]


# --- item 8 and 10: nothing overwritten without --force ------------------------


def test_save_palette_is_not_overwritten_without_force(tmp_path, two_photos, capsys):
    first, _ = two_photos
    palette_file = tmp_path / "p.gpl"
    palette_file.write_text("GIMP Palette\n  1   2   3\n")
    assert run("quantize", first, "-o", tmp_path / "o", "--save-palette",
               palette_file) == 1  # fmt: skip
    assert "p.gpl: exists; use --force" in capsys.readouterr().err
    assert palette_file.read_text() == "GIMP Palette\n  1   2   3\n"
    assert run("quantize", first, "-o", tmp_path / "o2", "--save-palette",
               palette_file, "-k", 8, "--force") == 0  # fmt: skip
    assert len(sklearn_colorquant.load_palette(palette_file)) == 8


def test_in_place_needs_force_and_reports_the_size_before(
    tmp_path, china_small, capsys
):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(china_small).save(folder / "c.png")
    before = (folder / "c.png").read_bytes()
    assert run("quantize", folder / "c.png", "-o", folder) == 1
    assert (folder / "c.png").read_bytes() == before
    capsys.readouterr()
    assert run("quantize", folder / "c.png", "-o", folder, "--force", "-k", 16) == 0
    line = capsys.readouterr().out
    assert f"{len(before):,} -> {(folder / 'c.png').stat().st_size:,} bytes" in line
    with Image.open(folder / "c.png") as written:
        assert written.mode == "P"
    assert sorted(p.name for p in folder.iterdir()) == ["c.png"]


# --- item 9: frames ------------------------------------------------------------


@pytest.fixture
def animations(tmp_path, china_small):
    frames = [Image.fromarray(np.roll(china_small, 8 * i, axis=1)) for i in range(4)]
    paths = {}
    for suffix in ("gif", "png", "tif"):
        path = tmp_path / f"anim.{suffix}"
        options = {"duration": 100} if suffix != "tif" else {}
        frames[0].save(path, save_all=True, append_images=frames[1:], **options)
        paths[suffix] = path
    return paths


@pytest.mark.parametrize("suffix", ["gif", "png", "tif"])
def test_multi_frame_files_keep_every_frame_unless_first_frame(
    tmp_path, animations, suffix, capsys
):
    out = tmp_path / f"out-{suffix}"
    assert run("quantize", animations[suffix], "-o", out) == 0
    assert "(4 frames)" in capsys.readouterr().out
    assert len(sklearn_colorquant.read_frames(out / "anim.png")[0]) == 4
    assert run("quantize", animations[suffix], "-o", out, "--first-frame",
               "--force") == 0  # fmt: skip
    with Image.open(out / "anim.png") as written:
        assert getattr(written, "n_frames", 1) == 1


# --- item 11: one line per error, never a traceback ----------------------------


def _truncated_png(path, china_small):
    Image.fromarray(china_small).quantize(16).save(path)
    path.write_bytes(path.read_bytes()[:300])


@pytest.mark.parametrize(
    "case",
    [
        "palette-missing",
        "palette-folder",
        "palette-truncated-image",
        "palette-deep-json",
        "save-palette-no-folder",
        "palette-too-many-colors",
    ],
)
def test_errors_are_one_line(tmp_path, two_photos, china_small, case, capsys):
    first, _ = two_photos
    palette = {
        "palette-missing": tmp_path / "missing.gpl",
        "palette-folder": tmp_path / "folder.gpl",
        "palette-truncated-image": tmp_path / "cut.png",
        "palette-deep-json": tmp_path / "deep.json",
        "palette-too-many-colors": first,
    }.get(case)
    (tmp_path / "folder.gpl").mkdir()
    _truncated_png(tmp_path / "cut.png", china_small)
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    args = ["quantize", first, "-o", tmp_path / "out"]
    if palette is not None:
        args += ["--palette", palette]
    else:
        args += ["--save-palette", tmp_path / "nodir" / "p.gpl"]
    assert run(*args) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("colorquant: "), err
    assert lines[0].count(str(palette or "p.gpl").split("/")[-1]) == 1


def test_a_decompression_bomb_is_one_line(tmp_path, two_photos, china_small):
    first, _ = two_photos
    Image.fromarray(china_small).quantize(8).save(tmp_path / "bomb.png")
    script = (
        "import sys, PIL.Image; PIL.Image.MAX_IMAGE_PIXELS = 100; "
        "from sklearn_colorquant._cli import main; sys.exit(main(sys.argv[1:]))"
    )
    for args in (
        [first, "--palette", tmp_path / "bomb.png"],
        [tmp_path / "bomb.png", first],
    ):
        done = subprocess.run(
            [sys.executable, "-c", script, "quantize", *map(str, args), "-o",
             str(tmp_path / "out"), "--force"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 1
        _no_traceback(done.stderr)
        assert "too large to read safely" in done.stderr


def test_jobs_zero_is_a_usage_error(two_photos, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("quantize", two_photos[0], "--jobs", 0)
    assert exit_info.value.code == 2
    assert "--jobs must be" in capsys.readouterr().err


def test_memory_error_on_one_file_leaves_the_others(
    tmp_path, two_photos, monkeypatch, capsys
):
    import sklearn_colorquant._convert as convert

    first, second = two_photos
    real = convert.read_first_frame

    def out_of_memory_for_first(path):
        if Path(path) == first:
            raise MemoryError
        return real(path)

    monkeypatch.setattr(convert, "read_first_frame", out_of_memory_for_first)
    (tmp_path / "B" / "x.png").rename(tmp_path / "B" / "y.png")
    second = tmp_path / "B" / "y.png"
    assert run("quantize", first, second, "-o", tmp_path / "out") == 1
    assert "not enough memory" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["y.png"]


# --- item 12: printed figures --------------------------------------------------


def test_psnr_counts_only_visible_pixels(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rgba = np.zeros((64, 64, 4), np.uint8)
    colors = rng.integers(0, 256, size=(8, 3))
    rgba[..., :3] = colors[rng.integers(0, 8, size=(64, 64))]
    rgba[..., 3] = 255
    rgba[:20, :, 3] = 0
    rgba[:20, :, :3] = rng.integers(0, 256, size=(20, 64, 3))  # noise, invisible
    Image.fromarray(rgba).save(tmp_path / "sprite.png")
    assert run("quantize", tmp_path / "sprite.png", "-k", 16, "-o", tmp_path / "o") == 0
    assert "PSNR inf dB" in capsys.readouterr().out


def test_k_counts_every_entry_and_opaque_rgba_takes_256(tmp_path, china_small):
    opaque = np.dstack([china_small, np.full(china_small.shape[:2], 255, np.uint8)])
    with_holes = opaque.copy()
    with_holes[:30, :, 3] = 0
    Image.fromarray(opaque).save(tmp_path / "opaque.png")
    Image.fromarray(with_holes).save(tmp_path / "holes.png")
    out = tmp_path / "out"
    assert run("quantize", tmp_path / "opaque.png", "-k", 256, "-o", out) == 0
    with Image.open(out / "opaque.png") as written:
        assert len(written.getpalette()) // 3 == 256
        assert "transparency" not in written.info
    assert run("quantize", tmp_path / "holes.png", "-k", 64, "-o", out) == 0
    with Image.open(out / "holes.png") as written:
        assert len(written.getpalette()) // 3 <= 64
        assert len(np.unique(np.asarray(written))) == 64  # 63 colors + transparent
    assert (read_image(out / "holes.png")[:30, :, 3] == 0).all()


# --- item 13: strict parsing, honest GIFs --------------------------------------


@pytest.mark.parametrize("code", ["#ff00001234", "+f+f+f", "###ff0000", "#ff00", 255])
def test_json_palettes_take_only_rrggbb_codes(tmp_path, two_photos, code, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(["#000000", code]))
    assert run("quantize", two_photos[0], "-o", tmp_path / "o", "--palette", path) == 1
    assert "expected a JSON list of '#rrggbb' codes" in capsys.readouterr().err


def test_gif_says_when_it_drops_partial_alpha(tmp_path, china_small, capsys):
    rgba = np.dstack([china_small, np.full(china_small.shape[:2], 255, np.uint8)])
    rgba[:10, :, 3] = 0
    rgba[10:20, :, 3] = 128
    Image.fromarray(rgba).save(tmp_path / "soft.png")
    out = tmp_path / "out"
    assert run("quantize", tmp_path / "soft.png", "--format", "gif", "-o", out) == 0
    err = capsys.readouterr().err
    assert "GIF has no partial transparency" in err and "1,600" in err
    assert run("quantize", tmp_path / "soft.png", "-o", out) == 0
    assert "partial transparency" not in capsys.readouterr().err


# --- item 15: small things -----------------------------------------------------


def test_version_and_k_with_palette(tmp_path, two_photos, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("--version")
    assert exit_info.value.code == 0
    assert (
        capsys.readouterr().out.strip()
        == f"colorquant {sklearn_colorquant.__version__}"
    )
    (tmp_path / "p.gpl").write_text("GIMP Palette\n  1   2   3\n")
    with pytest.raises(SystemExit) as exit_info:
        run("quantize", two_photos[0], "--palette", tmp_path / "p.gpl", "-k", 8)
    assert exit_info.value.code == 2
    assert "-k does not apply" in capsys.readouterr().err


def test_quantize_image_returns_indices(china_small):
    indices, quantizer = quantize_image(china_small, 8, return_indices=True)
    assert indices.shape == china_small.shape[:2] and indices.max() < 8


# --- fuzzing: mutated files through one run ------------------------------------


def _mutations(rng, originals, n_files):
    """Broken variants of real image files: bytes flipped, cut short, or a header
    field edited; one in six left whole."""
    for number in range(n_files):
        name, payload = originals[number % len(originals)]
        payload = bytearray(payload)
        kind = rng.integers(6)
        if kind == 0:
            pass  # a valid file
        elif kind in (1, 2):
            for position in rng.integers(0, len(payload), size=rng.integers(1, 20)):
                payload[position] = rng.integers(256)
        elif kind == 3:
            payload = payload[: rng.integers(0, len(payload))]
        elif kind == 4:
            start = rng.integers(0, min(64, len(payload)))
            payload[start : start + 4] = rng.integers(
                0, 256, 4, dtype=np.uint8
            ).tobytes()
        else:
            payload[: rng.integers(1, 9)] = b""  # a missing magic number
        yield f"{number:03d}-{kind}-{name}", bytes(payload), kind == 0


def test_fuzzed_files_never_crash_and_valid_ones_are_written(tmp_path):
    sources = {
        "china.png": load_sample_image("china.jpg")[::8, ::8],
        "flower.jpg": load_sample_image("flower.jpg")[::8, ::8],
        "coffee.gif": data.coffee()[::8, ::8],
        "camera.tif": data.camera()[::8, ::8],
        "rocket.bmp": data.rocket()[::8, ::8],
        "chelsea.webp": data.chelsea()[::8, ::8],
    }
    originals = []
    for name, image in sources.items():
        path = tmp_path / name
        Image.fromarray(image).save(path)
        originals.append((name, path.read_bytes()))
    folder = tmp_path / "fuzz"
    folder.mkdir()
    valid = set()
    for name, payload, whole in _mutations(np.random.default_rng(0), originals, 200):
        (folder / name).write_bytes(payload)
        if whole:
            valid.add(Path(name).stem)
    out = tmp_path / "out"
    done = cli("quantize", folder, "-o", out, "-k", 16, "-j", 2)
    _no_traceback(done.stderr)
    assert done.returncode == 1
    written = {p.stem for p in out.iterdir()}
    assert valid <= written
    errors = [line for line in done.stderr.splitlines() if ": note: " not in line]
    unnamed = [line for line in errors if not re.search(r"/fuzz/\S+?\.\w+: ", line)]
    assert not unnamed, unnamed
    failed = {re.search(r"/fuzz/(\S+?)\.\w+: ", line).group(1) for line in errors}
    # Every input is accounted for once: written, or one line that says why.
    assert written | failed == {p.stem for p in folder.iterdir()}
    assert not written & failed
    assert len(errors) == len(failed)
    assert all(line.startswith("colorquant: ") for line in done.stderr.splitlines())
    assert re.search(rf"{len(written)} of 200 files written", done.stdout)


# --- item 14: memory follows the largest file, not the batch -------------------


@pytest.mark.parametrize("shared", [False, True])
def test_files_are_streamed_one_at_a_time(tmp_path, monkeypatch, shared):
    # When a file is read, no image decoded before and no quantizer fitted for
    # an earlier file is still alive: memory follows the largest file.
    import gc
    import weakref

    import sklearn_colorquant._cli as cli_module
    import sklearn_colorquant._convert as convert

    photo = load_sample_image("china.jpg")[::2, ::2]
    for number in range(5):
        Image.fromarray(np.roll(photo, number, axis=0)).save(
            tmp_path / f"p{number}.png"
        )
    images, quantizers, alive_at_read = [], [], []

    def alive(refs):
        return sum(ref() is not None for ref in refs)

    def tracked(read):
        def read_and_count(path):
            gc.collect()
            alive_at_read.append((alive(images), alive(quantizers)))
            image = read(path)
            images.append(weakref.ref(image[0] if isinstance(image, tuple) else image))
            return image

        return read_and_count

    def fit_and_track(*args, **kwargs):
        quantizer = real_fit(*args, **kwargs)
        quantizers.append(weakref.ref(quantizer))
        return quantizer

    real_fit = convert.fit_image_palette
    monkeypatch.setattr(convert, "read_first_frame", tracked(convert.read_first_frame))
    monkeypatch.setattr(cli_module, "read_image", tracked(cli_module.read_image))
    monkeypatch.setattr(convert, "fit_image_palette", fit_and_track)
    extra = ["--shared-palette"] if shared else []
    assert run("quantize", tmp_path, "-o", tmp_path / "out", "-q", *extra) == 0
    if shared:
        # Reading for the sample keeps at most the sample (1,000,000 pixels); by
        # the time files are written, the sample is gone too.
        assert len(alive_at_read) == 10
        alive_at_read = alive_at_read[5:]
    assert max(alive_at_read) == (0, 0)


def test_stderr_lines_are_written_whole(monkeypatch):
    # The fuzz test above once saw an empty line: notes come from the threads
    # that quantize files and errors from the main thread, and ``print`` writes
    # a text and its newline apart, so two lines at once could interleave.
    # Every line must reach standard error in one write.
    from sklearn_colorquant import _cli

    class Writes:
        def __init__(self):
            self.calls = []

        def write(self, text):
            self.calls.append(text)

        def flush(self):
            pass

    stderr = Writes()
    monkeypatch.setattr(sys, "stderr", stderr)
    _cli._current.path = "/in/file.png"
    _cli._note("fewer colors than asked", UserWarning, "", 0)
    _cli._Run(_cli.build_parser().parse_args(["quantize", "x.png"])).fail(
        "x.png", "bad"
    )
    assert stderr.calls == [
        "colorquant: /in/file.png: note: fewer colors than asked\n",
        "colorquant: x.png: bad\n",
    ]


def test_the_program_keeps_its_signal_handlers_to_the_end(tmp_path):
    # As a process, a Ctrl-C just after the run must still get the run's line
    # and exit code, not kill the interpreter on its way out; called from
    # Python, the caller's handlers come back.
    source = tmp_path / "in.png"
    Image.fromarray(data.coffee()[::8, ::8]).save(source)
    before = signal.getsignal(signal.SIGINT)
    before_term = signal.getsignal(signal.SIGTERM)
    try:
        main(["quantize", str(source), "-o", str(tmp_path / "a"), "-k", "8"])
        assert signal.getsignal(signal.SIGINT) is before
        arguments = ["quantize", str(source), "-o", str(tmp_path / "b"), "-k", "8"]
        main(arguments, restore_signal_handlers=False)
        kept = signal.getsignal(signal.SIGINT)
        assert kept is not before and callable(kept)
    finally:
        signal.signal(signal.SIGINT, before)
        signal.signal(signal.SIGTERM, before_term)
