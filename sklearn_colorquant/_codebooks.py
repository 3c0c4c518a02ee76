"""Codebooks: how a palette is learned from weighted colors in the working space.

The named codebooks are the entries of ``CODEBOOKS``; ``codebook_of`` resolves
any ``codebook`` option (a name, a clusterer instance, a palette array) to one
``Codebook`` object, once, so that nothing below compares names. Only the
scikit-learn clusterers import scikit-learn, when they are used.
"""

import numpy as np

from ._color_spaces import check_palette_scale, from_unit, to_unit
from ._kmeans import refine_around, weighted_kmeans


class Codebook:
    """How a palette is learned: ``learn`` gives centers in the working space.

    ``fixed`` codebooks give a palette instead (``palette_for``), and ``grows``
    says whether the palette can be grown to a quality target
    (``n_colors="auto"``).
    """

    fixed = False
    grows = False

    def __init__(self, option):
        self.option = option  # what the user passed, for messages

    def learn(
        self, colors, weights, n_colors, random_state, *, to_working=None, fixed=None,
        grid=None,
    ):  # fmt: skip
        """Learn ``n_colors`` centers from ``colors`` weighted by ``weights``.

        Parameters
        ----------
        colors : ndarray of shape (n_distinct, n_channels), float64, working space
            Distinct colors (or weighted means of nearby ones); more than
            ``n_colors`` of them.
        weights : ndarray of shape (n_distinct,)
            How many pixels each stands for.
        n_colors : int
        random_state : RandomState instance
        to_working : callable, optional
            Converts colors given in the data's scale into the working space: a
            clusterer's array ``init`` is read in the data's scale, as a fixed
            palette is.
        fixed : ndarray of shape (n_fixed, n_channels), optional
            Reserved colors, working space: the first centers of the result, as
            given.
        grid : Grid, optional
            ``build_grid(colors)``, when the caller has it already.

        Returns
        -------
        centers : ndarray of shape (n_centers, n_channels), float64
        n_iter : int
            Lloyd iterations run (a clusterer's ``n_iter_``; 0 for random colors).
        """
        raise NotImplementedError


class KMeansCodebook(Codebook):
    """This package's weighted k-means (k-means++ seeding and Lloyd's
    iterations, as :class:`~sklearn.cluster.KMeans`, coarse to fine); reserved
    colors are held in place as centers while the others learn."""

    grows = True

    def learn(
        self, colors, weights, n_colors, random_state, *, to_working=None, fixed=None,
        grid=None,
    ):  # fmt: skip
        return weighted_kmeans(
            colors, weights, n_colors, random_state, fixed=fixed, grid=grid
        )


class RandomCodebook(Codebook):
    """Colors drawn like random pixels, with probability by pixel count, beside
    the reserved ones: the baseline."""

    def learn(
        self, colors, weights, n_colors, random_state, *, to_working=None, fixed=None,
        grid=None,
    ):  # fmt: skip
        n_fixed = 0 if fixed is None else len(fixed)
        probabilities = weights / weights.sum()
        chosen = random_state.choice(
            len(colors), n_colors - n_fixed, replace=False, p=probabilities
        )
        drawn = colors[np.sort(chosen)]
        return (drawn if fixed is None else np.concatenate([fixed, drawn])), 0


class ClustererCodebook(Codebook):
    """The ``cluster_centers_`` of a scikit-learn clusterer, cloned and given
    ``n_clusters`` and, if it has none, a ``random_state``. With reserved
    colors, it learns the others, which Lloyd's iterations then refine with
    the reserved ones held in place."""

    def clusterer(self, n_colors, seed, to_working):
        from sklearn.base import clone

        clusterer = clone(self.option)
        params = clusterer.get_params(deep=False)
        updates = {}
        init = params.get("init")
        if (
            to_working is not None
            and not isinstance(init, str)
            and hasattr(init, "__len__")
        ):
            # Starting centers come in the data's scale; the clusterer sees
            # working colors.
            updates["init"] = to_working(np.asarray(init))
        if "n_clusters" in params:
            updates["n_clusters"] = n_colors
        if "random_state" in params and params["random_state"] is None:
            updates["random_state"] = seed
        return clusterer.set_params(**updates)

    def learn(
        self, colors, weights, n_colors, random_state, *, to_working=None, fixed=None,
        grid=None,
    ):  # fmt: skip
        if fixed is not None and len(fixed):
            centers, n_iter = self.learn(
                colors, weights, n_colors - len(fixed), random_state,
                to_working=to_working,
            )  # fmt: skip
            centers, more_iter = refine_around(colors, weights, fixed, centers)
            return centers, n_iter + more_iter
        from sklearn.utils.validation import has_fit_parameter

        seed = random_state.randint(np.iinfo(np.int32).max)
        clusterer = self.clusterer(n_colors, seed, to_working)
        if has_fit_parameter(clusterer, "sample_weight"):
            clusterer.fit(colors, sample_weight=weights)
        else:
            # Without weights, the clusterer must see every pixel to fit the same
            # objective.
            clusterer.fit(np.repeat(colors, _whole_counts(weights, clusterer), axis=0))
        centers = getattr(clusterer, "cluster_centers_", None)
        if centers is None:
            raise TypeError(
                f"codebook={self.option!r} has no cluster_centers_ after fit. Pass a "
                "clusterer that exposes cluster_centers_ (KMeans, MiniBatchKMeans, "
                "BisectingKMeans, ...) or a fixed palette array."
            )
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2 or centers.shape[1] != colors.shape[1]:
            raise ValueError(
                f"codebook={self.option!r} returned cluster_centers_ of shape "
                f"{centers.shape}; expected (n_clusters, {colors.shape[1]})."
            )
        return centers, int(getattr(clusterer, "n_iter_", 0))


class MiniBatchCodebook(ClustererCodebook):
    """The centers of :class:`~sklearn.cluster.MiniBatchKMeans`."""

    def clusterer(self, n_colors, seed, to_working):
        from sklearn.cluster import MiniBatchKMeans

        return MiniBatchKMeans(n_clusters=n_colors, random_state=seed)


class FixedCodebook(Codebook):
    """A palette given as an array ``(k, n_channels)`` in the data's scale, used
    as it is, in its order."""

    fixed = True

    def palette_for(self, dtype, n_channels, space):
        """The palette as data of ``dtype``, checked against the data it maps."""
        shape = np.shape(self.option)
        if len(shape) != 2 or shape[0] == 0:
            raise ValueError(
                "A fixed palette (codebook) must be an array of shape (k, n_channels) "
                f"with k >= 1, got shape {shape}."
            )
        from ._palette import checked_pixels

        palette = checked_pixels(self.option, name="codebook")
        if palette.shape[1] != n_channels:
            raise ValueError(
                f"The fixed palette has {palette.shape[1]} channel(s) per color but "
                f"the data has {n_channels}; pass a palette of shape (k, {n_channels})."
            )
        if palette.dtype.kind != "f" and np.dtype(dtype).kind == "f":
            raise ValueError(
                f"The fixed palette has integer dtype {palette.dtype} but the data is "
                f"{np.dtype(dtype)}; give the palette in the data's scale, as floats."
            )
        check_palette_scale(palette, dtype)
        space.check_range(palette, dtype)
        return from_unit(to_unit(palette, dtype), dtype)


CODEBOOKS = {
    "kmeans": KMeansCodebook,
    "minibatch": MiniBatchCodebook,
    "random": RandomCodebook,
}


def codebook_of(option):
    """The ``Codebook`` of a ``codebook`` option: a name of ``CODEBOOKS``, a
    clusterer instance (anything with ``fit``) or a palette array."""
    if isinstance(option, Codebook):
        return option
    if isinstance(option, str):
        if option not in CODEBOOKS:
            raise ValueError(
                f"codebook must be one of {sorted(CODEBOOKS)}, a clusterer or a "
                f"palette array, got {option!r}."
            )
        return CODEBOOKS[option](option)
    if hasattr(option, "fit"):
        return ClustererCodebook(option)
    return FixedCodebook(option)


def _whole_counts(weights, clusterer):
    counts = np.round(weights).astype(np.int64)
    if not np.array_equal(counts, weights):
        raise ValueError(
            f"{type(clusterer).__name__}.fit takes no sample_weight, so each color "
            "is repeated as many times as its weight, which must then be a whole "
            "number. Pass whole-number sample_weight or a clusterer whose fit takes "
            "sample_weight."
        )
    return counts
