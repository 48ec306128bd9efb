"""`make bench` cannot rot: its smoke mode runs every figure at a tiny size.

No times are asserted (this machine may be busy with other tests): only that the benchmark
completes, reports every figure, and that no token was lost or reordered on the way.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.figures import FIGURES

pytestmark = pytest.mark.subprocess

REPO = Path(__file__).resolve().parents[2]
SMOKE_TIMEOUT = 300


def test_the_benchmark_smoke_mode_reports_every_figure(tmp_path):
    results = tmp_path / "bench-results.json"
    command = [sys.executable, "-m", "bench", "--smoke", "--json", str(results)]
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        command += ["--postgres-url", database_url]

    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=SMOKE_TIMEOUT)

    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-4000:]}"
    report = json.loads(results.read_text())
    assert report["meta"]["mode"] == "smoke"
    assert set(report["figures"]) == set(FIGURES)
    for key, figure in report["figures"].items():
        assert figure["error"] == "", f"figure {key}: {figure['error']}"
        assert figure["metrics"], f"figure {key} measured nothing"
        for name, metric in figure["metrics"].items():
            assert metric["median"] is not None, f"figure {key}: no value for {name}"
        assert figure["tokens_lost"] == 0, f"figure {key} lost tokens"
        assert figure["tokens_reordered"] == 0, f"figure {key} reordered tokens"
    assert report["tokens_lost"] == report["tokens_reordered"] == 0
    # The table went to stdout, one row per metric.
    assert "added time to first token p50" in done.stdout
