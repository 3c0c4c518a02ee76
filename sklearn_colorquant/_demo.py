"""The demo: scikit-learn's classic color-quantization example, with this package.

It is the one command that imports scikit-learn (for its sample images and the
estimator), so it does so when it runs, not when the command line starts.
"""

import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ._distinct import distinct_colors
from ._io import save_indexed_image

SAMPLE_IMAGES = ("china.jpg", "flower.jpg")
DEMO_CODEBOOKS = ("kmeans", "random")


def run_demo(
    output_dir, *, image_name="china.jpg", n_colors=64, random_state=0, out=print
):
    """Quantize a sample image with a k-means and a random palette; write the results.

    Returns the rows of the printed table, one dict per codebook.
    """
    from skimage.metrics import peak_signal_noise_ratio
    from sklearn.datasets import load_sample_image

    from ._quantizer import ColorQuantizer

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    image = load_sample_image(image_name)
    pixels = image.reshape(-1, 3)
    height, width = image.shape[:2]
    out(
        f"{image_name}: {width} x {height} pixels, "
        f"{len(distinct_colors(pixels)[0]):,} distinct colors, quantized to {n_colors}"
    )
    Image.fromarray(image).save(output_dir / "original.png", optimize=True)

    rows, panels = [], [("original", image)]
    for codebook in DEMO_CODEBOOKS:
        quantizer = ColorQuantizer(
            n_colors, codebook=codebook, random_state=random_state
        )
        start = time.perf_counter()
        quantizer.fit(pixels)
        fitted = time.perf_counter()
        indices = quantizer.transform(pixels).reshape(height, width)
        transformed = time.perf_counter()
        quantized = quantizer.palette_[indices]
        save_indexed_image(output_dir / f"{codebook}.png", indices, quantizer.palette_)
        rows.append(
            {
                "codebook": codebook,
                "colors": len(distinct_colors(quantized.reshape(-1, 3))[0]),
                "fit_s": fitted - start,
                "transform_s": transformed - fitted,
                "psnr_db": peak_signal_noise_ratio(image, quantized),
                "png_bytes": (output_dir / f"{codebook}.png").stat().st_size,
            }
        )
        panels.append((f"{codebook} palette, {n_colors} colors", quantized))
        if codebook == "kmeans":
            _palette_swatch(quantizer).save(output_dir / "palette.png")
    _comparison_figure(panels).save(output_dir / "comparison.png", optimize=True)

    header = ("codebook", "colors", "fit (s)", "transform (s)", "PSNR (dB)")
    out("{:<10}{:>8}{:>10}{:>15}{:>11}".format(*header))
    for row in rows:
        out(
            f"{row['codebook']:<10}{row['colors']:>8}{row['fit_s']:>10.3f}"
            f"{row['transform_s']:>15.3f}{row['psnr_db']:>11.2f}"
        )
    out(f"files in {output_dir}:")
    original_bytes = (output_dir / "original.png").stat().st_size
    out(f"  original.png    {original_bytes:>10,} bytes (RGB)")
    for row in rows:
        name = f"{row['codebook']}.png"
        out(f"  {name:<15} {row['png_bytes']:>10,} bytes (indexed, {n_colors} colors)")
    out("  palette.png     k-means palette, most used color first")
    out("  comparison.png  original, k-means and random side by side")
    return rows


def _palette_swatch(quantizer, cell=32, per_row=16):
    order = np.argsort(-quantizer.palette_frequencies_, kind="stable")
    colors = quantizer.palette_[order]
    n_rows = -(-len(colors) // per_row)
    swatch = np.full((n_rows * cell, per_row * cell, 3), 255, dtype=np.uint8)
    for position, color in enumerate(colors):
        row, column = divmod(position, per_row)
        swatch[row * cell : (row + 1) * cell, column * cell : (column + 1) * cell] = (
            color
        )
    return Image.fromarray(swatch)


def _comparison_figure(panels, margin=10, title_height=36):
    height, width = panels[0][1].shape[:2]
    figure = Image.new(
        "RGB",
        (len(panels) * (width + margin) + margin, height + title_height + margin),
        "white",
    )
    draw = ImageDraw.Draw(figure)
    font = ImageFont.load_default(size=22)
    for position, (title, array) in enumerate(panels):
        left = margin + position * (width + margin)
        draw.text((left, 6), title, fill="black", font=font)
        figure.paste(Image.fromarray(array), (left, title_height))
    return figure
