"""The 0-100 quality scale of ``colorquant --quality``, as pngquant's.

Quality ``Q`` means a PSNR of ``Q / 2`` dB over an image's visible pixels, the
measure the command line reports and ``ColorQuantizer(min_psnr=...)`` targets:
60 is 30 dB (a photo at about 16-32 colors), 70 is 35 dB (about 64), 80 is
40 dB (about 256) and 100 is 50 dB, which few photos reach in 256 colors.
"""

import re

# pngquant's forms: "MIN-MAX", "-MAX" (no minimum), "MIN-" (MAX 100), and "N"
# (MAX N, MIN 90% of it).
_RANGE = re.compile(r"(?P<low>\d{1,3})?(?P<dash>-)?(?P<high>\d{1,3})?")


def psnr_of_quality(quality):
    """The PSNR in dB that quality ``quality`` (0 to 100) asks for."""
    return quality / 2


def quality_of_psnr(psnr):
    """The quality, 0 to 100, that a PSNR of ``psnr`` dB reaches."""
    return min(100.0, max(0.0, 2 * psnr))


def parse_quality(text):
    """``(minimum, maximum)`` of a quality range written as pngquant takes it:
    ``"65-80"``, ``"-80"`` (no minimum), ``"65-"`` (up to 100), ``"80"``
    (up to 80, at least 72)."""
    match = _RANGE.fullmatch(text.strip())
    if match is None or not (match["low"] or match["high"]):
        raise ValueError(f"expected MIN-MAX with whole numbers 0 to 100, got {text!r}")
    if match["dash"] is None:
        high = int(match["low"])
        low = high * 9 // 10
    else:
        low = int(match["low"] or 0)
        high = int(match["high"] or 100)
    if not 0 <= low <= high <= 100:
        raise ValueError(f"expected MIN-MAX with 0 <= MIN <= MAX <= 100, got {text!r}")
    return low, high
