"""Tables (terminal and Markdown), JSON and PNG charts from benchmark results."""

from __future__ import annotations

import collections
import json
import os
import platform

import numpy as np

COMPETITORS = ("numpy", "torch", "onnxruntime", "numexpr", "scipy", "fastact-numba",
               "fastact-numpy")
OWN_BACKENDS = ("fastact-numba", "fastact-numpy")  # compared, never "the best peer"


def _shape_label(shape):
    if len(shape) == 1:
        n = shape[0]
        return f"{n / 1e6:g}M" if n >= 1e6 else (f"{n / 1e3:g}k" if n >= 1e3 else str(n))
    return "x".join(str(s) for s in shape)


def rows(results, primary="fastact-cython"):
    """One row per (op, direction, shape, threads): fastact's figures and speed-ups."""
    groups = collections.OrderedDict()
    for r in results.records:
        groups.setdefault((r.op, r.direction, r.shape, r.threads), {})[r.impl] = r
    out = []
    for (op, d, shape, t), impls in groups.items():
        fa = impls.get(primary)
        if fa is None:
            continue
        gbs = fa.bytes / fa.median_s / 1e9
        limit = fa.limit_GBps or results.limit.get(t, (None, None))[1]
        speedups = {k: impls[k].median_s / fa.median_s for k in COMPETITORS if k in impls}
        peers_only = {k: v for k, v in speedups.items() if k not in OWN_BACKENDS}
        best = min(peers_only, key=lambda k: peers_only[k]) if peers_only else None
        out.append({
            "op": op, "direction": d, "shape": shape, "threads": t,
            "ns_per_element": fa.median_s / fa.size * 1e9,
            "min_ns_per_element": fa.min_s / fa.size * 1e9,
            "us_per_call": fa.median_s * 1e6,
            "GBps": gbs, "pct_limit": 100 * gbs / limit if limit else None,
            "speedups": speedups, "best_peer": best,
        })
    return out


def _fmt_speedups(row, columns, marker):
    cells = []
    for c in columns:
        v = row["speedups"].get(c)
        if v is None:
            cells.append("–")
        else:
            cells.append(f"{v:.2f}x" + (marker if c == row["best_peer"] else ""))
    return cells


def table(results, markdown=False):
    rs = rows(results)
    present = [c for c in COMPETITORS if any(c in r["speedups"] for r in rs)]
    head = ["op", "dir", "size", "thr", "ns/elem", "min ns", "GB/s", "% limit", "µs/call"] + [
        f"vs {c}" for c in present]
    lines = []
    body = []
    for r in rs:
        pct = "–" if r["pct_limit"] is None else f"{r['pct_limit']:.0f}%"
        body.append([r["op"], r["direction"], _shape_label(r["shape"]), str(r["threads"]),
                     f"{r['ns_per_element']:.3f}", f"{r['min_ns_per_element']:.3f}",
                     f"{r['GBps']:.1f}", pct,
                     f"{r['us_per_call']:.1f}"] + _fmt_speedups(r, present, "*"))
    if markdown:
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        lines += ["| " + " | ".join(b) + " |" for b in body]
    else:
        widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
                  for i, h in enumerate(head)]
        lines.append("  ".join(h.rjust(w) for h, w in zip(head, widths)))
        lines += ["  ".join(c.rjust(w) for c, w in zip(b, widths)) for b in body]
    return "\n".join(lines)


def _adjacent_note(results):
    """The spread of the limits re-measured next to the DRAM-sized cases, if any."""
    near = collections.defaultdict(list)
    for r in results.records:
        if r.limit_GBps:
            near[r.threads].append(r.limit_GBps)
    if not near:
        return ""
    spread = ", ".join(f"{t} thread{'s' if t > 1 else ''} {min(v):.1f}–{max(v):.1f} GB/s"
                       for t, v in sorted(near.items()))
    return (f"; arrays past the L3 (≥ 32 MiB) are held to the limit re-measured right after "
            f"their case ({spread})")


def footer(results):
    m = results.meta
    lim = ", ".join(f"{t} thread{'s' if t > 1 else ''}: {v[0]:.3f} ns/elem = {v[1]:.1f} GB/s"
                    for t, v in sorted(results.limit.items()))
    peers = ", ".join(f"{k} {v}" for k, v in m.get("peer_versions", {}).items()) or "none"
    lines = [
        f"ns/elem and speed-ups from medians, min ns from the fastest sample; "
        f"speed-up = other time / fastact time; * = the fastest competitor; "
        f"% limit = (bytes read + written)/time vs the in-place read-modify-write "
        f"bandwidth of a streaming scale kernel measured in this run, its input restored "
        f"before each call as every case's is ({lim})" + _adjacent_note(results),
        f"CPU: {m.get('cpu')}; kernel variant: {m.get('variant')}; usable CPUs: {m.get('cpus')}; "
        f"dtype {m.get('dtype')}"
        + ("; a CPU-burning neighbour process ran throughout (--neighbour)" if m.get("neighbour") else ""),
        f"fastact {m.get('fastact')}, numpy {m.get('numpy')}, python {m.get('python')}; "
        f"peers: {peers}; absent: {', '.join(results.absent) or 'none'}",
        f"NumPy and SciPy run on one thread (their time is reused for every thread count); "
        f"command: {m.get('command')}; {m.get('date')}",
    ]
    return lines


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_json(results, path):
    with open(path, "w") as fh:
        json.dump(results.as_json(), fh, indent=1, default=list)


def write_markdown(results, path):
    with open(path, "w") as fh:
        fh.write(table(results, markdown=True) + "\n\n")
        fh.write("\n".join(f"- {line}" for line in footer(results)) + "\n")


def plot(results, path):
    """Throughput vs size per op (with the bandwidth limit as a line) and bars of the
    speed-ups at the largest size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import _registry as reg

    rs = rows(results)
    # identity in place writes nothing (the compiler drops the copy): not a throughput
    elementwise = [r for r in rs if len(r["shape"]) == 1 and r["direction"] == "fwd"
                   and r["op"] != "identity"]
    threads = sorted({r["threads"] for r in rs})

    def work(op):
        name = "gelu" if op.startswith("gelu") else op
        return reg.SPECS[name].work if name in reg.SPECS else reg.TRANSCENDENTAL

    fig, axes = plt.subplots(1, 3, figsize=(19, 6))
    for ax, kind, title in ((axes[0], reg.CHEAP, "compare/select ops"),
                            (axes[1], reg.TRANSCENDENTAL, "transcendental ops")):
        for op in dict.fromkeys(r["op"] for r in elementwise if work(r["op"]) == kind):
            for t in threads:
                pts = sorted((r["shape"][0], r["GBps"]) for r in elementwise
                             if r["op"] == op and r["threads"] == t)
                if pts:
                    ax.plot(*zip(*pts), marker="o", ls="-" if t == threads[-1] else ":",
                            label=f"{op} {t}T")
        for t in threads:
            lim = results.limit[t][1]
            ax.axhline(lim, color="k", ls="--" if t == threads[-1] else ":", lw=1)
            ax.text(0.01, lim * 1.01, f"bandwidth limit {t}T", fontsize=8,
                    transform=ax.get_yaxis_transform())
        ax.set_xscale("log")
        ax.set_xlabel("elements")
        ax.set_ylabel("GB/s (bytes read + written / time)")
        ax.set_title(f"fastact forward in place: {title}")
        ax.legend(fontsize=6, ncol=2)
    ax = axes[2]
    big = [r for r in rs if r["threads"] == threads[-1] and r["direction"] == "fwd"
           and r["op"] != "identity"
           and (len(r["shape"]) > 1 or r["shape"][0] == max(x["shape"][0] for x in elementwise))]
    labels = [f"{r['op']} {_shape_label(r['shape'])}" for r in big]
    comps = [c for c in COMPETITORS if c != "fastact-numpy" and any(c in r["speedups"] for r in big)]
    width = 0.8 / max(len(comps), 1)
    for i, c in enumerate(comps):
        vals = [r["speedups"].get(c, np.nan) for r in big]
        ax.bar(np.arange(len(big)) + i * width, vals, width, label=f"vs {c}")
    ax.axhline(1.0, color="k", lw=1)
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(big)) + 0.4 - width / 2)
    ax.set_xticklabels(labels, rotation=70, fontsize=7)
    ax.set_ylabel("speed-up of fastact (other time / fastact time)")
    ax.set_title(f"forward at the largest size, {threads[-1]} thread(s)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
