"""Cold import of each handler module in a fresh interpreter, against `import boto3` in the same run."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from bench.rows import Row
from infra.wiring import WIRING

ROOT = Path(__file__).resolve().parent.parent
RUNS = 9
_PROBE = "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"


def _median_seconds(statement: str) -> float:
    # Bytecode is written on the warm-up run, as the Lambda layer ships it precompiled (make layer).
    env = {
        "PYTHONPATH": f"{ROOT / 'layers/common/python'}:{ROOT}",
        "TABLE_NAME": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PATH": "/usr/bin:/bin",
    }
    samples = []
    for _ in range(RUNS + 1):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE.format(statement=statement)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        ).stdout
        samples.append(float(out.strip().splitlines()[-1]))
    return statistics.median(samples[1:])


def measure() -> list[Row]:
    boto3_seconds = _median_seconds("import boto3")
    rows = [Row("import.boto3.ms", round(boto3_seconds * 1000, 1), "ms")]
    for function in WIRING.functions:
        module = function.handler.rsplit(".", 1)[0]
        seconds = _median_seconds(f"import {module}")
        rows.append(Row(f"import.{function.name}.ms", round(seconds * 1000, 1), "ms"))
        rows.append(Row(f"import.{function.name}.ratio_to_boto3", round(seconds / boto3_seconds, 2), "ratio"))
    # The reports function as it compiles: its handler and the Parquet writer (pyarrow) it loads then.
    seconds = _median_seconds("import functions.reports.app, contactcenter.report_parquet")
    note = "handler + contactcenter.report_parquet (pyarrow), loaded on the first compilation"
    rows.append(Row("import.reports_with_parquet.ms", round(seconds * 1000, 1), "ms", note))
    rows.append(Row("import.reports_with_parquet.ratio_to_boto3", round(seconds / boto3_seconds, 2), "ratio", note))
    return rows
