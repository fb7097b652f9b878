"""Report files: a fixed history gives exactly the committed bytes (tests/golden/reports/), around both
daylight-saving days and across local midnight; the manifest and `compiledAt` rules.

Regenerate the golden files after an intended format change with UPDATE_GOLDEN=1, and read the diff.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contactcenter.attendance import day_of
from contactcenter.report_files import (
    FORMAT_VERSION,
    Compilation,
    Labels,
    ManifestFacts,
    ReportFile,
    agent_report,
    compiled_at,
    manifest_file,
    readme_file,
)
from tests.support.histories import golden_histories, golden_plans

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "reports"
ROME = ZoneInfo("Europe/Rome")
REASONS = ("BREAK", "MEETING", "BACK_OFFICE", "OTHER")
COMPILED = {
    date(2026, 3, 28): datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # a session runs on past midnight
    date(2026, 3, 29): datetime(2026, 3, 29, 22, 30, tzinfo=UTC),  # 23 hours
    date(2026, 10, 25): datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # 25 hours
}
LABELS = Labels(
    units={"north": "North Milan", "south": "=South"},  # a unit name a spreadsheet would run
    people={"sam": "Sam Rossi", "sue": "Sue Bianchi"},
    unavailable_reasons={"BREAK": "On a break", "MEETING": "In a meeting", "BACK_OFFICE": "Back-office work"},
    clock_out_reasons={"END_OF_SHIFT": "End of shift", "SICK": "Sick"},
)
EMPLOYEE_NUMBERS = {"ana": "P-0042", "ben": "00017"}  # Cy has none
HOME_UNITS = {"ana": "north", "ben": "south", "cy": "south"}


def _histories() -> list:
    return [
        replace(h, employee_number=EMPLOYEE_NUMBERS.get(h.agent_id), unit_id=HOME_UNITS[h.agent_id])
        for h in sorted(golden_histories(), key=lambda h: h.agent_id)
    ]


def _daily(day: date, *, interval_minutes: int | None = None, parquet: bool = False) -> dict[str, bytes]:
    """The day's files; Parquet left out of the golden bytes (pyarrow's version is written into them)."""
    local = day_of(day, ROME)
    plans = None if interval_minutes else golden_plans()  # adherence.csv is a daily file
    compilation = Compilation(
        ROME, REASONS, labels=LABELS, interval_minutes=interval_minutes, parquet=parquet, adherence=plans is not None
    )
    for history in _histories():
        report = agent_report(history, [local], ROME, labels=LABELS, interval_minutes=interval_minutes, plans=plans)
        compilation.add(report)
    files = compilation.files()
    kind, job = ("on_demand", "golden") if interval_minutes else ("daily", None)
    facts = ManifestFacts("acme", kind, day, day, local.start, local.end, "Europe/Rome", None, interval_minutes, job)
    files.append(readme_file(facts, files))
    manifest = manifest_file(facts, files, compiled_at=COMPILED[day])
    return {f.name: f.content for f in [*files, manifest]}


def _check_golden(folder: str, files: dict[str, bytes]) -> None:
    target = GOLDEN / folder
    if os.environ.get("UPDATE_GOLDEN"):
        target.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (target / name).write_bytes(content)
    assert sorted(p.name for p in target.iterdir()) == sorted(files)
    for name, content in files.items():
        assert content == (target / name).read_bytes(), f"{folder}/{name} differs from the golden file"


@pytest.mark.parametrize("day", sorted(COMPILED))
def test_daily_files_equal_the_golden_bytes(day: date) -> None:
    _check_golden(f"daily-{day.isoformat()}", _daily(day))


@pytest.mark.parametrize(("day", "minutes"), [(date(2026, 3, 29), 30), (date(2026, 10, 25), 60)])
def test_interval_files_equal_the_golden_bytes(day: date, minutes: int) -> None:
    files = _daily(day, interval_minutes=minutes)
    _check_golden(
        f"intervals-{day.isoformat()}-{minutes}min", {k: files[k] for k in ("intervals.csv", "manifest.json")}
    )


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def test_the_spring_day_has_23_hours_and_splits_the_night_shift_at_midnight() -> None:
    files = _daily(date(2026, 3, 29))
    manifest = json.loads(files["manifest.json"])
    assert manifest["period"]["seconds"] == 23 * 3600
    attendance = {row["agent_id"]: row for row in _rows(files["attendance.csv"])}
    ana = attendance["ana"]
    # 00:00 -> 06:00:00.999 local on a night without 02:00-03:00: five hours, booked to whole seconds.
    assert ana["clocked_seconds"] == str(5 * 3600)
    assert ana["continued"] == "true" and ana["open"] == "false"
    assert ana["first_clock_in"] == ""  # she clocked in the day before
    assert ana["last_clock_out"] == "2026-03-29T04:00:00Z"
    assert (ana["last_clock_out_local_date"], ana["last_clock_out_local_time"]) == ("2026-03-29", "06:00:00")
    assert (ana["clocked_hours"], ana["unavailable_break_hours"]) == ("5.00", "0.25")
    assert (ana["employee_number"], ana["unit_id"], ana["unit_name"]) == ("P-0042", "north", "North Milan")
    assert ana["unavailable_break_seconds"] == str(15 * 60)
    sessions = [row for row in _rows(files["sessions.csv"]) if row["agent_id"] == "ana"]
    assert [
        (s["clock_in"], s["start"], s["start_local_date"], s["start_local_time"], s["continued"]) for s in sessions
    ] == [("2026-03-28T21:00:00Z", "2026-03-28T23:00:00Z", "2026-03-29", "00:00:00", "true")]
    ben = attendance["ben"]
    assert ben["sessions"] == "2" and ben["open"] == "true"
    assert (ben["clock_out_reasons"], ben["clock_out_reason_labels"]) == ("END_OF_SHIFT", "End of shift")
    assert ben["unit_name"] == "'=South"  # a name a spreadsheet would run, neutralized


def test_the_autumn_day_has_25_hours() -> None:
    files = _daily(date(2026, 10, 25))
    assert json.loads(files["manifest.json"])["period"]["seconds"] == 25 * 3600
    attendance = {row["agent_id"]: row for row in _rows(files["attendance.csv"])}
    # 01:00+02:00 -> 04:00+01:00 is four hours; the break 02:30+02:00 -> 02:15+01:00 is 45 minutes.
    assert attendance["ana"]["clocked_seconds"] == str(4 * 3600)
    assert attendance["ana"]["unavailable_break_seconds"] == str(45 * 60)
    # 00:00+02:00 -> 07:00+01:00 is eight hours.
    assert attendance["ben"]["clocked_seconds"] == str(8 * 3600)
    actions = _rows(files["supervisor-actions.csv"])
    assert [
        (a["supervisor_id"], a["supervisor_name"], a["agent_id"], a["action"], a["reason"], a["reason_label"])
        for a in actions
    ] == [("sam", "Sam Rossi", "ana", "clock_out", "END_OF_SHIFT", "End of shift")]


def test_manifest_lists_each_file_with_rows_bytes_and_checksum() -> None:
    files = _daily(date(2026, 3, 29))
    manifest = json.loads(files["manifest.json"])
    assert manifest["formatVersion"] == FORMAT_VERSION
    assert manifest["timeZone"] == "Europe/Rome"
    assert manifest["period"] == {
        "from": "2026-03-29",
        "to": "2026-03-29",
        "start": "2026-03-29T00:00:00+01:00",
        "end": "2026-03-30T00:00:00+02:00",
        "seconds": 82800,
        "partial": False,
    }
    for listed in manifest["files"]:
        content = files[listed["name"]]
        assert listed["sha256"] == hashlib.sha256(content).hexdigest()
        assert listed["bytes"] == len(content)
        if listed["name"].endswith(".csv"):
            assert listed["rows"] == content.count(b"\n") - 1
            header = content.split(b"\n", 1)[0].decode().split(",")
            assert [column["name"] for column in listed["columns"]] == header  # the data dictionary
            assert all(set(column) == {"name", "type", "unit", "meaning"} for column in listed["columns"])
    assert "README.txt" in {listed["name"] for listed in manifest["files"]}


def test_free_text_that_a_spreadsheet_would_run_is_neutralized() -> None:
    files = _daily(date(2026, 3, 29))
    assert b"\"'=doctor, 30'\"" in files["supervisor-actions.csv"]
    ben_other = next(row for row in _rows(files["attendance.csv"]) if row["agent_id"] == "ben")
    assert ben_other["unavailable_other_seconds"] == str(30 * 60)
    text = b"".join(files.values()).decode("utf-8")
    assert "\n=" not in text and ",=" not in text


def _file(name: str, content: bytes) -> ReportFile:
    return ReportFile(name, content, 1)


def test_compiled_at_is_kept_while_the_contents_are_the_same() -> None:
    first = datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
    later = datetime(2026, 3, 30, 5, 30, tzinfo=UTC)
    files = [_file("a.csv", b"x\n1\n"), _file("b.csv", b"y\n2\n")]
    facts = ManifestFacts("acme", "daily", date(2026, 3, 29), date(2026, 3, 29), 0, 82800, "Europe/Rome", None)
    stored = manifest_file(facts, files, compiled_at=first).content

    assert compiled_at(None, files, now=later) == later
    assert compiled_at(stored, files, now=later) == first
    assert compiled_at(stored, [files[0], _file("b.csv", b"y\n3\n")], now=later) == later
    assert compiled_at(stored, files[:1], now=later) == later
    assert compiled_at(b"not json", files, now=later) == later
