"""`python -m bench`: run every benchmark, write bench/results.json and the table in docs/benchmarks.md."""

from __future__ import annotations

import datetime
import importlib
import json
import os
import platform
import sys
from pathlib import Path

from bench.rows import Row

ROOT = Path(__file__).resolve().parent.parent
# bench.report_end_to_end runs a local stack in this process (and leaves moto patched): it goes last.
MODULES = (
    "bench.counts",
    "bench.imports",
    "bench.cold_start",
    "bench.assignments",
    "bench.timers",
    "bench.write_units",
    "bench.hot_keys",
    "bench.rules",
    "bench.adherence",
    "bench.reports",
    "bench.push",
    "bench.console",
    "bench.report_end_to_end",
)
TABLE_START = "<!-- bench:start -->"
TABLE_END = "<!-- bench:end -->"


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    rows: list[Row] = []
    only = set(sys.argv[1:])
    for name in MODULES:
        if only and name.split(".")[-1] not in only:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            print(f"skipping {name}: not written yet", file=sys.stderr)
            continue
        print(f"measuring {name} ...", file=sys.stderr)
        rows.extend(module.measure())
    results_path = ROOT / "bench" / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else {"rows": []}
    measured = {row.name for row in rows}
    kept = [r for r in previous.get("rows", []) if r["name"] not in measured] if only else []
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": _machine(),
        "rows": sorted(kept + [row.as_json() for row in rows], key=lambda r: r["name"]),
    }
    results_path.write_text(json.dumps(result, indent=2) + "\n")
    _write_table(result)
    for row in result["rows"]:
        print(f"{row['name']:55} {row['value']:>12} {row['unit']}")


def _write_table(result: dict[str, object]) -> None:
    lines = [
        TABLE_START,
        f"Measured {result['date']} on {result['machine']} by `make bench`.",
        "",
        "| row | value | unit | note |",
        "|---|---:|---|---|",
    ]
    for row in result["rows"]:  # type: ignore[attr-defined]
        lines.append(f"| `{row['name']}` | {row['value']} | {row['unit']} | {row.get('note', '')} |")
    lines.append(TABLE_END)
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n" + TABLE_START + "\n" + TABLE_END + "\n"
    start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
    path.write_text(text[:start] + "\n".join(lines) + text[end:])


if __name__ == "__main__":
    main()
