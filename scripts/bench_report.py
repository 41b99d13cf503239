"""The benchmark's outputs: a Markdown table and a PNG chart (matplotlib), from its results."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def write_markdown(results: Any, path: Path, *, smoke: bool) -> str:
    m = results.machine
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (scripts/bench.py); numbers are this machine's, this run's."
        + (" **Smoke run: too short to mean anything.**" if smoke else ""),
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['system']}, Python {m['python']}",
        f"- Run: {m['date']}; one uvicorn worker (uvloop, httptools) pinned to core 0, wrk "
        "(one thread) pinned to core 1; medians of alternated runs",
        "",
        "## Hot paths against the bare framework",
        "",
        "| case | connections | errcat req/s | p50 ms | p99 ms | reference | ref req/s "
        "| ref p99 ms | ratio |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for c in results.cases:
        lines.append(
            f"| {c['case']} | {c['connections']} | {c['rps']:.0f} | {c['p50']:.2f} "
            f"| {c['p99']:.2f} | {c['ref']} | {c['ref_rps']:.0f} | {c['ref_p99']:.2f} "
            f"| {c['ratio']:.2f}x |"
        )
    lines += [
        "",
        "The references run on stock uvicorn (uvloop, httptools); errcat runs on its own HTTP "
        "protocol, uvicorn's httptools protocol with errcat's edge limits and coalesced writes "
        "(app/server.py). Rows against *the same on errcat's protocol* compare the lookups with "
        "the lookup reference served by that protocol too: the lead that is not the protocol's. "
        "`POST /observations` answers once its batch is committed to SQLite (a group commit: one "
        "fsync for the requests that arrive together); its reference only decodes the envelope.",
        "",
        "The adversarial row posts 64 KiB bodies built to make a backtracking regex engine "
        "quadratic (a keyword, then a run of spaces, tabs, digits, quotes, brackets or colons: "
        "scripts/bench_adversarial.py) to the same errcat as a plain 64 KiB body: its ratio is "
        "their req/s over the plain body's (target: at least 0.33x, i.e. at most 3x slower).",
        "",
        "## Catalogue size",
        "",
        "| codes | lookups req/s | p99 ms | p99 ms during a reload | seed SQLite s "
        "| seed PostgreSQL s | start-up s | RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in results.sizes:
        lines.append(
            f"| {s['codes']:,} ({s['size']}) | {s['rps']:.0f} | {s['p99']:.2f} "
            f"| {_fmt(s['reload_p99'], '.2f')} | {s['seed_sqlite']:.2f} "
            f"| {_fmt(s['seed_postgres'], '.2f')} | {s['startup']:.2f} | {s['rss_mb']:.0f} |"
        )
    lines += [
        "",
        "p99 during a reload: the median of runs within each of which the server "
        "(RELOAD_INTERVAL=2) loads a grown revision, seeded just before the run (a seeder "
        "beside wrk on its core delays wrk's own reading of latencies); the revision served "
        "just before and just after each run shows the load fell inside it (n/a: it never did).",
        "",
        "![throughput and p99 against catalogue size](benchmark.png)",
        "",
    ]
    text = "\n".join(lines)
    path.write_text(text)
    return text


def write_chart(results: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [s["codes"] for s in results.sizes]
    fig, left = plt.subplots(figsize=(7, 4), dpi=100)
    left.plot(sizes, [s["rps"] for s in results.sizes], "o-", color="tab:blue")
    left.set_xscale("log")
    left.set_xlabel("codes in the catalogue")
    left.set_ylabel("GET /codes/{code} req/s", color="tab:blue")
    left.set_ylim(bottom=0)
    right = left.twinx()
    right.plot(sizes, [s["p99"] for s in results.sizes], "s--", color="tab:red", label="p99")
    right.plot(
        sizes,
        [s["reload_p99"] if s["reload_p99"] is not None else float("nan") for s in results.sizes],
        "^:",
        color="tab:orange",
        label="p99 during a reload",
    )
    right.set_ylabel("p99 latency, ms", color="tab:red")
    right.set_ylim(bottom=0)
    right.legend(loc="lower left")
    left.set_title(f"errcat lookups by catalogue size ({results.machine['date']})")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
