"""A fit in a process that may write nothing but its output: no writable home,
a read-only install (nothing is compiled, nor cached, at run time)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

# In the child: every attempt to write outside the output folder is refused, as
# a read-only file system would refuse it, and recorded.
_CHILD = textwrap.dedent(
    """
    import json, os, sys

    allowed = os.path.realpath(sys.argv[1])
    attempts = []
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    PATH_EVENTS = {"os.mkdir", "os.rename", "os.replace", "os.link", "os.symlink",
                   "os.remove", "os.rmdir", "os.chmod", "os.truncate"}

    def outside(path):
        if isinstance(path, int) or path is None:
            return False
        path = os.path.realpath(os.fsdecode(path))
        if path == os.devnull:  # subprocess's DEVNULL: no file is written
            return False
        return os.path.commonpath([path, allowed]) != allowed

    def refuse_writes(event, args):
        if event == "open":
            path, mode, flags = args
            writing = (mode is not None and any(c in mode for c in "wax+")) or (
                flags & WRITE_FLAGS
            )
            paths = [path] if writing else []
        elif event in PATH_EVENTS:
            paths = [arg for arg in args[:2] if isinstance(arg, (str, bytes))]
        else:
            return
        for path in paths:
            if outside(path):
                attempts.append(f"{event} {os.fsdecode(path)}")
                raise PermissionError(30, "Read-only file system", path)

    sys.addaudithook(refuse_writes)

    import numpy as np
    from sklearn.datasets import load_sample_image
    from sklearn_colorquant import ColorQuantizer, quantize_image
    from sklearn_colorquant._cli import main

    china = load_sample_image("china.jpg")
    pixels = china.reshape(-1, 3)
    quantizer = ColorQuantizer(64, random_state=0).fit(pixels)
    indices = quantizer.transform(pixels)
    ColorQuantizer(16, color_space="lab", random_state=0).fit(pixels[::7])
    quantize_image(china[::2, ::2], n_colors=8, dither="floyd-steinberg")
    source = os.path.join(allowed, "china.png")
    from PIL import Image
    Image.fromarray(china).save(source)
    code = main(["quantize", source, "-k", "32", "-o", os.path.join(allowed, "out"),
                 "-q"])
    print(json.dumps({"attempts": attempts, "code": code,
                      "n_colors": int(indices.max()) + 1,
                      "written": sorted(os.listdir(os.path.join(allowed, "out")))}))
    """
)


def _editable():
    import sklearn_colorquant

    return "editable" in type(sklearn_colorquant.__spec__.loader).__module__


# An editable install rebuilds the kernels, and writes its build log, when the
# package is imported: it is not a read-only install, whatever else it is.
pytestmark = pytest.mark.skipif(
    _editable(), reason="an editable install rebuilds (and writes) on import"
)


def _run_child(output, **popen):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("XDG_", "PYTHONUSERBASE"))
    }
    env.update(HOME="/nonexistent", TMPDIR=str(output), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=output,
        **popen,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_fit_writes_nothing_outside_its_output(tmp_path):
    result = _run_child(tmp_path)
    assert result["attempts"] == []
    assert result["code"] == 0
    assert result["n_colors"] == 64
    assert result["written"] == ["china.png"]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to setuid"
)
def test_a_fit_as_nobody_with_no_home(request):
    """As the user ``nobody``, for whom the install is read-only for real."""
    pwd = pytest.importorskip("pwd")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user nobody")
    import sklearn_colorquant

    package = os.path.dirname(sklearn_colorquant.__file__)
    if os.access(package, os.W_OK, effective_ids=False) and not _readable_by_others(
        package
    ):
        pytest.skip("the install is not readable by other users")
    # Not under tmp_path, which only its owner may enter.
    output = Path(tempfile.mkdtemp(prefix="colorquant-nobody-"))
    request.addfinalizer(lambda: shutil.rmtree(output, ignore_errors=True))
    os.chown(output, nobody.pw_uid, nobody.pw_gid)
    python = Path(os.path.realpath(sys.executable))
    for folder in [*output.parents, *python.parents]:
        if folder.stat().st_mode & 0o001 == 0:
            pytest.skip(f"{folder} cannot be entered by other users")

    def become_nobody():
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    result = _run_child(output, preexec_fn=become_nobody)
    assert result["attempts"] == []
    assert result["code"] == 0
    assert result["written"] == ["china.png"]


def _readable_by_others(path):
    return os.stat(path).st_mode & 0o005 == 0o005
