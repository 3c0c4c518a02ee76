"""Palettes users control: reserved colors, and every palette entry counted."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import BisectingKMeans

from sklearn_colorquant import ColorQuantizer

WHITE_BLACK = np.array([[255, 255, 255], [0, 0, 0]], dtype=np.uint8)


def _psnr(pixels, quantizer):
    restored = quantizer.inverse_transform(quantizer.transform(pixels))
    error = np.mean((pixels.astype(float) - restored) ** 2)
    return 10 * np.log10(255**2 / error)


@pytest.mark.parametrize(
    "codebook", ["kmeans", "minibatch", "random", BisectingKMeans(n_init=1)]
)
def test_reserved_colors_are_in_the_palette_exactly_and_take_their_pixels(
    china_pixels, codebook
):
    reserved = np.array([[255, 255, 255], [0, 0, 0], [200, 30, 40]], np.uint8)
    quantizer = ColorQuantizer(
        16, codebook=codebook, fixed_colors=reserved, random_state=0
    ).fit(china_pixels)
    assert quantizer.n_colors_ == 16
    np.testing.assert_array_equal(quantizer.palette_[:3], reserved)
    # A pixel equal or near to a reserved color goes to it.
    np.testing.assert_array_equal(quantizer.transform(reserved)[:, 0], [0, 1, 2])
    near = np.clip(reserved.astype(int) + [[-3, -3, -3], [2, 1, 3], [2, -2, 1]], 0, 255)
    np.testing.assert_array_equal(
        quantizer.transform(near.astype(np.uint8))[:, 0], [0, 1, 2]
    )
    # Learned colors come after, most used first.
    assert np.all(np.diff(quantizer.palette_frequencies_[3:]) <= 0)


def test_kmeans_holds_the_reserved_colors_as_centers(china_pixels):
    # Each learned center is the mean of the pixels it takes: the reserved ones
    # take theirs, so no learned color sits on top of a reserved one.
    quantizer = ColorQuantizer(8, fixed_colors=WHITE_BLACK, random_state=0)
    quantizer.fit(china_pixels)
    labels = quantizer.transform(china_pixels)[:, 0]
    for index in range(2, 8):
        mean = china_pixels[labels == index].mean(axis=0)
        assert np.abs(mean - quantizer.palette_[index]).max() <= 1.0
    # The reserved colors did not move to the mean of their pixels.
    assert np.abs(china_pixels[labels == 0].mean(axis=0) - 255).max() > 5


@pytest.mark.parametrize("color_space", ["rgb", "lab"])
def test_reserved_colors_in_float_data_and_lab(china_pixels, color_space):
    pixels = china_pixels / 255.0
    reserved = np.array([[1.0, 1.0, 1.0], [0.1, 0.2, 0.3]])
    quantizer = ColorQuantizer(
        12, fixed_colors=reserved, color_space=color_space, random_state=0
    ).fit(pixels)
    np.testing.assert_array_equal(quantizer.palette_[:2], reserved)
    np.testing.assert_array_equal(quantizer.transform(reserved)[:, 0], [0, 1])


def test_reserved_colors_with_the_automatic_size(china_pixels):
    quantizer = ColorQuantizer(
        "auto", min_psnr=30, fixed_colors=WHITE_BLACK, random_state=0
    ).fit(china_pixels)
    np.testing.assert_array_equal(quantizer.palette_[:2], WHITE_BLACK)
    assert _psnr(china_pixels, quantizer) >= 30
    assert quantizer.n_colors_ > 2


def test_reserving_all_colors_and_reserved_colors_also_in_the_data():
    pixels = np.array([[255, 255, 255], [0, 0, 0], [10, 10, 10]], np.uint8)
    quantizer = ColorQuantizer(2, fixed_colors=WHITE_BLACK).fit(pixels)
    np.testing.assert_array_equal(quantizer.palette_, WHITE_BLACK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        few = ColorQuantizer(8, fixed_colors=WHITE_BLACK).fit(pixels)
    # The data's own white and black are the reserved ones: not listed twice.
    assert few.n_colors_ == 3
    np.testing.assert_array_equal(few.palette_[:2], WHITE_BLACK)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_colors": 2, "fixed_colors": np.zeros((3, 3))}, "reserves 3 colors, more"),
        ({"fixed_colors": np.zeros((2, 4))}, "has 4 channel.*the data has 3"),
        ({"fixed_colors": [[0.5, 0.5, 0.5]]}, "fixed_colors has fractional values"),
        ({"fixed_colors": [[300, 0, 0]]}, r"fixed_colors has values in \[0, 300\]"),
        (
            {"codebook": WHITE_BLACK, "fixed_colors": WHITE_BLACK},
            "codebook is a fixed palette already",
        ),
        (
            {"n_colors": "auto", "min_psnr": 30, "max_colors": 1,
             "fixed_colors": WHITE_BLACK},
            "more than max_colors=1",
        ),
    ],
)  # fmt: skip
def test_reserved_colors_errors(china_pixels, params, message):
    with pytest.raises(ValueError, match=message):
        ColorQuantizer(**params).fit(china_pixels)


def test_reserving_two_colors_costs_little_psnr(china_pixels):
    # Against learning all 16 and against the naive way (learn 16, then put the
    # reserved colors in place of the two learned colors nearest to them).
    learned = ColorQuantizer(16, random_state=0).fit(china_pixels)
    reserved = ColorQuantizer(16, fixed_colors=WHITE_BLACK, random_state=0).fit(
        china_pixels
    )
    naive_palette = learned.palette_.copy()
    for color in WHITE_BLACK:
        distances = ((naive_palette.astype(int) - color.astype(int)) ** 2).sum(axis=1)
        distances[np.all(np.isin(naive_palette, WHITE_BLACK), axis=1)] = 10**9
        naive_palette[np.argmin(distances)] = color
    naive = ColorQuantizer(codebook=naive_palette).fit(china_pixels)
    psnr_learned = _psnr(china_pixels, learned)
    psnr_reserved = _psnr(china_pixels, reserved)
    psnr_naive = _psnr(china_pixels, naive)
    assert psnr_reserved > psnr_naive
    assert psnr_learned - psnr_reserved < 1.5


# --- animations ----------------------------------------------------------------


@pytest.fixture
def sprite_animation(tmp_path):
    """A static photo with a crop of another moving across it: 4 frames, each
    with its own duration."""
    from PIL import Image
    from sklearn.datasets import load_sample_image

    background = load_sample_image("china.jpg")[100:220, 200:360]
    sprite = load_sample_image("flower.jpg")[150:190, 250:290]
    frames = []
    for step in range(4):
        frame = background.copy()
        frame[40:80, 20 + 30 * step : 60 + 30 * step] = sprite
        frames.append(frame)
    durations = [80, 120, 160, 200]
    paths = {}
    for suffix in ("gif", "png"):
        path = tmp_path / f"sprite.{suffix}"
        Image.fromarray(frames[0]).save(
            path,
            save_all=True,
            append_images=[Image.fromarray(frame) for frame in frames[1:]],
            duration=durations,
            loop=0,
        )
        paths[suffix] = path
    return paths, durations


def _static_changes(frames_in, frames_out):
    """Share of pixels unchanged between two input frames whose output changed:
    the flicker a viewer sees in areas that do not move."""
    changed, static = 0, 0
    for before, after, out_before, out_after in zip(
        frames_in, frames_in[1:], frames_out, frames_out[1:]
    ):
        still = np.all(before == after, axis=-1)
        static += still.sum()
        changed += (np.any(out_before != out_after, axis=-1) & still).sum()
    return changed / static


@pytest.mark.parametrize("source_format", ["gif", "png"])
@pytest.mark.parametrize("output_format", ["gif", "png"])
@pytest.mark.parametrize("dither", ["none", "adaptive", "floyd-steinberg"])
def test_an_animation_keeps_its_frames_timing_and_still_areas(
    tmp_path, sprite_animation, source_format, output_format, dither
):
    from sklearn_colorquant import read_frames
    from sklearn_colorquant._cli import main

    paths, durations = sprite_animation
    out = tmp_path / "out"
    args = [str(paths[source_format]), "-o", str(out), "-k", "32",
            "--format", output_format, "--dither", dither]  # fmt: skip
    assert main(["quantize", *args]) == 0
    frames_in = read_frames(paths[source_format])[0]
    frames_out, written_durations, loop = read_frames(out / f"sprite.{output_format}")
    assert len(frames_out) == 4 and written_durations == durations and loop == 0
    # One palette for every frame, and the background keeps its colors.
    colors = set()
    for frame in frames_out:
        colors |= set(map(tuple, frame.reshape(-1, 3)))
    assert len(colors) <= 32
    assert _static_changes(frames_in, frames_out) == 0
    # The moving crop is there, in every frame.
    assert all(
        np.abs(out_frame.astype(int) - in_frame).mean() < 12
        for in_frame, out_frame in zip(frames_in, frames_out)
    )


def test_a_palette_per_frame_is_a_choice_for_gif(tmp_path, sprite_animation, capsys):
    from sklearn_colorquant import read_frames
    from sklearn_colorquant._cli import main

    paths, _ = sprite_animation
    out = tmp_path / "out"
    assert main(["quantize", str(paths["gif"]), "-o", str(out), "-k", "8",
                 "--format", "gif", "--palette-per-frame"]) == 0  # fmt: skip
    frames_out = read_frames(out / "sprite.gif")[0]
    assert len(frames_out) == 4
    assert all(
        len(np.unique(frame.reshape(-1, 3), axis=0)) <= 8 for frame in frames_out
    )
    assert main(["quantize", str(paths["gif"]), "-o", str(out), "--force",
                 "--palette-per-frame"]) == 1  # fmt: skip
    assert "needs --format gif" in capsys.readouterr().err


def test_fixed_colors_on_the_command_line(tmp_path, china_pixels):
    from PIL import Image

    from sklearn_colorquant import load_palette, read_image
    from sklearn_colorquant._cli import main

    image = china_pixels[: 200 * 300].reshape(200, 300, 3)
    Image.fromarray(image).save(tmp_path / "photo.png")
    rgba = np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    rgba[:50, :, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "sprite.png")
    Image.fromarray(image[..., 0]).save(tmp_path / "gray.png")
    out = tmp_path / "out"
    palette_file = tmp_path / "saved.gpl"
    assert main(["quantize", str(tmp_path / "photo.png"), "-o", str(out), "-k", "8",
                 "--fixed-colors", "#ffffff, #000000",
                 "--save-palette", str(palette_file)]) == 0  # fmt: skip
    saved = load_palette(palette_file)
    assert len(saved) == 8 and saved[:2].tolist() == [[255, 255, 255], [0, 0, 0]]
    assert "Name: saved" in palette_file.read_text()
    # From a palette file, on RGBA (kept opaque, -k counting the transparent
    # entry) and on gray images.
    reserved = tmp_path / "reserved.json"
    reserved.write_text('["#ffffff", "#808080"]')
    for name in ("sprite.png", "gray.png"):
        assert main(["quantize", str(tmp_path / name), "-o", str(out), "-k", "8",
                     "--fixed-colors", str(reserved)]) == 0  # fmt: skip
    written = read_image(out / "sprite.png")
    visible = {tuple(c) for c in written[50:].reshape(-1, 4)}
    assert (255, 255, 255, 255) in visible or (128, 128, 128, 255) in visible
    with Image.open(out / "sprite.png") as indexed:
        assert len(indexed.getpalette()) // 3 <= 8
    with Image.open(out / "gray.png") as indexed:
        palette = np.array(indexed.getpalette()).reshape(-1, 3)
        assert {255, 128} <= set(palette[:, 0])


@pytest.mark.parametrize("dither", [None, "adaptive", "floyd-steinberg", "ordered"])
def test_quantize_animation_keeps_still_pixels_and_a_palette_per_frame_does_not(
    dither,
):
    from sklearn.datasets import load_sample_image

    from sklearn_colorquant import quantize_animation

    background = load_sample_image("china.jpg")[100:200, 200:330]
    frames = []
    for step in range(5):
        frame = background.copy()
        frame[30:60, 10 + 20 * step : 40 + 20 * step] = [250, 120, 30]
        frames.append(frame)
    indices, quantizers = quantize_animation(frames, 16, dither=dither, random_state=0)
    assert all(q is quantizers[0] for q in quantizers)
    for before, after, out_before, out_after in zip(
        frames, frames[1:], indices, indices[1:]
    ):
        still = np.all(before == after, axis=-1)
        np.testing.assert_array_equal(out_before[still], out_after[still])
    # The moving square takes its palette color wherever it is.
    orange = quantizers[0].transform(np.array([[250, 120, 30]], np.uint8))[0, 0]
    assert all((frame_indices[30:60][:, 15 + 20 * n] == orange).all()
               for n, frame_indices in enumerate(indices))  # fmt: skip
    _, own = quantize_animation(frames, 16, palette_per_frame=True, random_state=0)
    assert len({id(q) for q in own}) == 5
    with pytest.raises(ValueError, match="share one shape"):
        quantize_animation([frames[0], frames[1][:50]], 16)


def test_an_animation_keeps_its_transparency(tmp_path):
    from PIL import Image
    from sklearn.datasets import load_sample_image

    from sklearn_colorquant import read_frames
    from sklearn_colorquant._cli import main

    photo = load_sample_image("flower.jpg")[100:160, 100:180]
    frames = []
    for step in range(3):
        frame = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
        frame[:, : 10 + 20 * step, 3] = 0  # a transparent band that grows
        frames.append(Image.fromarray(frame))
    frames[0].save(tmp_path / "fade.png", save_all=True, append_images=frames[1:],
                   duration=[50, 60, 70])  # fmt: skip
    out = tmp_path / "out"
    assert (
        main(["quantize", str(tmp_path / "fade.png"), "-o", str(out), "-k", "16"]) == 0
    )
    written, durations, _ = read_frames(out / "fade.png")
    assert len(written) == 3 and durations == [50, 60, 70]
    for step, frame in enumerate(written):
        assert (frame[:, : 10 + 20 * step, 3] == 0).all()
        assert (frame[:, 10 + 20 * step :, 3] == 255).all()
    with Image.open(out / "fade.png") as indexed:
        assert len(indexed.getpalette()) // 3 <= 16
