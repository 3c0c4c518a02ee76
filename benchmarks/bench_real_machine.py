"""Speed as users meet it: a busy machine, parallel callers, a cold start; and
palettes against KMeans on smooth photos. One table, each figure against its
target.

Run from the repository root, after ``pip install ".[bench]"``::

    python benchmarks/bench_real_machine.py

Photos: scikit-learn's china.jpg and flower.jpg, scikit-image's astronaut,
coffee, chelsea and rocket, and china's sky (its top right, above the trees)
enlarged 4x with Lanczos, a smooth gradient. ``fit`` + ``transform`` of each is
timed (median of ``--repeats`` runs) beside libimagequant's quantize-and-remap,
at K = 16, 64 and 256:

- idle: our time over libimagequant's, median and worst photo;
- busy: the same with one CPU-bound process beside us, started here, and our
  time over our own single-thread time (``n_threads=1``) under the same load;
- parallel callers: ``quantize_images`` on 8 photos and ``GridSearchCV`` over 4
  sizes x 3 folds, ``n_jobs=-1`` against ``n_jobs=1``, idle and busy (each pair
  timed in turns), with two figures for reading the search's rows: its fits on 1
  thread against 2 in one process, and what the search costs around its fits,
  with a no-op estimator; a Dask ``LocalCluster`` with 2 threads per worker
  against 1;
- cold start: one fit + transform of china.jpg at K=64 in a new process with an
  empty Numba cache (the helper that compiles kernels ahead, ``_compile_ahead``,
  at work as it is for a user), and ``from sklearn_colorquant import
  ColorQuantizer`` against ``from sklearn.cluster import KMeans`` in new
  processes (the package's names load on first use, so a bare import would
  measure nothing);
- quality: PSNR gap to scikit-learn's ``KMeans`` on all pixels (seed 0), worst
  over seeds 0, 1, 2 and photos, and median over them;
- memory: peak memory of a new process that fits and transforms a 12 MP image
  at K=256.

``--sections`` runs some parts only, for example ``--sections idle busy``.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import contextmanager

import numpy as np
from PIL import Image
from skimage import data
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_colorquant import ColorQuantizer, quantize_images

try:
    import imagequant
except ImportError:  # the anchor is optional: pip install ".[bench]"
    imagequant = None

N_COLORS = (16, 64, 256)
# Side of the square crops the Dask collection is made of, how many from each
# photo, and how many to a chunk: enough work per chunk that the chunks' work,
# not Dask's overhead per task, decides the time.
_CROP = 300
_CROPS_PER_PHOTO = 9
_CROPS_PER_CHUNK = 3
# The palette sizes the GridSearchCV of the parallel callers' section tries.
_SEARCHED_SIZES = [8, 16, 32, 64]
SECTIONS = ("idle", "busy", "callers", "dask", "cold", "quality", "memory")


def photos():
    china = load_sample_image("china.jpg")
    sky = Image.fromarray(np.ascontiguousarray(china[:150, 340:]))
    sky = sky.resize((4 * sky.width, 4 * sky.height), Image.Resampling.LANCZOS)
    return {
        "china": china,
        "flower": load_sample_image("flower.jpg"),
        "astronaut": data.astronaut(),
        "coffee": data.coffee(),
        "chelsea": data.chelsea(),
        "rocket": data.rocket(),
        "china sky x4": np.asarray(sky),
    }


def ours(image, n_colors, n_threads=None, random_state=0):
    pixels = image.reshape(-1, 3)
    quantizer = ColorQuantizer(
        n_colors, random_state=random_state, n_threads=n_threads
    ).fit(pixels)
    return quantizer.palette_[quantizer.transform(pixels)[:, 0]].reshape(image.shape)


def libimagequant(image, n_colors):
    indexed = imagequant.quantize_pil_image(
        Image.fromarray(image), dithering_level=0.0, max_colors=n_colors
    )
    return np.asarray(indexed.convert("RGB"))


def timed(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


@contextmanager
def busy_process():
    """One CPU-bound process beside the benchmark, as another user's job."""
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.5)
    try:
        yield
    finally:
        process.kill()
        process.wait()


class Table:
    """Rows of (figure, measured, target, met), printed as one table."""

    def __init__(self):
        self.rows = []

    def add(self, figure, measured, target, met):
        self.rows.append((figure, measured, target, met))
        print(f"  {figure}: {measured} (target {target})", flush=True)

    def print(self):
        widths = [max(len(str(row[i])) for row in self.rows) for i in range(3)]
        header = ("figure", "measured", "target")
        widths = [max(w, len(h)) for w, h in zip(widths, header)]
        line = "  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  met"
        print("\n" + line + "\n" + "-" * len(line))
        for figure, measured, target, met in self.rows:
            cells = (figure, measured, target)
            met = {True: "yes", False: "NO", None: "-"}[met]
            print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths)), met)


def _ratio_rows(table, label, ratios, target):
    """Median and worst of per-photo ratios against ``target`` (at most)."""
    names = list(ratios)
    values = np.array([ratios[name] for name in names])
    worst = names[int(np.argmax(values))]
    median = float(np.median(values))
    table.add(
        label,
        f"median {median:.2f}, worst {values.max():.2f} ({worst})",
        f"median <= {target}",
        median <= target,
    )


def idle_and_busy(table, images, repeats, busy):
    if imagequant is None:
        table.add("libimagequant", "not installed", 'pip install ".[bench]"', None)
        return
    context = busy_process() if busy else _nothing()
    state = "busy" if busy else "idle"
    print(f"\n{state}: fit + transform against libimagequant", flush=True)
    with context:
        for n_colors in N_COLORS:
            against_liq, against_serial = {}, {}
            for name, image in images.items():
                mine = timed(lambda: ours(image, n_colors), repeats)
                theirs = timed(lambda: libimagequant(image, n_colors), repeats)
                against_liq[name] = mine / theirs
                if busy:
                    serial = timed(lambda: ours(image, n_colors, 1), repeats)
                    against_serial[name] = mine / serial
                print(
                    f"    K={n_colors} {name}: {mine * 1e3:.0f} ms, libimagequant "
                    f"{theirs * 1e3:.0f} ms",
                    flush=True,
                )
            target = 1.0 if busy else 0.6
            _ratio_rows(
                table,
                f"{state} K={n_colors}: time / libimagequant",
                against_liq,
                target,
            )
            if busy:
                _ratio_rows(
                    table,
                    f"busy K={n_colors}: time / one thread",
                    against_serial,
                    1.1,
                )


@contextmanager
def _nothing():
    yield


@contextmanager
def _environment_kept():
    """``os.environ`` as it was on entry, on exit: distributed's nannies set
    ``OMP_NUM_THREADS=1`` in this process for their workers and leave it, and
    the sections after Dask would start their new processes with it (the cold
    start then ran on one thread, without the helper that compiles ahead)."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class _NoOpEstimator(BaseEstimator):
    """Takes ``n_colors`` as the quantizer does and fits nothing: what is left of
    a search with it is what GridSearchCV and joblib cost around the fits."""

    def __init__(self, n_colors=8):
        self.n_colors = n_colors

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return 0.0


def _alternated(first, second, repeats):
    """Medians of ``first()`` and ``second()`` timed in turns, in alternating
    order: the machine's drift over the runs falls on both alike."""
    samples = ([], [])
    for repeat in range(repeats):
        order = (0, 1) if repeat % 2 == 0 else (1, 0)
        for which in order:
            start = time.perf_counter()
            (first, second)[which]()
            samples[which].append(time.perf_counter() - start)
    return tuple(float(np.median(times)) for times in samples)


def parallel_callers(table, images, repeats):
    """``n_jobs=-1`` against ``n_jobs=1`` for quantize_images and GridSearchCV."""
    eight = list(images.values()) + [images["flower"][:, ::-1]]
    # Four photos' pixels: each of the 12 fits takes about a tenth of a second.
    pixels = np.concatenate(
        [
            images[name].reshape(-1, 3)
            for name in ("china", "flower", "coffee", "rocket")
        ]
    )

    def batch(n_jobs):
        quantize_images(eight, n_colors=64, random_state=0, n_jobs=n_jobs)

    def search(n_jobs, estimator=None):
        GridSearchCV(
            ColorQuantizer(random_state=0) if estimator is None else estimator,
            {"n_colors": _SEARCHED_SIZES},
            cv=3,
            n_jobs=n_jobs,
        ).fit(pixels)

    for label, run in (("quantize_images 8 photos", batch), ("GridSearchCV", search)):
        run(-1)  # joblib's worker processes start, and load the kernels, once
        for state, context in (("idle", _nothing), ("busy", busy_process)):
            with context():
                serial, parallel = _alternated(lambda: run(1), lambda: run(-1), repeats)
            speedup = serial / parallel
            target = "> 1.0 (aim 1.6)" if state == "idle" else ">= 1.0"
            table.add(
                f"{label}, {state}: n_jobs=1 / n_jobs=-1",
                f"{speedup:.2f}x ({serial:.2f} s / {parallel:.2f} s)",
                target,
                speedup >= 1.0,
            )
    _search_parts(table, pixels, search, repeats)


def _search_parts(table, pixels, search, repeats):
    """Two parts of the GridSearchCV rows, for reading them: how much faster the
    search's fits and scores run on 2 threads than on 1 in this process (what
    ``n_jobs=1`` gets from the fits' own threads, and all that 2 workers could
    gain over it), and what the search costs around its fits with ``n_jobs=-1``
    over ``n_jobs=1`` (joblib's workers, with a no-op estimator)."""
    splits = list(KFold(3).split(pixels))

    def fits(n_threads):
        for n_colors in _SEARCHED_SIZES:
            for train, test in splits:
                quantizer = ColorQuantizer(
                    n_colors, random_state=0, n_threads=n_threads
                ).fit(pixels[train])
                quantizer.score(pixels[test])

    one, two = _alternated(lambda: fits(1), lambda: fits(None), repeats)
    table.add(
        "GridSearchCV's 12 fits + scores, idle: 1 thread / 2 (one process)",
        f"{one / two:.2f}x ({one:.2f} s / {two:.2f} s)",
        "(for reading the rows above)",
        None,
    )
    serial, parallel = _alternated(
        lambda: search(1, _NoOpEstimator()),
        lambda: search(-1, _NoOpEstimator()),
        repeats,
    )
    table.add(
        "GridSearchCV of a no-op estimator, idle: n_jobs=-1 - n_jobs=1",
        f"{parallel - serial:+.2f} s ({parallel:.2f} s - {serial:.2f} s)",
        "(for reading the rows above)",
        None,
    )


def dask_threads(table, images, repeats):
    try:
        import dask.array as da
        from distributed import Client, LocalCluster

        from sklearn_colorquant.dask import DaskColorQuantizer
    except ImportError:
        table.add("Dask", "not installed", 'pip install ".[dask]"', None)
        return
    rng = np.random.default_rng(0)
    crops = []
    for image in list(images.values()) * _CROPS_PER_PHOTO:
        y = rng.integers(0, image.shape[0] - _CROP + 1)
        x = rng.integers(0, image.shape[1] - _CROP + 1)
        crops.append(image[y : y + _CROP, x : x + _CROP])
    stack = np.stack(crops)
    # Both clusters up at once and their runs taken in turns, in alternating
    # order: the machine's drift over a run falls on both sides alike.
    with _environment_kept(), contextlib.ExitStack() as stack_of_clusters:
        clients = {}
        for threads in (1, 2):
            cluster = stack_of_clusters.enter_context(
                LocalCluster(
                    n_workers=1,
                    threads_per_worker=threads,
                    processes=True,
                    dashboard_address=None,
                )
            )
            client = stack_of_clusters.enter_context(
                Client(cluster, set_as_default=False)
            )
            with client.as_current():
                chunks = (_CROPS_PER_CHUNK, _CROP, _CROP, 3)
                array = da.from_array(stack, chunks=chunks).persist()
            clients[threads] = (client, array)

        def run(threads):
            client, array = clients[threads]
            with client.as_current():
                quantizer = DaskColorQuantizer(ColorQuantizer(64, random_state=0))
                quantizer.fit(array).transform(array).compute()

        for threads in (1, 2):
            run(threads)  # warm
        one, two = _alternated(lambda: run(1), lambda: run(2), 2 * repeats)
    ratio = two / one
    table.add(
        "Dask LocalCluster: 2 threads per worker / 1",
        f"{ratio:.2f} ({two:.2f} s / {one:.2f} s)",
        "<= 1.0",
        ratio <= 1.0,
    )


_COLD_CHILD = textwrap.dedent(
    """
    import numpy as np
    from sklearn.datasets import load_sample_image
    from sklearn_colorquant import ColorQuantizer
    pixels = load_sample_image("china.jpg").reshape(-1, 3)
    ColorQuantizer(64, random_state=0).fit(pixels).transform(pixels)
    """
)


_OURS_IMPORT = "from sklearn_colorquant import ColorQuantizer"
_THEIRS_IMPORT = "from sklearn.cluster import KMeans"


def _wall(arguments, env=None):
    start = time.perf_counter()
    subprocess.run(arguments, check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def _wait_for_compile_ahead(timeout=60.0):
    """Until the helper that the cold child started has exited: it may finish
    a kernel after the child is done, and it writes to the cache being timed
    and then removed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            helpers = [
                pid
                for pid in os.listdir("/proc")
                if pid.isdigit()
                and b"sklearn_colorquant._compile_ahead"
                in _read_bytes(f"/proc/{pid}/cmdline")
            ]
        except OSError:  # no /proc: give it the time a kernel takes
            time.sleep(5.0)
            return
        if not helpers:
            return
        time.sleep(0.1)


def _read_bytes(path):
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:  # the process has gone
        return b""


def cold_start(table, repeats):
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold = _wall([sys.executable, "-c", _COLD_CHILD], env)
        _wait_for_compile_ahead()
        warm = _wall([sys.executable, "-c", _COLD_CHILD], env)
    table.add(
        "cold start: fit + transform china K=64, empty Numba cache, new process",
        f"{cold:.1f} s (warm: {warm:.1f} s)",
        "<= 8 s",
        cold <= 8.0,
    )
    ours_import = np.median(
        [_wall([sys.executable, "-c", _OURS_IMPORT]) for _ in range(repeats)]
    )
    theirs = np.median(
        [_wall([sys.executable, "-c", _THEIRS_IMPORT]) for _ in range(repeats)]
    )
    table.add(
        "import ColorQuantizer / import KMeans (new processes)",
        f"{ours_import / theirs:.2f} ({ours_import:.2f} s / {theirs:.2f} s)",
        "<= 1.5",
        ours_import / theirs <= 1.5,
    )


def _psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0**2 / mse)


def quality(table, images, seeds=(0, 1, 2)):
    print("\nquality: PSNR gap to KMeans on all pixels", flush=True)
    for n_colors in N_COLORS:
        gaps = {}
        for name, image in images.items():
            pixels = image.reshape(-1, 3)
            kmeans = KMeans(n_colors, random_state=0).fit(pixels / 255.0)
            reference = np.rint(kmeans.cluster_centers_[kmeans.labels_] * 255)
            reference_psnr = _psnr(pixels, reference)
            for seed in seeds:
                quantized = ours(image, n_colors, random_state=seed)
                gaps[name, seed] = _psnr(image, quantized) - reference_psnr
            print(
                f"    K={n_colors} {name}: KMeans {reference_psnr:.2f} dB, gaps "
                + " ".join(f"{gaps[name, seed]:+.2f}" for seed in seeds),
                flush=True,
            )
        (worst_name, worst_seed), worst = min(gaps.items(), key=lambda item: item[1])
        median = float(np.median(list(gaps.values())))
        table.add(
            f"K={n_colors}: worst PSNR gap to KMeans (3 seeds)",
            f"{worst:+.2f} dB ({worst_name}, seed {worst_seed})",
            ">= -0.10 dB",
            worst >= -0.1,
        )
        table.add(
            f"K={n_colors}: median PSNR gap to KMeans",
            f"{median:+.3f} dB",
            ">= 0.00 dB",
            median >= 0.0,
        )


_MEMORY_CHILD = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_sample_image
    from sklearn_colorquant import ColorQuantizer
    megapixels = float(sys.argv[1])
    china = Image.fromarray(load_sample_image("china.jpg"))
    scale = (megapixels * 1e6 / (china.width * china.height)) ** 0.5
    size = (round(china.width * scale), round(china.height * scale))
    pixels = np.asarray(china.resize(size, Image.Resampling.LANCZOS)).reshape(-1, 3)
    ColorQuantizer(256, random_state=0).fit(pixels).transform(pixels)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    """
)


def memory(table, megapixels=12.0):
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(megapixels)],
        capture_output=True,
        text=True,
        check=True,
    )
    peak = float(result.stdout.split()[-1])
    table.add(
        f"peak memory, {megapixels:.0f} MP image at K=256 (new process)",
        f"{peak:.0f} MiB",
        "< 1024 MiB",
        peak < 1024,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=SECTIONS)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    images = photos()
    ours(images["china"], 16)  # loads the compiled kernels
    table = Table()
    print(f"{os.cpu_count()} CPUs; sections: {' '.join(args.sections)}")
    if "idle" in args.sections:
        idle_and_busy(table, images, args.repeats, busy=False)
    if "busy" in args.sections:
        idle_and_busy(table, images, args.repeats, busy=True)
    if "callers" in args.sections:
        parallel_callers(table, images, args.repeats)
    if "dask" in args.sections:
        dask_threads(table, images, args.repeats)
    if "cold" in args.sections:
        cold_start(table, args.repeats)
    if "quality" in args.sections:
        quality(table, images)
    if "memory" in args.sections:
        memory(table)
    table.print()
    return table


if __name__ == "__main__":
    main()
