"""`python -m bench [--smoke] [--json PATH] [--figures 1,2,...] [--browser-tokens N]`.

Starts the paced upstream and the daphne servers it needs (on 127.0.0.1, on fresh
databases), runs the figures, prints the table and writes the JSON. Everything it starts,
it stops. Exit status 1 if a figure failed or a token was lost or reordered; a missed aim
is reported in the table, not as a failure.
"""

import argparse
import asyncio
import dataclasses
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playground.execution.coalescer import FRAME_INTERVAL

from . import report
from .figures import FIGURES, FULL, SAVE_INTERVAL, SMOKE, Bench, run_figure
from .servers import REPO, Servers, Upstream

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/playground"


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="every figure at a tiny size")
    parser.add_argument("--json", default=str(REPO / "bench-results.json"), help="output file")
    parser.add_argument("--figures", default=",".join(FIGURES), help="e.g. 1,2,4")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PG_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server to create (and drop) figure 7's database on",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir (daphne logs)")
    parser.add_argument(
        "--browser-tokens",
        type=int,
        help="figure 10's run length (default 20,000; 3,000 to 5,000 for a quick look)",
    )
    return parser.parse_args(argv)


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return ""
    return commit + ("+changes" if dirty else "")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _run(bench: Bench, keys: list[str]):
    figures = []
    for key in keys:
        _say(f"figure {key}: {FIGURES[key][0]} ...")
        figure = await run_figure(bench, key)
        _say(
            f"figure {key}: done in {figure.seconds:.0f} s"
            + (f" ({figure.error})" if figure.error else "")
        )
        figures.append(figure)
    return figures


def main(argv=None) -> int:
    args = _arguments(argv)
    sizes = SMOKE if args.smoke else FULL
    if args.browser_tokens:
        sizes = dataclasses.replace(sizes, browser_tokens=args.browser_tokens)
    keys = [key.strip() for key in args.figures.split(",") if key.strip()]
    unknown = [key for key in keys if key not in FIGURES]
    if unknown:
        raise SystemExit(f"Unknown figures: {', '.join(unknown)} (there are {', '.join(FIGURES)})")
    # daphne's command line comes from the settings (tests/support/live_daphne.py).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    workdir = Path(tempfile.mkdtemp(prefix="playground-bench-"))
    upstream = Upstream()
    servers = None
    try:
        upstream.start()
        servers = Servers(workdir, args.postgres_url)
        bench = Bench(sizes, upstream, servers)
        figures = asyncio.run(_run(bench, keys))
    finally:
        if servers is not None:
            servers.close()
        upstream.stop()
        if args.keep:
            _say(f"work dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    meta = {
        "mode": "smoke" if args.smoke else "full",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "sizes": dataclasses.asdict(sizes),
        "frame_interval_s": FRAME_INTERVAL,
        "save_interval_s_in_figure_7": float(SAVE_INTERVAL),
        "command": "python -m bench" + (" --smoke" if args.smoke else ""),
    }
    results = report.as_json(figures, meta)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(report.table(figures, sizes.repetitions))
    print()
    for figure in figures:
        if extra := report.levels_table(figure):
            by = "length" if figure.key == "8" else "level"
            print(f"Figure {figure.key} by {by} (medians):\n{extra}\n")
    print(report.notes(figures))
    print(f"\nJSON: {args.json}")
    failed = results["errors"] or results["tokens_lost"] or results["tokens_reordered"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
