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
- start-up: the first fit + transform of china.jpg at K=64 in a new process
  against the second in it (nothing compiles at run time); ``import
  sklearn_colorquant`` and ``ColorQuantizer`` against ``import sklearn.base``
  (new processes, alternated); ``colorquant quantize`` against ``pngquant``
  (2.17 here; not shipped, so a row says when it is missing), alternated, on
  china.jpg resized to 0.4 MP at 64 colors (wall, median and worst of
  ``--repeats`` runs, and peak memory) and enlarged to 32 MP at 256 (wall and
  peak memory of each process, from ``wait4``);
- quality: PSNR gap to scikit-learn's ``KMeans`` on all pixels (seed 0), worst
  over seeds 0, 1, 2 and photos, and median over them;
- memory: peak memory of a new process that fits and transforms a 12 MP image
  at K=256.

``--sections`` runs some parts only, for example ``--sections idle busy``.
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

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
SECTIONS = ("idle", "busy", "callers", "dask", "start", "quality", "memory")


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


# A first and a second fit + transform in one new process, after the import.
_FIRST_AND_SECOND_CHILD = textwrap.dedent(
    """
    import time
    from sklearn.datasets import load_sample_image
    from sklearn_colorquant import ColorQuantizer
    pixels = load_sample_image("china.jpg").reshape(-1, 3)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        ColorQuantizer(64, random_state=0).fit(pixels).transform(pixels)
        times.append(time.perf_counter() - start)
    print(*times)
    """
)
_OURS_IMPORT = "import sklearn_colorquant; sklearn_colorquant.ColorQuantizer"
_THEIRS_IMPORT = "import sklearn.base"


# Starts a command and reports its wall time and peak memory. A child's peak
# (ru_maxrss) starts from its parent's at fork and survives exec, so the command
# is started by this small process, not by the benchmark with its photos.
_LAUNCHER = textwrap.dedent(
    """
    import json, os, subprocess, sys, time
    start = time.perf_counter()
    process = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    sys.stdout.write(output.decode())
    print(json.dumps({"wall": wall, "peak_mib": usage.ru_maxrss / 1024,
                      "code": os.waitstatus_to_exitcode(status)}))
    """
)


def _run(arguments):
    """Wall time (s), peak resident memory (MiB) and output of a new process."""
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *arguments],
        capture_output=True,
        text=True,
        # Outside the source tree, whose package (uncompiled) would shadow the
        # installed one for ``python -c``.
        cwd=tempfile.gettempdir(),
    )
    *output, measured = done.stdout.splitlines() or [""]
    try:
        measured = json.loads(measured)
    except json.JSONDecodeError:
        raise RuntimeError(f"{arguments[:2]}: {done.stderr[-2000:]}") from None
    if measured["code"]:
        raise RuntimeError(
            f"{arguments[:2]} exited with {measured['code']}: {done.stderr[-2000:]}"
        )
    return measured["wall"], measured["peak_mib"], "\n".join(output)


def _colorquant(source, target, n_colors):
    """The console script the user types, from this interpreter's environment."""
    script = os.path.join(os.path.dirname(sys.executable), "colorquant")
    return [
        script, "quantize", str(source), "-k", str(n_colors), "-o", str(target),
        "-f", "-q",
    ]  # fmt: skip


def _pngquant(source, target, n_colors):
    return [
        "pngquant", str(n_colors), "--force", "--output", str(target / "out.png"),
        str(source),
    ]  # fmt: skip


def _photo_file(folder, name, megapixels):
    """china.jpg enlarged (or reduced) to ``megapixels`` with Lanczos, as a PNG."""
    china = Image.fromarray(load_sample_image("china.jpg"))
    scale = (megapixels * 1e6 / (china.width * china.height)) ** 0.5
    size = (round(china.width * scale), round(china.height * scale))
    path = os.path.join(folder, name)
    china.resize(size, Image.Resampling.LANCZOS).save(path, compress_level=1)
    return path


def start_up(table, repeats):
    """What a new process costs: the first fit, the import, a command-line run
    on one photo and on a large one, each against its anchor."""
    print("\nstart-up: new processes", flush=True)
    extra = []
    for _ in range(repeats):
        first, second = map(
            float, _run([sys.executable, "-c", _FIRST_AND_SECOND_CHILD])[2].split()
        )
        extra.append(first - second)
    table.add(
        "first fit + transform china K=64 in a new process, minus the second",
        f"median {np.median(extra):+.2f} s, worst {max(extra):+.2f} s",
        "<= +0.5 s",
        max(extra) <= 0.5,
    )
    ours_import, theirs = [], []
    for _ in range(repeats):
        ours_import.append(_run([sys.executable, "-c", _OURS_IMPORT])[0])
        theirs.append(_run([sys.executable, "-c", _THEIRS_IMPORT])[0])
    ratio = np.median(ours_import) / np.median(theirs)
    table.add(
        "import sklearn_colorquant + ColorQuantizer / import sklearn.base",
        f"{ratio:.2f} ({np.median(ours_import):.2f} s / {np.median(theirs):.2f} s)",
        "<= 1.1",
        ratio <= 1.1,
    )
    if shutil.which("pngquant") is None:
        table.add("colorquant quantize against pngquant", "pngquant not found",
                  "pngquant on PATH", False)  # fmt: skip
        return
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        out.mkdir()
        photo = _photo_file(folder, "photo.png", 0.4)
        ours_runs, theirs_runs = [], []
        for _ in range(repeats):  # alternated, so that both meet the same machine
            ours_runs.append(_run(_colorquant(photo, out, 64)))
            theirs_runs.append(_run(_pngquant(photo, out, 64)))
        ours_wall = [run[0] for run in ours_runs]
        theirs_wall = np.median([run[0] for run in theirs_runs])
        ratios = [wall / theirs_wall for wall in ours_wall]
        table.add(
            "colorquant quantize -k 64, 0.4 MP photo / pngquant 64 (wall)",
            f"median {np.median(ratios):.2f}, worst {max(ratios):.2f} "
            f"({np.median(ours_wall):.2f} s / {theirs_wall:.2f} s)",
            "median <= 1.5",
            np.median(ratios) <= 1.5,
        )
        peak = max(run[1] for run in ours_runs)
        table.add(
            "colorquant quantize -k 64, 0.4 MP photo: peak memory",
            f"{peak:.0f} MiB (pngquant {max(r[1] for r in theirs_runs):.0f} MiB)",
            "<= 100 MiB",
            peak <= 100,
        )
        large = _photo_file(folder, "large.png", 32)
        ours_large = [_run(_colorquant(large, out, 256))]
        theirs_large = [_run(_pngquant(large, out, 256))]
        ours_large.append(_run(_colorquant(large, out, 256)))
        theirs_large.append(_run(_pngquant(large, out, 256)))
        ours_wall = np.median([run[0] for run in ours_large])
        theirs_wall = np.median([run[0] for run in theirs_large])
        table.add(
            "colorquant quantize -k 256, 32 MP photo / pngquant 256 (wall)",
            f"{ours_wall / theirs_wall:.2f} ({ours_wall:.1f} s / {theirs_wall:.1f} s)",
            "<= 1.0",
            ours_wall <= theirs_wall,
        )
        ours_peak = max(run[1] for run in ours_large)
        theirs_peak = max(run[1] for run in theirs_large)
        table.add(
            "colorquant quantize -k 256, 32 MP photo / pngquant 256 (peak memory)",
            f"{ours_peak / theirs_peak:.2f} ({ours_peak:.0f} MiB / "
            f"{theirs_peak:.0f} MiB)",
            "<= 2.0",
            ours_peak <= 2 * theirs_peak,
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
        cwd=tempfile.gettempdir(),  # not the source tree: the installed package
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
    if "start" in args.sections:
        start_up(table, args.repeats)
    if "quality" in args.sections:
        quality(table, images)
    if "memory" in args.sections:
        memory(table)
    table.print()
    return table


if __name__ == "__main__":
    main()
