"""show_config / ``python -m fastact info``, and the serial (no OpenMP) build."""

import io
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np

import fastact

ROOT = pathlib.Path(__file__).resolve().parents[1]
KEYS = ("fastact", "backends", "openmp", "simd_compiled", "simd_detected", "default_threads",
        "threads_now", "usable_cpus")


def test_show_config_reports_build_and_threads():
    buf = io.StringIO()
    fastact.show_config(file=buf)
    text = buf.getvalue()
    for key in KEYS:
        assert key in text, key
    info = fastact._info.config_dict()
    assert info["fastact"] == fastact.__version__
    assert info["backends"] == ["cython", "numba", "cuda", "numpy"]  # the test extra has all
    assert isinstance(info["openmp"], bool)
    assert info["threads_now"] == fastact.get_num_threads()


def test_python_m_fastact_info():
    out = subprocess.run([sys.executable, "-m", "fastact", "info"], capture_output=True,
                         text=True, check=True)
    for key in KEYS:
        assert key in out.stdout
    bad = subprocess.run([sys.executable, "-m", "fastact", "nonsense"], capture_output=True, text=True)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr


def test_serial_build_without_openmp(tmp_path):
    """FASTACT_NO_OPENMP=1 builds serial kernels that say so and give the same results
    (baseline variant only, to keep the test short)."""
    lib, temp = tmp_path / "lib", tmp_path / "temp"
    env = {"FASTACT_NO_OPENMP": "1", "FASTACT_VARIANTS": "baseline",
           "PATH": "/usr/bin:/bin:" + str(pathlib.Path(sys.executable).parent)}
    build = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "-j", "2", "--build-lib", str(lib),
         "--build-temp", str(temp)],
        cwd=ROOT, env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    assert "Building SERIAL kernels" in build.stdout
    for py in (ROOT / "fastact").glob("*.py"):
        shutil.copy(py, lib / "fastact" / py.name)
    code = ("import numpy as np, fastact; from fastact import _buildinfo as b, _kernels; "
            "print(b.openmp_enabled(), _kernels.selected_variant()); "
            "x = np.linspace(-9, 9, 100_001).astype(np.float32); "
            "np.save('out.npy', fastact.gelu(x, n_threads=2))")
    run = subprocess.run([sys.executable, "-c", code], cwd=lib, capture_output=True, text=True,
                         env={**env, "FASTACT_SIMD": "auto"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False baseline"
    # the OpenMP build's own baseline variant (the float GELU rounds some steps apart
    # where AVX-512 fuses them, up to 3 ulp away): bitwise the same results
    omp = subprocess.run([sys.executable, "-c", code.replace("out.npy", str(tmp_path / "omp.npy"))],
                         cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "FASTACT_SIMD": "baseline"})
    assert omp.returncode == 0, omp.stderr
    assert omp.stdout.strip().endswith("baseline")
    np.testing.assert_array_equal(np.load(lib / "out.npy"), np.load(tmp_path / "omp.npy"))
