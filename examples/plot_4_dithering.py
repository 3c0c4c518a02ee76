"""
======================
Dithering side by side
======================

With few colors, smooth gradients break into bands. Dithering trades the bands for
fine noise: Floyd-Steinberg error diffusion passes each pixel's error on to its
neighbors, ordered dithering adds a fixed Bayer pattern. Shown on the sky and hills
of china.jpg with a 12-color palette, enlarged so that the pixels show.

Dithering in CIELAB diffuses perceptual error; with a palette this small, the chroma
error it carries across the pale sky can reach a far palette color (the roof's
orange), which RGB dithering of the same palette does not.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_sample_image

from sklearn_colorquant import apply_palette, quantize_image

china = load_sample_image("china.jpg")
crop = china[120:240, 300:480]
_, quantizer = quantize_image(china, 12, random_state=0)
_, lab_quantizer = quantize_image(china, 12, color_space="lab", random_state=0)

panels = {
    "original": crop,
    "12 colors, no dithering": apply_palette(crop, quantizer),
    "Floyd-Steinberg": apply_palette(crop, quantizer, dither="floyd-steinberg"),
    "ordered (Bayer 8x8)": apply_palette(crop, quantizer, dither="ordered"),
    "Floyd-Steinberg, half strength": apply_palette(
        crop, quantizer, dither="floyd-steinberg", dither_strength=0.5
    ),
    "Floyd-Steinberg in CIELAB": apply_palette(
        crop, lab_quantizer, dither="floyd-steinberg"
    ),
}

fig, axes = plt.subplots(2, 3, figsize=(13, 6.5))
for ax, (title, image) in zip(axes.ravel(), panels.items()):
    ax.imshow(image, interpolation="nearest")
    ax.set_title(title)
    ax.set_axis_off()
fig.tight_layout()
plt.show()
