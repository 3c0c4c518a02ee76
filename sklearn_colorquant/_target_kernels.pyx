# cython: language_level=3, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True
"""Compiled CIEDE2000, for the quality targets of ``n_colors="auto"``."""

from libc.math cimport M_PI, atan2, cos, exp, hypot, sin, sqrt
from libc.stdint cimport int64_t

cdef double _TWO_PI = 2 * M_PI
cdef double _DEGREE = M_PI / 180.0
cdef double _25_TO_7 = 6103515625.0  # 25 ** 7, exact


cdef inline double _seventh_power(double x) noexcept nogil:
    # x * x**2 * x**4, the products in the order exponentiation by squaring
    # takes them (as NumPy's and Numba's x**7).
    cdef double square = x * x
    return (x * square) * (square * square)


cdef double _delta_e_2000(
    double L1, double a1, double b1, double L2, double a2, double b2
) noexcept nogil:
    """CIEDE2000 of one pair, line for line as ``skimage.color.deltaE_ciede2000``
    (kL = kC = kH = 1)."""
    cdef double c_bar = 0.5 * (hypot(a1, b1) + hypot(a2, b2))
    cdef double c7 = _seventh_power(c_bar)
    cdef double scale = 1 + 0.5 * (1 - sqrt(c7 / (c7 + _25_TO_7)))
    cdef double C1 = hypot(a1 * scale, b1), h1 = atan2(b1, a1 * scale)
    cdef double C2 = hypot(a2 * scale, b2), h2 = atan2(b2, a2 * scale)
    cdef double L_bar, tmp, L_term, C_bar, C_term, h_diff, h_sum, CC, dH
    cdef double dH_term, H_bar, T, H_term, Rc, dtheta, R_term, angle, total
    h1 += _TWO_PI if h1 < 0.0 else 0.0
    h2 += _TWO_PI if h2 < 0.0 else 0.0

    L_bar = 0.5 * (L1 + L2)
    tmp = (L_bar - 50) * (L_bar - 50)
    L_term = (L2 - L1) / (1 + 0.015 * tmp / sqrt(20 + tmp))

    C_bar = 0.5 * (C1 + C2)
    C_term = (C2 - C1) / (1 + 0.045 * C_bar)

    h_diff = h2 - h1
    h_sum = h1 + h2
    CC = C1 * C2
    dH = h_diff
    if h_diff > M_PI:
        dH -= _TWO_PI
    if h_diff < -M_PI:
        dH += _TWO_PI
    if CC == 0.0:
        dH = 0.0
    dH_term = 2 * sqrt(CC) * sin(dH / 2)

    H_bar = h_sum
    if CC != 0.0 and (h_diff if h_diff >= 0.0 else -h_diff) > M_PI:
        H_bar += _TWO_PI if h_sum < _TWO_PI else -_TWO_PI
    if CC == 0.0:
        H_bar *= 2
    H_bar *= 0.5
    T = (
        1
        - 0.17 * cos(H_bar - 30 * _DEGREE)
        + 0.24 * cos(2 * H_bar)
        + 0.32 * cos(3 * H_bar + 6 * _DEGREE)
        - 0.20 * cos(4 * H_bar - 63 * _DEGREE)
    )
    H_term = dH_term / (1 + 0.015 * C_bar * T)

    c7 = _seventh_power(C_bar)
    Rc = 2 * sqrt(c7 / (c7 + _25_TO_7))
    angle = (H_bar * (180.0 / M_PI) - 275) / 25
    dtheta = 30 * _DEGREE * exp(-(angle * angle))
    R_term = -sin(2 * dtheta) * Rc * C_term * H_term
    total = L_term * L_term + C_term * C_term + H_term * H_term + R_term
    return sqrt(0.0 if 0.0 > total else total)


def weighted_delta_e_2000(
    const double[:, ::1] lab,
    const double[:, ::1] palette_lab,
    const int64_t[::1] labels,
    const double[::1] weights,
    Py_ssize_t start,
    Py_ssize_t stop,
):
    """Weighted sum of CIEDE2000 between the colors ``start:stop`` and their
    palette colors."""
    cdef double total = 0.0
    cdef Py_ssize_t i, j
    with nogil:
        for i in range(start, stop):
            j = labels[i]
            total += weights[i] * _delta_e_2000(
                lab[i, 0], lab[i, 1], lab[i, 2],
                palette_lab[j, 0], palette_lab[j, 1], palette_lab[j, 2],
            )
    return total
