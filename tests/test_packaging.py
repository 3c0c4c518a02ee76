"""What pyproject.toml declares is what CI installs and tests."""

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).parents[1]


def _pins():
    pins = {}
    for line in (ROOT / ".ci" / "oldest-versions.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def test_the_oldest_job_pins_each_declared_minimum():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    for requirement in project["dependencies"]:
        name, minimum = requirement.split(">=")
        assert pins[name.lower()] == minimum, (
            f"pyproject.toml declares {requirement}; .ci/oldest-versions.txt pins "
            f"{name}=={pins.get(name.lower())}: the oldest job must test the minimum"
        )


def test_the_package_imports_its_public_names_on_first_use():
    """``import sklearn_colorquant`` loads neither scikit-learn nor
    scikit-image; every public name is there when asked for."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, sklearn_colorquant; "
            "print(sorted({'sklearn', 'skimage', 'scipy'} & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"

    import sklearn_colorquant

    for name in sklearn_colorquant.__all__:
        assert getattr(sklearn_colorquant, name) is not None
        assert name in dir(sklearn_colorquant)
    with pytest.raises(AttributeError, match="no attribute 'ColourQuantizer'"):
        sklearn_colorquant.ColourQuantizer  # noqa: B018


def test_the_command_line_runs_without_scikit_learn(tmp_path):
    """``colorquant quantize`` runs on NumPy, Pillow and the compiled core: it
    imports neither scikit-learn, scikit-image, SciPy nor joblib."""
    import subprocess
    import sys

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(60, 80, 3), dtype=np.uint8)
    Image.fromarray(image).save(tmp_path / "noise.png")
    script = (
        "import sys\n"
        "from sklearn_colorquant._cli import main\n"
        f"code = main(['quantize', {str(tmp_path / 'noise.png')!r}, '-k', '16', "
        f"'-o', {str(tmp_path / 'out')!r}, '-q', '--dither', 'floyd-steinberg'])\n"
        "heavy = {'sklearn', 'skimage', 'scipy', 'joblib'} & set(sys.modules)\n"
        "print(code, sorted(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "0 []", done.stderr
    with Image.open(tmp_path / "out" / "noise.png") as written:
        assert written.mode == "P"
        assert len(written.getcolors()) <= 16


def _meson_list(text, start):
    """The quoted names of the list that follows ``start`` in a meson.build."""
    block = text[text.index(start) :]
    block = block[block.index("[") + 1 : block.index("]")]
    return {name.strip().strip("'") for name in block.split(",") if name.strip()}


def test_meson_build_installs_every_module():
    """A module missing from meson.build would be missing from the installed
    package, though the source tree has it."""
    text = (ROOT / "sklearn_colorquant" / "meson.build").read_text()
    package = ROOT / "sklearn_colorquant"
    assert _meson_list(text, "py.install_sources(") == {
        path.name for path in package.glob("*.py")
    }
    assert _meson_list(text, "foreach kernel") == {
        path.stem for path in package.glob("*.pyx")
    }
