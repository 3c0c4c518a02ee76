"""Compiled CIEDE2000, for the quality targets of ``n_colors="auto"``."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _delta_e_2000(L1, a1, b1, L2, a2, b2):
    """CIEDE2000 of one pair, line for line as ``skimage.color.deltaE_ciede2000``
    (kL = kC = kH = 1)."""
    two_pi = 2 * np.pi
    c_bar = 0.5 * (np.hypot(a1, b1) + np.hypot(a2, b2))
    c7 = c_bar**7
    scale = 1 + 0.5 * (1 - np.sqrt(c7 / (c7 + 25.0**7)))
    C1, h1 = np.hypot(a1 * scale, b1), np.arctan2(b1, a1 * scale)
    C2, h2 = np.hypot(a2 * scale, b2), np.arctan2(b2, a2 * scale)
    h1 += two_pi if h1 < 0.0 else 0.0
    h2 += two_pi if h2 < 0.0 else 0.0

    L_bar = 0.5 * (L1 + L2)
    tmp = (L_bar - 50) ** 2
    L_term = (L2 - L1) / (1 + 0.015 * tmp / np.sqrt(20 + tmp))

    C_bar = 0.5 * (C1 + C2)
    C_term = (C2 - C1) / (1 + 0.045 * C_bar)

    h_diff = h2 - h1
    h_sum = h1 + h2
    CC = C1 * C2
    dH = h_diff
    if h_diff > np.pi:
        dH -= two_pi
    if h_diff < -np.pi:
        dH += two_pi
    if CC == 0.0:
        dH = 0.0
    dH_term = 2 * np.sqrt(CC) * np.sin(dH / 2)

    H_bar = h_sum
    if CC != 0.0 and abs(h_diff) > np.pi:
        H_bar += two_pi if h_sum < two_pi else -two_pi
    if CC == 0.0:
        H_bar *= 2
    H_bar *= 0.5
    T = (
        1
        - 0.17 * np.cos(H_bar - np.deg2rad(30))
        + 0.24 * np.cos(2 * H_bar)
        + 0.32 * np.cos(3 * H_bar + np.deg2rad(6))
        - 0.20 * np.cos(4 * H_bar - np.deg2rad(63))
    )
    H_term = dH_term / (1 + 0.015 * C_bar * T)

    c7 = C_bar**7
    Rc = 2 * np.sqrt(c7 / (c7 + 25.0**7))
    dtheta = np.deg2rad(30) * np.exp(-(((np.rad2deg(H_bar) - 275) / 25) ** 2))
    R_term = -np.sin(2 * dtheta) * Rc * C_term * H_term
    return np.sqrt(max(L_term**2 + C_term**2 + H_term**2 + R_term, 0.0))


@njit(cache=True, nogil=True)
def weighted_delta_e_2000(lab, palette_lab, labels, weights, start, stop):
    """Weighted sum of CIEDE2000 between the colors ``start:stop`` and their
    palette colors."""
    total = 0.0
    for i in range(start, stop):
        j = labels[i]
        total += weights[i] * _delta_e_2000(
            lab[i, 0],
            lab[i, 1],
            lab[i, 2],
            palette_lab[j, 0],
            palette_lab[j, 1],
            palette_lab[j, 2],
        )
    return total
