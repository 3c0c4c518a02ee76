"""colorquant quantize as a pngquant user types it (pipes, --quality, --skip-if-
larger, --ext, --strip, a progress bar), and the defects hostile input found in
it (issue 26): each test here failed on the 0.1.0 code."""

import fcntl
import io
import os
import random
import re
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin
from sklearn.datasets import load_sample_image

from sklearn_colorquant import load_palette, read_image
from sklearn_colorquant._cli import _n_workers, build_parser, main
from sklearn_colorquant._progress import Progress
from sklearn_colorquant._quality import parse_quality, psnr_of_quality, quality_of_psnr

CLI = [sys.executable, "-m", "sklearn_colorquant._cli"]


def run(*args):
    return main([str(arg) for arg in args])


def cli(*args, **kwargs):
    """colorquant in a process of its own, as a user runs it."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("timeout", 300)
    return subprocess.run([*CLI, *map(str, args)], **kwargs)


def _psnr(a, b):
    error = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return 10 * np.log10(255**2 / error)


def _one_error_line(err):
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _partial_files(folder):
    return [p.name for p in folder.rglob("*") if ".partial." in p.name]


@pytest.fixture(scope="module")
def china_small():
    return load_sample_image("china.jpg")[::4, ::4]


@pytest.fixture
def photo(tmp_path, china_small):
    path = tmp_path / "china.png"
    Image.fromarray(china_small).save(path)
    return path


# --- pipes ----------------------------------------------------------------------


def test_a_photo_piped_through_stdin_and_stdout(photo, china_small):
    done = cli("quantize", "-", "-k", 32, input=photo.read_bytes())
    assert done.returncode == 0, done.stderr
    with Image.open(io.BytesIO(done.stdout)) as written:
        assert written.format == "PNG" and written.mode == "P"
        assert len(written.getpalette()) // 3 <= 32
        indexed = np.asarray(written.convert("RGB"))
    assert indexed.shape == china_small.shape
    assert _psnr(indexed, china_small) > 28
    # The report goes to stderr, where it cannot corrupt the image.
    report = done.stderr.decode()
    assert "standard input -> standard output:" in report and "-> 32 colors" in report


def test_a_file_to_stdout_and_gif_from_stdin(photo):
    done = cli("quantize", photo, "-o", "-", "-k", 16)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\x89PNG")
    done = cli("quantize", "-", "--format", "gif", input=photo.read_bytes())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"GIF8")


def test_stdin_that_is_not_an_image_is_one_line(tmp_path):
    done = cli("quantize", "-", input=b"hello", text=False)
    assert done.returncode == 1 and done.stdout == b""
    line = _one_error_line(done.stderr.decode())
    assert line == "colorquant: standard input: not an image file Pillow can read"


@pytest.mark.parametrize(
    "args, message",
    [
        (["-", "-"], "- (standard input) can be given once"),
        (["a.png", "b.png", "-o", "-"], "standard output takes one image"),
        (["-", "--ext", ".new.png"], "--ext names outputs after their inputs"),
    ],
)
def test_pipes_that_cannot_work_are_refused_before_reading(args, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        run("quantize", *args)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


# --- --quality and exit code 99 ------------------------------------------------


def test_parse_quality_reads_pngquants_forms():
    assert parse_quality("65-80") == (65, 80)
    assert parse_quality("-80") == (0, 80)
    assert parse_quality("65-") == (65, 100)
    assert parse_quality("80") == (72, 80)
    assert parse_quality("0-100") == (0, 100)
    for bad in ("80-65", "101", "a-b", "-", "", "1000-1", "50-60-70", "-5-"):
        with pytest.raises(ValueError, match="MIN-MAX"):
            parse_quality(bad)
    assert psnr_of_quality(70) == 35.0 and quality_of_psnr(35.0) == 70.0
    assert quality_of_psnr(float("inf")) == 100 and quality_of_psnr(-3) == 0


def test_quality_uses_the_smallest_palette_that_reaches_max(tmp_path, photo, capsys):
    out = tmp_path / "out"
    assert run("quantize", photo, "-o", out, "--quality", "50-70") == 0
    report = capsys.readouterr().out
    colors = int(re.search(r"-> (\d+) colors", report).group(1))
    assert "(quality 7" in report
    written = read_image(out / "china.png")
    original = read_image(photo)
    assert _psnr(written, original) >= 35.0
    # A quarter fewer colors would not have reached MAX: the search (on a
    # sample of the colors) finds about the smallest palette.
    fewer = tmp_path / "fewer"
    assert run("quantize", photo, "-o", fewer, "-k", colors * 3 // 4) == 0
    assert _psnr(read_image(fewer / "china.png"), original) < 35.0
    assert colors < 256


def test_quality_below_min_writes_nothing_and_exits_99(tmp_path, photo):
    out = tmp_path / "out"
    done = cli("quantize", photo, "-o", out, "--quality", "95-100", text=True)
    assert done.returncode == 99, done.stderr
    assert "not written: quality" in done.stdout and "below the minimum 95" in (
        done.stdout
    )
    assert list(out.iterdir()) == []
    # A miss of MAX above MIN is written: MIN is what must be met.
    done = cli("quantize", photo, "-o", out, "--quality", "20-100", text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "china.png").exists()


def test_quality_is_refused_with_palette_and_badly_written(tmp_path, photo, capsys):
    palette = tmp_path / "p.gpl"
    palette.write_text("GIMP Palette\n0 0 0\n255 255 255\n")
    for args, message in (
        (["--palette", palette, "--quality", "60-80"], "--quality does not apply"),
        (["--quality", "80-60"], "--quality: expected MIN-MAX"),
    ):
        with pytest.raises(SystemExit):
            run("quantize", photo, *args)
        assert message in capsys.readouterr().err


# --- --skip-if-larger and exit code 98 -----------------------------------------


def test_skip_if_larger_writes_nothing_and_exits_98(tmp_path, photo):
    small = tmp_path / "small"
    assert cli("quantize", photo, "-o", small, "-k", 8).returncode == 0
    again = tmp_path / "again"
    done = cli(
        "quantize", small / "china.png", "-o", again, "-k", 256, "--skip-if-larger",
        text=True,
    )  # fmt: skip
    assert done.returncode == 98, done.stderr
    assert "not smaller than the" in done.stdout
    assert list(again.iterdir()) == []
    # A photo that does shrink is written, and the run exits 0.
    done = cli("quantize", photo, "-o", again, "--skip-if-larger", text=True)
    assert done.returncode == 0, done.stderr
    assert (again / "china.png").stat().st_size < photo.stat().st_size


def test_exit_codes_rank_failure_then_quality_then_size(tmp_path, photo, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(read_image(photo)).save(folder / "a.png")
    Image.new("RGB", (64, 64), (10, 20, 30)).save(folder / "flat.png")
    # flat.png (one color, 100 bytes or so) cannot shrink; a.png misses MIN.
    code = run(
        "quantize", folder, "-o", tmp_path / "o", "--quality", "98-100",
        "--skip-if-larger",
    )  # fmt: skip
    assert code == 99
    (folder / "broken.png").write_text("not an image")
    assert run("quantize", folder, "-o", tmp_path / "o2", "--skip-if-larger") == 1


# --- --ext -----------------------------------------------------------------------


def test_ext_writes_beside_each_input(tmp_path, photo, capsys):
    other = tmp_path / "sub"
    other.mkdir()
    Image.fromarray(read_image(photo)[::2, ::2]).save(other / "half.jpg")
    assert run("quantize", photo, other / "half.jpg", "--ext", ".new.png") == 0
    assert (tmp_path / "china.new.png").exists() and (other / "half.new.png").exists()
    assert not (tmp_path / "quantized").exists()
    with Image.open(other / "half.new.png") as written:
        assert written.format == "PNG" and written.mode == "P"
    # Not over an existing file without --force, nor over its own input.
    assert run("quantize", photo, "--ext", ".new.png") == 1
    before = photo.read_bytes()
    assert run("quantize", photo, "--ext", ".png") == 1
    assert photo.read_bytes() == before
    assert run("quantize", photo, "--ext", ".gif", "-k", 8) == 0
    with Image.open(tmp_path / "china.gif") as written:
        assert written.format == "GIF"


@pytest.mark.parametrize("ext", [".jpg", ".", "png", ".new.tif"])
def test_ext_must_name_png_or_gif(photo, ext, capsys):
    with pytest.raises(SystemExit):
        run("quantize", photo, "--ext", ext)
    assert "it must end in .png or .gif" in capsys.readouterr().err


# --- --strip ---------------------------------------------------------------------


@pytest.fixture
def photo_with_metadata(tmp_path, china_small):
    path = tmp_path / "tagged.png"
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Author", "a photographer")
    chunks.add_text("Description", "pagoda, zTXt", zip=True)
    chunks.add(b"gAMA", struct.pack(">I", 45455))
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(china_small).save(path, pnginfo=chunks, icc_profile=icc)
    return path, icc


def test_metadata_is_kept_unless_strip(tmp_path, photo_with_metadata):
    path, icc = photo_with_metadata
    assert run("quantize", path, "-o", tmp_path / "kept") == 0
    with Image.open(tmp_path / "kept" / "tagged.png") as kept:
        assert kept.mode == "P"
        assert kept.info["icc_profile"] == icc
        assert kept.info["gamma"] == pytest.approx(0.45455)
        assert kept.text == {"Author": "a photographer", "Description": "pagoda, zTXt"}
    assert run("quantize", path, "-o", tmp_path / "stripped", "--strip") == 0
    with Image.open(tmp_path / "stripped" / "tagged.png") as stripped:
        assert stripped.mode == "P"
        assert not {"icc_profile", "gamma", "srgb"} & set(stripped.info)
        assert stripped.text == {}


def test_help_shows_the_new_options_and_what_strip_keeps():
    quantize = build_parser()._subparsers._group_actions[0].choices["quantize"]
    text = " ".join(quantize.format_help().split())
    for option in ("--quality MIN-MAX", "--skip-if-larger", "--ext EXT", "--strip"):
        assert option in text
    assert "ICC profile, gamma and sRGB chunks and PNG text chunks are kept" in text
    assert "exit code 99" in text and "exit code 98" in text
    assert "- reads one image from standard input" in text


# --- progress --------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_plain_lines_when_piped(
    tmp_path, china_small, monkeypatch, capsys
):
    assert Progress.for_stream(io.StringIO(), 3) is None
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.roll(china_small, 7 * i, axis=0)).save(folder / f"{i}.png")
    # Piped: plain lines, no control characters.
    assert run("quantize", folder, "-o", tmp_path / "piped", "-k", 8) == 0
    piped = capsys.readouterr()
    assert "\r" not in piped.out + piped.err and "\x1b" not in piped.out + piped.err
    assert len(piped.out.strip().splitlines()) == 4
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert run("quantize", folder, "-o", tmp_path / "tty", "-k", 8) == 0
    drawn = terminal.getvalue()
    bars = re.findall(r"\[([#-]+)\] (\d)/3 files", drawn)
    assert [done for _, done in bars][-1] == "3" and bars[-1][0].count("-") == 0
    assert {done for _, done in bars} == {"1", "2", "3"}
    assert drawn.endswith("\r\x1b[K")  # the bar is gone when the run ends
    # The per-file lines still reach stdout whole.
    assert len(capsys.readouterr().out.strip().splitlines()) == 4


# --- defects 1, 3 and 8: palette files -------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        ("GIMP Palette\n99999999999999999999999 0 0\n", "line 2 is not a color"),  # 1
        ("GIMP Palette\n1 2\n3 4\n5 6\n", "line 2 is not a color"),  # 3
        ("GIMP Palette\n0 0 0\n256 0 0\n", "line 3 is not a color"),
        ("GIMP Palette\n-1 0 0\n", "line 2 is not a color"),
        ("GIMP Palette\n1e3 0 0\n", "line 2 is not a color"),
        ("GIMP Palette\n１ 0 0\n", "line 2 is not a color"),  # a full-width digit
        ("GIMP Palette\n", "a palette holds 1 to 256 RGB colors"),
    ],
)
@pytest.mark.parametrize("option", ["--palette", "--fixed-colors"])
def test_bad_gpl_lines_are_one_line_naming_the_line(
    tmp_path, photo, content, message, option, capsys
):
    palette = tmp_path / "p.gpl"
    palette.write_text(content, encoding="utf-8")
    assert run("quantize", photo, "-o", tmp_path / "out", option, palette) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert message in line and str(palette) in line
    assert not (tmp_path / "out" / "china.png").exists()


def test_a_two_number_gpl_is_not_regrouped_into_colors(tmp_path):
    palette = tmp_path / "two.gpl"
    palette.write_text("GIMP Palette\n1 2\n3 4\n5 6\n")
    with pytest.raises(ValueError, match="line 2 is not a color 'R G B"):
        load_palette(palette)


def test_gpl_names_comments_and_headers_are_still_read(tmp_path):
    palette = tmp_path / "named.gpl"
    palette.write_text(
        "GIMP Palette\nName: mine\nColumns: 4\n# a comment\n\n"
        "255   0   0\tRed\n  0 128 255 sky blue 2\n"
    )
    assert load_palette(palette).tolist() == [[255, 0, 0], [0, 128, 255]]


@pytest.mark.parametrize("suffix", [".gpl", ".json"])
def test_a_palette_that_is_dev_zero_is_not_read_without_bound(
    tmp_path, photo, suffix, capsys
):
    palette = tmp_path / f"zero{suffix}"
    palette.symlink_to("/dev/zero")
    # Under a 1 GiB address-space cap, an unbounded read dies of MemoryError.
    code = (
        "import resource, sys; "
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
        "from sklearn_colorquant._cli import main; "
        f"sys.exit(main(['quantize', {str(photo)!r}, '-o', {str(tmp_path / 'o')!r}, "
        f"'--palette', {str(palette)!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    line = _one_error_line(done.stderr)
    assert "larger than a palette file can be (1,048,576 bytes at most)" in line


_palette_bytes = st.one_of(
    st.binary(max_size=300),
    st.lists(
        st.lists(
            st.one_of(
                st.integers(-(10**25), 10**25).map(str),
                st.sampled_from(["", "#", "x", "1.5", "0x10", "٣", "Name:", "\t"]),
            ),
            max_size=5,
        ).map(" ".join),
        max_size=8,
    ).map(lambda lines: "\n".join(["GIMP Palette", *lines]).encode()),
    st.lists(
        st.one_of(
            st.text(alphabet="#0123456789abcdefABCDEFxyz", max_size=9),
            st.integers(),
            st.none(),
            st.lists(st.integers(), max_size=3),
        ),
        max_size=6,
    ).map(lambda codes: repr(codes).replace("'", '"').replace("None", "null").encode()),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(content=_palette_bytes, suffix=st.sampled_from([".gpl", ".json", ".png"]))
def test_palette_readers_give_a_palette_or_a_value_error(tmp_path, content, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    try:
        palette = load_palette(path)
    except ValueError as error:
        assert str(path) in str(error)
        return
    assert palette.dtype == np.uint8
    assert palette.ndim == 2 and palette.shape[1] == 3 and 1 <= len(palette) <= 256


# --- defect 2: -j 100000 ---------------------------------------------------------


def test_a_huge_jobs_count_is_capped(tmp_path, china_small):
    assert _n_workers(100_000, 10**6) == 4 * (os.cpu_count() or 1)
    assert _n_workers(100_000, 3) == 3
    assert _n_workers(-1, 10**6) == (os.cpu_count() or 1)
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(5):
        Image.fromarray(np.roll(china_small, 5 * i, axis=1)).save(folder / f"{i}.png")
    done = cli("quantize", folder, "-o", tmp_path / "o", "-j", 100000, text=True)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        f"{i}.png" for i in range(5)
    ]


# --- defect 4: 32-bit integer images ---------------------------------------------


def test_a_32_bit_tiff_beyond_16_bits_is_refused(tmp_path, capsys):
    values = np.linspace(75_000, 232_000, 64 * 64).reshape(64, 64).astype(np.int32)
    path = tmp_path / "wide.tif"
    Image.fromarray(values, mode="I").save(path)
    assert run("quantize", path, "-o", tmp_path / "o") == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "32-bit integer image with values in [75000, 232000]" in line
    assert "convert it to 8 or 16 bits first" in line
    assert not (tmp_path / "o" / "wide.png").exists()


def test_a_32_bit_tiff_within_16_bits_is_read_as_gray_levels(tmp_path):
    values = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.int32)
    path = tmp_path / "deep.tif"
    Image.fromarray(values, mode="I").save(path)
    image = read_image(path)
    # Levels keep their order and span: nothing is clipped to white.
    assert image.shape == (64, 64)
    assert image.min() == 0 and image.max() == 65535 // (
        257 if image.dtype == np.uint8 else 1
    )
    assert np.all(np.diff(image.astype(np.int64).ravel()) >= 0)


# --- defects 5, 6 and 7: signals and partial files -------------------------------


@pytest.fixture
def many_photos(tmp_path, china_small):
    folder = tmp_path / "many"
    folder.mkdir()
    big = np.tile(china_small, (3, 3, 1))
    for i in range(12):
        Image.fromarray(np.roll(big, 11 * i, axis=1)).save(folder / f"p{i:02d}.png")
    return folder


@pytest.mark.parametrize(
    "signum, code, word",
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
)
def test_a_signal_at_random_points_leaves_one_line_and_no_partial_file(
    tmp_path, many_photos, signum, code, word
):
    # At random points of the writes: once the first file is being written,
    # and then a little later.
    delays = random.Random(signum).sample([0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5], 4)
    stopped = 0
    for attempt, delay in enumerate(delays):
        out = tmp_path / f"out{attempt}"
        command = [*CLI, "quantize", many_photos, "-o", out, "-k", 256, "-j", 2]
        process = subprocess.Popen(
            [str(arg) for arg in command],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if out.is_dir() and any(out.iterdir()):
                break
            time.sleep(0.005)
        time.sleep(delay)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=120)
        assert not _partial_files(tmp_path), (delay, _partial_files(tmp_path))
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
        if process.returncode == 0:
            continue  # the run ended before the signal
        stopped += 1
        assert process.returncode == code, stderr
        assert stderr.strip().splitlines()[-1] == (
            f"colorquant: {word}; no partial file is left"
        )
        # What was written is whole.
        for written in out.glob("*.png"):
            with Image.open(written) as image:
                image.load()
                assert image.mode == "P"
    assert stopped >= 2


def test_stale_partial_files_are_removed_and_reported(tmp_path, photo, capsys):
    out = tmp_path / "out"
    out.mkdir()
    # What kill -9 leaves: our naming, no process holding it.
    stale = out / ".china.0123456789ab.partial.png"
    stale.write_bytes(b"\x89PNG half of a file")
    # Another file with a like name that is not ours is left alone.
    theirs = out / ".china.partial.png"
    theirs.write_bytes(b"not ours")
    assert run("quantize", photo, "-o", out, "--force") == 0
    err = capsys.readouterr().err
    assert f"colorquant: removed {stale}, a partial file left by a run" in err
    assert not stale.exists() and theirs.exists()
    assert (out / "china.png").exists()


def test_a_partial_file_a_live_run_is_writing_is_kept(tmp_path, photo, capsys):
    out = tmp_path / "out"
    out.mkdir()
    live = out / ".other.fedcba987654.partial.png"
    live.write_bytes(b"being written")
    # A live run holds a lock on the temporary file it writes.
    with open(live, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sys, time; sys.stdin.read()"],
            stdin=subprocess.PIPE, pass_fds=(held.fileno(),),
        )  # fmt: skip
    try:
        assert run("quantize", photo, "-o", out) == 0
        assert live.read_bytes() == b"being written"
        assert "removed" not in capsys.readouterr().err
    finally:
        holder.communicate(b"", timeout=30)
    assert run("quantize", photo, "-o", out, "--force") == 0
    assert not live.exists()


def test_a_file_being_made_is_not_taken_for_a_stale_one(tmp_path, monkeypatch):
    # Another run cleans the folder at the worst moment: after this run made its
    # temporary file and before it locked it. The file must not look stale then.
    from sklearn_colorquant import _convert

    taking_lock = _convert._lock
    removed = []

    def clean_then_lock(descriptor):
        removed.extend(_convert.remove_stale_temporaries(tmp_path))
        taking_lock(descriptor)

    monkeypatch.setattr(_convert, "_lock", clean_then_lock)
    size = _convert.write_new_file(tmp_path / "out.bin", lambda file: file.write(b"x"))
    assert size == 1 and removed == []
    assert (tmp_path / "out.bin").read_bytes() == b"x"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.bin"]


# --- defect 9: folders without images --------------------------------------------


@pytest.mark.parametrize("name", ["empty", "x.png"])
def test_a_folder_without_images_says_so_and_fails(tmp_path, name, capsys):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "notes.txt").write_text("no images here")
    (folder / "sub.png").mkdir()  # a folder named like an image is not one
    assert run("quantize", folder, "-o", tmp_path / "o") == 1
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"colorquant: {folder}: no images found in this folder")


# --- defect 10: --save-palette's suffix ------------------------------------------


def test_save_palette_suffix_is_checked_first_naming_the_users_path(
    tmp_path, photo, capsys
):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stopped:
        run("quantize", photo, "-o", out, "--save-palette", tmp_path / "pal.txt")
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"--save-palette {tmp_path / 'pal.txt'}: palettes are written as" in err
    assert ".partial" not in err
    assert not out.exists()  # no image was written before the check


# --- defect 11: frames merged by the writer --------------------------------------


def test_the_frame_count_reported_is_the_one_in_the_file(tmp_path, capsys):
    # 1,000 1x1 frames of two colors, alternating: with one color they become
    # the same frame, which the writers merge.
    frames = [
        Image.new("RGB", (1, 1), (100 + 50 * (i % 2), 100, 100)) for i in range(1000)
    ]
    path = tmp_path / "blink.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=10)
    with Image.open(path) as source:
        assert source.n_frames == 1000
    assert run("quantize", path, "-o", tmp_path / "o", "-k", 1, "--format", "gif") == 0
    printed = capsys.readouterr()
    with Image.open(tmp_path / "o" / "blink.gif") as written:
        in_file = written.n_frames
        total = 0
        for index in range(in_file):
            written.seek(index)
            total += written.info["duration"]
    assert in_file < 1000
    assert f"(1000 frames, {in_file} in the file)" in printed.out
    assert f"the file holds {in_file} frame" in printed.err
    assert total == 10_000  # the merged frames keep their time
    # Frames that stay different are all kept, and the report says so.
    assert run("quantize", path, "-o", tmp_path / "o2", "-k", 2, "--format", "gif") == 0
    out = capsys.readouterr().out
    assert "(1000 frames)" in out
    with Image.open(tmp_path / "o2" / "blink.gif") as written:
        assert written.n_frames == 1000


# --- beyond the list: odd folders ------------------------------------------------


def test_odd_entries_of_a_folder_neither_hang_nor_stop_the_run(tmp_path, photo):
    folder = tmp_path / "odd"
    folder.mkdir()
    Image.open(photo).save(folder / "good.png")
    Image.open(photo).save(folder / "-dash é.png")
    os.mkfifo(folder / "fifo.png")  # reading it would wait for a writer forever
    (folder / "dangling.png").symlink_to(tmp_path / "nowhere.png")
    (folder / "loop.png").symlink_to(folder / "loop.png")
    (folder / "empty.png").write_bytes(b"")
    done = cli("quantize", folder, "-o", tmp_path / "out", text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = sorted(done.stderr.strip().splitlines())
    assert errors == [
        f"colorquant: {folder / 'dangling.png'}: No such file or directory",
        f"colorquant: {folder / 'empty.png'}: not an image file Pillow can read",
        f"colorquant: {folder / 'loop.png'}: Too many levels of symbolic links",
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "-dash é.png",
        "good.png",
    ]
    assert "2 of 5 files written" in done.stdout
