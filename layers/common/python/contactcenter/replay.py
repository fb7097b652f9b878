"""Rebuild an agent from its history: the live state, and a local day's time per status.

The history is the record; the state item is what the last change left. `replay` folds the entries over
the agent's profile (the state before the first entry) exactly as status.py wrote them, reading what
each kind puts into `detail`:

- status: the move itself (`to_status`, reason, note, at, platform, unit); `item`/`workAction` when work
  caused it, `released` when a forced change or clock-out dropped the items, `wrapUpEndsAt`/`wrapUpQueue`
  when work ended into wrap-up.
- work: `item`, `workAction` (offered, accepted, rejected, ended), `channel`, `queueId`, `reference`; and
  `nextStatus`/`nextReason` when a rejected offer left a break pending.
- queue: `queue`, `queueAction` (login, logout).  flag: `stopNew` or `autoAssignment` ("true"/"false").
- next_status: `nextStatus`, `nextReason`, `nextNote` (set or replaced) or `cancelled`.

`today` is not rebuilt: `day_time` gives a day's totals from the entries alone. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from contactcenter.agents import Actor, AgentState, EntryKind, HistoryEntry, NextStatus, WorkItem, WorkState
from contactcenter.organization import Channel
from contactcenter.statuses import CLOCKED_IN, Status

_WORKING = frozenset({Status.ACTIVE, Status.WRAP_UP})
_MILLISECOND = timedelta(milliseconds=1)


def replay(profile: AgentState, entries: Iterable[HistoryEntry]) -> AgentState:
    """The agent after `entries`, which must follow `profile` without a gap (else ValueError)."""
    state = profile
    for entry in entries:
        _check_follows(state, entry)
        state = replace(_STEPS[entry.kind](state, entry), sequence=entry.sequence)
    return state


def _check_follows(state: AgentState, entry: HistoryEntry) -> None:
    if entry.sequence != state.sequence + 1:
        raise ValueError(f"history entry {entry.sequence} does not follow {state.sequence}")
    if entry.from_status is not state.status:
        raise ValueError(f"history entry {entry.sequence} starts from {entry.from_status}, not {state.status}")
    if entry.kind is not EntryKind.STATUS and entry.to_status is not entry.from_status:
        raise ValueError(f"history entry {entry.sequence} of kind {entry.kind} changes the status")


# --- one step per entry kind ---------------------------------------------------------------------


def _status(state: AgentState, entry: HistoryEntry) -> AgentState:
    target, detail = entry.to_status, entry.detail
    after = replace(
        _work(state, entry),
        status=target,
        since=entry.at,
        reason=entry.reason,
        note=entry.note,
        platform=entry.platform,
        unit_id=entry.unit_id,
    )
    if "released" in detail:
        after = replace(after, work_items=())
    if target is Status.AVAILABLE:
        after = replace(after, idle_since=entry.at)
    if target is not Status.ACTIVE:
        after = replace(after, stop_new=False)
    if target is Status.WRAP_UP:
        ends_at = detail.get("wrapUpEndsAt")
        after = replace(
            after,
            wrap_up_ends_at=datetime.fromisoformat(ends_at) if ends_at else None,
            wrap_up_queue=detail.get("wrapUpQueue"),
        )
    else:
        after = replace(after, wrap_up_ends_at=None, wrap_up_queue=None)
    if target not in _WORKING:
        # Leaving work applies (or drops) the pending next status; outside work none is pending.
        after = replace(after, next_status=None)
    if target is Status.AWAY:
        after = replace(after, unit_id=None, queues=(), work_items=())
    return after


def _work(state: AgentState, entry: HistoryEntry) -> AgentState:
    detail = entry.detail
    item_id, work_action = detail.get("item"), detail.get("workAction")
    if item_id is None or work_action is None:
        return state
    others = tuple(i for i in state.work_items if i.item_id != item_id)
    if work_action in ("rejected", "ended"):
        state = replace(state, work_items=others)
    elif work_action == "offered":
        state = replace(state, work_items=(*state.work_items, _item(state, entry, item_id, WorkState.OFFERED)))
    elif work_action == "accepted":
        item = _item(state, entry, item_id, WorkState.ACTIVE)
        state = replace(state, work_items=(*others, item), idle_since=entry.at)
    if "nextStatus" in detail:
        # A rejected offer while working: the system's break waits until the work is over.
        pending = NextStatus(
            Status(detail["nextStatus"]), detail.get("nextReason") or None, None, Actor.system(), entry.at
        )
        state = replace(state, next_status=pending)
    return state


def _item(state: AgentState, entry: HistoryEntry, item_id: str, work_state: WorkState) -> WorkItem:
    """The item as offered or accepted: what the entry says, else what the offer said (older entries)."""
    detail, existing = entry.detail, state.item(item_id)
    channel = detail.get("channel") or (existing.channel if existing else Channel.CASE)
    return WorkItem(
        item_id=item_id,
        channel=Channel(channel),
        state=work_state,
        since=entry.at,
        reference=detail.get("reference") or (existing.reference if existing else None),
        queue_id=detail.get("queueId") or (existing.queue_id if existing else None),
    )


def _queue(state: AgentState, entry: HistoryEntry) -> AgentState:
    queue = entry.detail["queue"]
    others = tuple(q for q in state.queues if q != queue)
    return replace(state, queues=(*others, queue) if entry.detail.get("queueAction") == "login" else others)


def _flag(state: AgentState, entry: HistoryEntry) -> AgentState:
    detail = entry.detail
    if "stopNew" in detail:
        state = replace(state, stop_new=detail["stopNew"] == "true")
    if "autoAssignment" in detail:
        state = replace(state, auto_assignment=detail["autoAssignment"] == "true")
    return state


def _next_status(state: AgentState, entry: HistoryEntry) -> AgentState:
    detail = entry.detail
    if "cancelled" in detail:
        return replace(state, next_status=None)
    pending = NextStatus(
        Status(detail["nextStatus"]),
        detail.get("nextReason") or None,
        detail.get("nextNote") or None,
        requested_by=entry.actor,
        requested_at=entry.at,
    )
    return replace(state, next_status=pending)


_STEPS: dict[EntryKind, Callable[[AgentState, HistoryEntry], AgentState]] = {
    EntryKind.STATUS: _status,
    EntryKind.WORK: _work,
    EntryKind.QUEUE: _queue,
    EntryKind.FLAG: _flag,
    EntryKind.NEXT_STATUS: _next_status,
}


# --- a day's time per status ---------------------------------------------------------------------


@dataclass(frozen=True)
class DayTime:
    """Milliseconds per status and per unavailable reason in one local day, and the clocked time.

    `clocked_ms` is measured from clock-in to clock-out alone, so it checks the per-status split: the
    per-status times add up to it exactly. Statuses (and reasons) with no time are left out.
    """

    day: str
    per_status_ms: dict[str, int]
    per_reason_ms: dict[str, int]
    clocked_ms: int


def day_time(entries: Sequence[HistoryEntry], *, day: date | str, zone: tzinfo, until: datetime) -> DayTime:
    """Book the time between status entries to the local `day` in `zone`, up to `until` (now, or later).

    `entries` start with the agent away or with the clock-in the day's first status belongs to (the whole
    history, or the part since the last clock-in before the day): time before the first entry is unknown.
    """
    local = date.fromisoformat(day) if isinstance(day, str) else day
    # Bounds in UTC: subtracting two times of one ZoneInfo ignores a daylight-saving change between them.
    start = datetime.combine(local, time(), zone).astimezone(UTC)
    end = min(datetime.combine(local + timedelta(days=1), time(), zone).astimezone(UTC), until)
    per_status: dict[str, int] = {}
    per_reason: dict[str, int] = {}
    moves = [entry for entry in entries if entry.kind is EntryKind.STATUS]
    for index, entry in enumerate(moves):
        if entry.to_status not in CLOCKED_IN:
            continue
        ms = _overlap_ms(entry.at, moves[index + 1].at if index + 1 < len(moves) else until, start, end)
        if ms:
            per_status[entry.to_status.value] = per_status.get(entry.to_status.value, 0) + ms
            if entry.to_status is Status.UNAVAILABLE and entry.reason:
                per_reason[entry.reason] = per_reason.get(entry.reason, 0) + ms
    clocked = sum(_overlap_ms(begin, finish, start, end) for begin, finish in _sessions(moves, until))
    return DayTime(local.isoformat(), per_status, per_reason, clocked)


def _sessions(moves: Sequence[HistoryEntry], until: datetime) -> list[tuple[datetime, datetime]]:
    """Clock-in to clock-out (or `until`), from the moves into and out of AWAY."""
    sessions: list[tuple[datetime, datetime]] = []
    began: datetime | None = None
    for entry in moves:
        if began is None and entry.to_status in CLOCKED_IN:
            began = entry.at
        elif began is not None and entry.to_status not in CLOCKED_IN:
            sessions.append((began, entry.at))
            began = None
    if began is not None:
        sessions.append((began, until))
    return sessions


def _overlap_ms(begin: datetime, finish: datetime, start: datetime, end: datetime) -> int:
    # Whole milliseconds per stretch, as accumulate() counts them.
    return max(0, (min(finish, end) - max(begin, start)) // _MILLISECOND)
