"""`python -m fastact bench` (tiny sizes, no peers: a check of the tool, not timing)
and bench/report.py."""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _bench(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "fastact", "bench", *args], cwd=cwd,
                          capture_output=True, text=True, env=env)


def test_bench_runs_and_writes_json_markdown_plot(tmp_path):
    j, m, png = tmp_path / "r.json", tmp_path / "r.md", tmp_path / "r.png"
    run = _bench("--ops", "relu,gelu(tanh),softmax", "--sizes", "1000,5000", "--shapes", "4x8",
                 "--threads", "1,2", "--budget", "0.005", "--peers", "scipy", "--backends",
                 "cython,numba,numpy", "--no-progress", "--json", str(j), "--markdown", str(m),
                 "--plot", str(png))
    assert run.returncode == 0, run.stderr
    assert "vs numpy" in run.stdout and "% limit" in run.stdout and "command: python -m fastact bench" in run.stdout
    assert "vs fastact-numba" in run.stdout
    data = json.loads(j.read_text())
    assert set(data["bandwidth_limit"]) == {"1", "2"}
    impls = {(r["op"], r["direction"], r["impl"]) for r in data["records"]}
    for op in ("relu", "gelu(tanh)"):
        for d in ("fwd", "der", "bwd"):
            assert (op, d, "fastact-cython") in impls and (op, d, "fastact-numpy") in impls
            assert (op, d, "fastact-numba") in impls
            assert (op, d, "numpy") in impls
    assert ("softmax", "fwd", "scipy") in impls and ("softmax", "bwd", "numpy") in impls
    assert all(r["median_s"] > 0 and r["min_s"] <= r["median_s"] for r in data["records"])
    assert m.read_text().startswith("| op |")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the README section generator on that run
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- bench -->\nold\n<!-- /bench -->\nmid\n"
                      "<!-- bench-avx2 -->\nsection-two\n<!-- /bench-avx2 -->\nend\n")
    rep = subprocess.run([sys.executable, "bench/report.py", str(j), "--readme", str(readme)],
                         cwd=ROOT, capture_output=True, text=True)
    assert rep.returncode == 0, rep.stderr
    text = readme.read_text()
    assert "old" not in text and "| relu | fwd |" in text and text.endswith("end\n")
    assert "![fastact benchmark]" in text and "\nsection-two\n" in text
    # a second section, by its marker, without a chart; the first stays as it was
    rep = subprocess.run([sys.executable, "bench/report.py", str(j), "--readme", str(readme),
                          "--marker", "bench-avx2", "--chart", ""],
                         cwd=ROOT, capture_output=True, text=True)
    assert rep.returncode == 0, rep.stderr
    second = readme.read_text()
    assert "section-two" not in second and second.count("| relu | fwd |") == 2
    assert second.count("![fastact benchmark]") == 1
    assert second.split("mid\n")[0] == text.split("mid\n")[0]


def test_bench_refuses_bad_arguments():
    bad = _bench("--ops", "relu7", "--no-progress")
    assert bad.returncode == 2 and "unknown ops: relu7" in bad.stderr
    bad = _bench("--peers", "tensorflow", "--no-progress")
    assert bad.returncode == 2 and "unknown tensorflow" in bad.stderr
    bad = _bench("--backends", "fortran", "--no-progress")
    assert bad.returncode == 2 and "--backends" in bad.stderr


def test_bench_with_a_busy_neighbour(tmp_path):
    j = tmp_path / "n.json"
    run = _bench("--ops", "relu", "--sizes", "1000", "--directions", "fwd", "--threads", "1",
                 "--budget", "0.005", "--peers", "none", "--no-progress", "--neighbour",
                 "--json", str(j))
    assert run.returncode == 0, run.stderr
    assert "CPU-burning neighbour" in run.stdout
    assert json.loads(j.read_text())["meta"]["neighbour"] is True


def test_bench_cuda_backend_under_the_simulator():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    run = _bench("--backends", "cuda", "--ops", "sigmoid,prelu,softmax", "--sizes", "64",
                 "--shapes", "3x20", "--budget", "0", "--no-progress", env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "% copy" in run.stdout and "CUDA SIMULATOR" in run.stdout
    rows = [line.split()[:2] for line in run.stdout.splitlines()]
    for op in ("sigmoid", "prelu", "softmax"):
        assert [op, "fwd"] in rows and [op, "bwd"] in rows


def test_peer_accuracy_script_reports_every_implementation():
    run = subprocess.run([sys.executable, "bench/peer_accuracy.py", "--ops", "sigmoid,gelu",
                          "--sample", "12", "--peers", "scipy"], cwd=ROOT, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    rows = [[c.strip() for c in line.strip("|").split("|")]
            for line in run.stdout.splitlines() if line.startswith("| sigmoid") or line.startswith("| gelu")]
    seen = {(r[0], r[1], r[2]) for r in rows}
    for op in ("sigmoid", "gelu"):
        for inputs in ("range", "[-10, 10]"):
            assert (op, inputs, "fastact") in seen and (op, inputs, "scipy") in seen
    assert ("sigmoid", "range", "numpy") in seen  # the benchmark's NumPy idiom
    for r in rows:
        if r[2] == "fastact":  # within the README's bound, no NaN/inf mismatch
            assert float(r[3]) <= (4.0 if r[0] == "gelu" else 2.0) and r[6] == "0", r


def test_percent_of_limit_uses_the_limit_measured_next_to_the_case():
    from fastact._bench import report
    from fastact._bench.suite import Record, Results
    res = Results(limit={1: (0.1, 80.0)}, meta={})
    res.records = [Record("relu", "fwd", (16_000_000,), "float32", 1, "fastact-cython",
                          0.002, 0.002, 5, 128_000_000, "", 40.0),
                   Record("relu", "fwd", (1000,), "float32", 1, "fastact-cython",
                          1e-6, 1e-6, 5, 8000, "")]
    rows = report.rows(res)
    assert abs(rows[0]["pct_limit"] - 100 * 64.0 / 40.0) < 1e-9   # 64 GB/s vs 40 next to it
    assert abs(rows[1]["pct_limit"] - 100 * 8.0 / 80.0) < 1e-9     # vs the run's 80 GB/s
    assert "re-measured right after their case (1 thread 40.0–40.0 GB/s)" in report.footer(res)[0]
