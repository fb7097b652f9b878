"""EventBridge Scheduler expressions: rate(...), cron(...) and at(...), evaluated in UTC.

cron takes EventBridge's six fields (minutes hours day-of-month month day-of-week year) with `*`, `?`,
values, ranges, lists, steps, month and day names, and `L` alone in day-of-month; day-of-week runs from
1 (SUN) to 7 (SAT), and one of the two day fields must be `?`. `W`, `#` and `L` in day-of-week are
refused. A rate schedule fires at whole multiples of its period since the Unix epoch, so rate(1 hour)
fires on the hour (Scheduler counts from the schedule's creation; aligned times keep tests exact).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_DAYS = 366 * 20  # the longest span a cron expression is asked about, to keep loops bounded

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    name: index
    for index, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class InvalidExpression(ValueError):
    pass


class Expression(Protocol):
    def occurrences(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """The times it fires in (after, until], in order."""
        ...


@dataclass(frozen=True)
class Rate:
    period: timedelta
    anchor: datetime = EPOCH

    def occurrences(self, after: datetime, until: datetime) -> Iterator[datetime]:
        step = int(self.period.total_seconds())
        index = int((after - self.anchor).total_seconds()) // step + 1
        moment = self.anchor + timedelta(seconds=index * step)
        while moment <= until:
            if moment > after:
                yield moment
            moment += self.period


@dataclass(frozen=True)
class At:
    moment: datetime

    def occurrences(self, after: datetime, until: datetime) -> Iterator[datetime]:
        if after < self.moment <= until:
            yield self.moment


@dataclass(frozen=True)
class Cron:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: frozenset[int] | None  # None: "?"; 0 stands for L, the last day
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # None: "?"; 1 is Sunday
    years: frozenset[int]

    def occurrences(self, after: datetime, until: datetime) -> Iterator[datetime]:
        day = after.astimezone(UTC).date()
        last = until.astimezone(UTC).date()
        if (last - day).days > MAX_DAYS:
            raise InvalidExpression(f"will not evaluate a cron expression over more than {MAX_DAYS} days")
        while day <= last:
            if self._day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if after < moment <= until:
                            yield moment
            day += timedelta(days=1)

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.days_of_month is not None:
            last_day = calendar.monthrange(day.year, day.month)[1]
            return day.day in self.days_of_month or (0 in self.days_of_month and day.day == last_day)
        assert self.days_of_week is not None
        return (day.weekday() + 1) % 7 + 1 in self.days_of_week


def parse(expression: str) -> Expression:
    text = expression.strip()
    if match := _RATE.match(text):
        value, unit = int(match.group(1)), match.group(2).rstrip("s")
        if value < 1:
            raise InvalidExpression(f"{expression}: the rate must be at least 1")
        return Rate(timedelta(seconds=value * _UNITS[unit]))
    if match := _AT.match(text):
        return At(datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC))
    if match := _CRON.match(text):
        return _parse_cron(expression, match.group(1).split())
    raise InvalidExpression(f"not a schedule expression: {expression!r}")


def _parse_cron(expression: str, fields: list[str]) -> Cron:
    if len(fields) != 6:
        raise InvalidExpression(f"{expression}: cron takes six fields")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise InvalidExpression(f"{expression}: exactly one of day-of-month and day-of-week must be ?")
    try:
        return Cron(
            minutes=tuple(sorted(_field(minutes, 0, 59))),
            hours=tuple(sorted(_field(hours, 0, 23))),
            days_of_month=None if day_of_month == "?" else _days_of_month(day_of_month),
            months=frozenset(_field(month, 1, 12, _MONTHS)),
            days_of_week=None if day_of_week == "?" else frozenset(_field(day_of_week, 1, 7, _DAYS)),
            years=frozenset(_field(year, 1970, 2199)),
        )
    except ValueError as exc:
        raise InvalidExpression(f"{expression}: {exc}") from None


def _days_of_month(text: str) -> frozenset[int]:
    if text == "L":
        return frozenset({0})
    return frozenset(_field(text, 1, 31))


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in {item!r}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, second = base.partition("-")
            start, end = _value(first, names), _value(second, names)
        else:
            start = _value(base, names)
            end = high if step_text else start
        if not low <= start <= end <= high:
            raise ValueError(f"{item!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(f"unsupported value {text!r}")
    return int(text)
