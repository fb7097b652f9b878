"""Adherence: how an agent's statuses followed their schedule, second by second, and live. Pure.

Every second of a scheduled activity is judged once, as one of:
- adherent: the status (and reason) is one the activity's kind adheres to (contactcenter/schedules.py);
- excused: the agent was handling work (ACTIVE, or the WRAP_UP after it) when a non-work activity began,
  and has not left that work yet: a call is not cut for a break;
- approved: inside an exception a supervisor approved;
- tolerated: a mismatch younger than the kind's tolerance, counted from the later of the activity's start
  and the start of the status stint (so a break taken two minutes late is not an episode);
- out: anything else. Out seconds in a row form an episode; one that lasts the severe threshold is severe.
The first four count as adherent, so adherent + non-adherent seconds = scheduled seconds, exactly.
Seconds with no activity are unscheduled (counted only while clocked in) and judged by nothing.

Times are the whole seconds attendance books (attendance.booked_seconds), so the figures are exact
and agree with attendance.csv; the judgement of a second depends only on what happened up to it and on
the activity around it, never on what comes later, which is what makes the live view and the daily file
agree, and a schedule changed in the afternoon leave the morning as it was judged.

Impact of an out second: less available than planned when a work activity finds the agent in a state
that does not adhere to work; more available when another activity finds them in one that does.
Conformance: seconds spent in states that adhere to work (whenever they happened that day) over the
scheduled work seconds.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from contactcenter.attendance import AWAY, Day, Entry, booked_seconds
from contactcenter.schedules import Activity, ActivityKind, AdherenceSettings

WORKING = frozenset({"ACTIVE", "WRAP_UP"})


class Judgement(StrEnum):
    ADHERENT = "adherent"
    EXCUSED = "excused"
    APPROVED = "approved"
    TOLERATED = "tolerated"
    OUT = "out"
    UNSCHEDULED = "unscheduled"  # clocked in, no activity
    NONE = "none"  # away, no activity


COUNTED_ADHERENT = frozenset({Judgement.ADHERENT, Judgement.EXCUSED, Judgement.APPROVED, Judgement.TOLERATED})


class Impact(StrEnum):
    NONE = "none"
    LESS_AVAILABLE = "less_available"
    MORE_AVAILABLE = "more_available"


@dataclass(frozen=True, slots=True)
class Stint:
    """An uninterrupted stay in one status and reason: [start, end) in epoch seconds, within the range
    asked for; `since` is when it really began (earlier when it began before that range)."""

    start: int
    end: int
    status: str
    reason: str | None
    since: int


@dataclass(frozen=True, slots=True)
class Piece:
    start: int
    end: int
    judgement: Judgement
    impact: Impact
    kind: ActivityKind | None


def stints(entries: Sequence[Entry], start: int, end: int) -> list[Stint]:
    """The stays in [start, end), from an agent's history (beginning at or before `start`, as read for a
    report), consecutive entries with the same status and reason making one stay."""
    times = booked_seconds(entries)
    result: list[Stint] = []
    status, reason, since = AWAY, None, start
    for moment, entry in zip(times, entries, strict=True):
        if (entry.to_status, entry.reason) == (status, reason):
            continue
        if moment > since and moment > start:
            result.append(Stint(max(since, start), min(moment, end), status, reason, since))
        status, reason, since = entry.to_status, entry.reason, moment
        if moment >= end:
            break
    if since < end:
        result.append(Stint(max(since, start), end, status, reason, since))
    return [s for s in result if s.end > s.start]


def judge(
    stint: Stint,
    a: int,
    b: int,
    activity: Activity | None,
    approved: bool,
    settings: AdherenceSettings,
) -> list[Piece]:
    """The judgement of [a, b), a stretch in which the stint, the activity and the exception stay the same
    (the stint may have begun earlier: its start decides the excuse and the tolerance)."""
    if activity is None:
        return [Piece(a, b, Judgement.NONE if stint.status == AWAY else Judgement.UNSCHEDULED, Impact.NONE, None)]
    kind = activity.kind
    if settings.adheres(kind, stint.status, stint.reason):
        return [Piece(a, b, Judgement.ADHERENT, Impact.NONE, kind)]
    if stint.status in WORKING and stint.since < activity.start and kind is not ActivityKind.WORK:
        return [Piece(a, b, Judgement.EXCUSED, Impact.NONE, kind)]
    if approved:
        return [Piece(a, b, Judgement.APPROVED, Impact.NONE, kind)]
    working = settings.adheres(ActivityKind.WORK, stint.status, stint.reason)
    impact = Impact.LESS_AVAILABLE if kind is ActivityKind.WORK else Impact.MORE_AVAILABLE if working else Impact.NONE
    grace_end = max(stint.since, activity.start) + settings.tolerance_seconds(kind)
    pieces = []
    if grace_end > a:
        pieces.append(Piece(a, min(b, grace_end), Judgement.TOLERATED, Impact.NONE, kind))
    if grace_end < b:
        pieces.append(Piece(max(a, grace_end), b, Judgement.OUT, impact, kind))
    return pieces


def timeline(
    stays: Sequence[Stint],
    activities: Sequence[Activity],
    exceptions: Sequence[tuple[int, int]],
    settings: AdherenceSettings,
) -> list[Piece]:
    """Every second of the stays judged, in order."""
    cuts_of_schedule = sorted({t for a in activities for t in (a.start, a.end)} | {t for e in exceptions for t in e})
    pieces: list[Piece] = []
    for stay in stays:
        inner = cuts_of_schedule[
            bisect_right(cuts_of_schedule, stay.start) : bisect_right(cuts_of_schedule, stay.end - 1)
        ]
        bounds = [stay.start, *inner, stay.end]
        for a, b in itertools.pairwise(bounds):
            pieces.extend(judge(stay, a, b, activity_at(activities, a), in_any(exceptions, a), settings))
    return pieces


def activity_at(activities: Sequence[Activity], moment: int) -> Activity | None:
    return next((a for a in activities if a.start <= moment < a.end), None)


def in_any(ranges: Sequence[tuple[int, int]], moment: int) -> bool:
    return any(start <= moment < end for start, end in ranges)


# --- a day's figures (adherence.csv) -------------------------------------------------------------


@dataclass(frozen=True)
class Episode:
    start: int
    end: int
    kind: ActivityKind

    @property
    def seconds(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class AdherenceDay:
    scheduled: int
    adherent: int
    non_adherent: int
    approved: int  # part of adherent
    excused: int  # part of adherent
    tolerated: int  # part of adherent
    unscheduled: int  # clocked in with no activity (not part of scheduled)
    work_scheduled: int
    worked: int  # in states adhering to work, any time of the day
    less_available: int  # out seconds that made the agent less available than planned
    more_available: int
    episodes: tuple[Episode, ...] = field(default=())
    severe_episodes: int = 0

    @property
    def adherence_basis_points(self) -> int | None:
        return _ratio(self.adherent, self.scheduled)

    @property
    def conformance_basis_points(self) -> int | None:
        return _ratio(self.worked, self.work_scheduled)


def _ratio(part: int, whole: int) -> int | None:
    """part/whole in hundredths of a percent, half up, in integers (no float on the way)."""
    if whole <= 0:
        return None
    return (part * 20_000 + whole) // (2 * whole)


def percent(basis_points: int | None) -> str:
    if basis_points is None:
        return ""
    return f"{basis_points // 100}.{basis_points % 100:02d}"


def adherence_day(
    entries: Sequence[Entry],
    day: Day,
    activities: Sequence[Activity],
    exceptions: Sequence[tuple[int, int]],
    settings: AdherenceSettings,
    *,
    until: int | None = None,
) -> AdherenceDay:
    """The day's figures for one agent (entries as read for attendance, from the state at its start);
    cut at `until` for a day not over yet."""
    end = day.end if until is None else max(day.start, min(day.end, until))
    stays = stints(entries, day.start, end)
    pieces = timeline(stays, [a for a in activities if a.start < end], exceptions, settings)
    totals = {judgement: 0 for judgement in Judgement}
    less = more = 0
    episodes: list[Episode] = []
    for piece in pieces:
        seconds = piece.end - piece.start
        totals[piece.judgement] += seconds
        if piece.judgement is Judgement.OUT:
            less += seconds if piece.impact is Impact.LESS_AVAILABLE else 0
            more += seconds if piece.impact is Impact.MORE_AVAILABLE else 0
            if episodes and episodes[-1].end == piece.start:
                episodes[-1] = Episode(episodes[-1].start, piece.end, episodes[-1].kind)
            else:
                assert piece.kind is not None
                episodes.append(Episode(piece.start, piece.end, piece.kind))
    scheduled = sum(min(a.end, end) - a.start for a in activities if a.start < end)
    adherent = sum(totals[j] for j in COUNTED_ADHERENT)
    worked = sum(s.end - s.start for s in stays if settings.adheres(ActivityKind.WORK, s.status, s.reason))
    return AdherenceDay(
        scheduled=scheduled,
        adherent=adherent,
        non_adherent=totals[Judgement.OUT],
        approved=totals[Judgement.APPROVED],
        excused=totals[Judgement.EXCUSED],
        tolerated=totals[Judgement.TOLERATED],
        unscheduled=totals[Judgement.UNSCHEDULED],
        work_scheduled=sum(
            min(a.end, end) - a.start for a in activities if a.kind is ActivityKind.WORK and a.start < end
        ),
        worked=worked,
        less_available=less,
        more_available=more,
        episodes=tuple(episodes),
        severe_episodes=sum(1 for e in episodes if e.seconds >= settings.severe_seconds),
    )


# --- live ----------------------------------------------------------------------------------------


class LiveState(StrEnum):
    IN = "in"
    OUT = "out"
    UNSCHEDULED = "unscheduled"
    NOT_SCHEDULED = "not_scheduled"  # away with nothing planned: nothing to say


@dataclass(frozen=True)
class LiveAdherence:
    state: LiveState
    judgement: Judgement
    impact: Impact
    activity: ActivityKind | None
    activity_end: int | None
    out_since: int | None  # when the agent went out (the end of the tolerance), for the dashboard's clock
    severe: bool
    next_check: int | None  # when this could change if the agent does nothing: a timer then


_LIVE_STATE = {
    Judgement.ADHERENT: LiveState.IN,
    Judgement.EXCUSED: LiveState.IN,
    Judgement.APPROVED: LiveState.IN,
    Judgement.TOLERATED: LiveState.IN,
    Judgement.OUT: LiveState.OUT,
    Judgement.UNSCHEDULED: LiveState.UNSCHEDULED,
    Judgement.NONE: LiveState.NOT_SCHEDULED,
}


def live(
    stay: Stint,
    activities: Sequence[Activity],
    exceptions: Sequence[tuple[int, int]],
    settings: AdherenceSettings,
    *,
    now: int,
) -> LiveAdherence:
    """The agent's adherence at `now` (epoch seconds) in the current stay (from its `since`), judged as
    the daily file will judge that second, and the next moment it would change by time alone."""
    activity = activity_at(activities, now)
    approved = in_any(exceptions, now)
    pieces = judge(stay, now, now + 1, activity, approved, settings)
    piece = pieces[0]
    out_since = None
    if piece.judgement is Judgement.OUT and activity is not None:
        out_since = max(stay.since, activity.start) + settings.tolerance_seconds(activity.kind)
    severe = out_since is not None and now - out_since >= settings.severe_seconds
    moments = [t for a in activities for t in (a.start, a.end)] + [t for e in exceptions for t in e]
    if activity is not None:
        moments.append(max(stay.since, activity.start) + settings.tolerance_seconds(activity.kind))
    if out_since is not None and not severe:
        moments.append(out_since + settings.severe_seconds)
    later = [t for t in moments if t > now]
    state = _LIVE_STATE[piece.judgement]
    return LiveAdherence(
        state=state,
        judgement=piece.judgement,
        impact=piece.impact,
        activity=activity.kind if activity else None,
        activity_end=activity.end if activity else None,
        out_since=out_since,
        severe=severe,
        next_check=min(later) if later else None,
    )
