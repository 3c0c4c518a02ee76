"""
=========================================
Quality against palette size, and "auto"
=========================================

How much does each doubling of the palette buy? PSNR and mean CIEDE2000 color
difference of china.jpg quantized with 4 to 256 colors: k-means in RGB and in
CIELAB against the random baseline. ``n_colors="auto"`` with a target of a mean
CIEDE2000 of 3 picks about the smallest palette that meets it.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_sample_image

from sklearn_colorquant import ColorQuantizer
from sklearn_colorquant.metrics import mean_delta_e, peak_signal_noise_ratio

china = load_sample_image("china.jpg")
pixels = china.reshape(-1, 3)
sizes = [4, 8, 16, 32, 64, 128, 256]
settings = {
    "k-means, RGB": {"color_space": "rgb"},
    "k-means, Lab": {"color_space": "lab"},
    "random, RGB": {"codebook": "random"},
}

curves = {}
for name, params in settings.items():
    psnr, delta_e = [], []
    for n_colors in sizes:
        quantizer = ColorQuantizer(n_colors, random_state=0, **params).fit(pixels)
        quantized = quantizer.inverse_transform(quantizer.transform(pixels))
        psnr.append(peak_signal_noise_ratio(pixels, quantized))
        delta_e.append(mean_delta_e(pixels, quantized))
    curves[name] = (psnr, delta_e)

# %%
# The size that ``n_colors="auto"`` chooses for a mean CIEDE2000 of at most 3.
auto = ColorQuantizer("auto", max_delta_e=3.0, random_state=0).fit(pixels)
auto_quantized = auto.inverse_transform(auto.transform(pixels))
auto_delta_e = mean_delta_e(pixels, auto_quantized)
print(
    f"n_colors='auto' chose {auto.n_colors_} colors: mean CIEDE2000 {auto_delta_e:.2f}"
)

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for name, (psnr, delta_e) in curves.items():
    left.plot(sizes, psnr, marker="o", label=name)
    right.plot(sizes, delta_e, marker="o", label=name)
right.axhline(3.0, color="gray", linestyle="--", linewidth=1, label="target: 3.0")
right.plot(
    [auto.n_colors_],
    [auto_delta_e],
    marker="*",
    markersize=16,
    color="black",
    linestyle="none",
    label=f"n_colors='auto': {auto.n_colors_}",
)
for ax, label in (
    (left, "PSNR (dB), higher is better"),
    (right, "mean CIEDE2000, lower is better"),
):
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(size) for size in sizes])
    ax.set_xlabel("palette size (n_colors)")
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)
    ax.legend()
fig.suptitle("china.jpg: quality against palette size")
fig.tight_layout()
plt.show()
