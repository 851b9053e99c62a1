"""How a track's reports make periods, each one incident: the tracker, pure (no clock of its own).

A track (a rule and a place) goes through periods: a siren starts, it ends, it starts again.
Each period is one incident, its id from the track and the event time it started at. Every
time here is an event time (epoch seconds), and ``clock`` is the partition's clock
(``agent.PartitionClock``: the newest event time the partition has seen), so a replay of last
year's reports makes the same periods as the live run did.

- An alert report joins the period its event time falls in (start ≤ t ≤ end, or after the
  start of an open one): news reports inside a siren period join it. A channel post's start
  never joins another channel-started period: the channel posts one start per period, so a
  second start is a new period whose end is still to come. A report that falls in no period
  opens one, or, when a period begins soon after it (within the quiet time, no end between),
  moves that period's start back to it (two reports of one event read out of order); a
  channel-started period's start is exact and never moves.
- An end report closes the latest period started before its time (``closed_by: report``,
  ``ended_at`` its time). An end that finds none is kept (``TrackState.ends``) for the start it
  follows, which a backfill may read later; an earlier end read after a later one takes its
  place, and the later one moves on to the period it ends.
- A period without a report for ``quiet_s`` (``channel_quiet_s`` when a channel post started
  it: its end post is due) closes as ``quiet``, ``ended_at`` its last report's time + the quiet
  time, once the partition's clock or a later report of the track passes that time. A late
  report inside it still joins it and moves its end (and reopens it if the clock has not
  reached the new end).
- A closed period and an end no period took are forgotten ``window_s`` after their time, and
  ``window_s`` of wall time after they were last read (``wall``): a backfill reads a year of
  reports out of order within minutes, and its late reports still find their periods.

Records: a period's first record is ``open`` (revision 1), then ``update`` at most once per
``update_min_s`` of the partition's clock and of the wall clock (a burst of reports is one
update; a backfill, whose clock leaps through the reports' times, sends no more records than
the live run did, and no faster), and ``closed`` at once. A period closed before its first
record went out (a backfill) sends ``open`` and ``closed`` together.
"""

from __future__ import annotations

import datetime as dt
import math

import msgspec

from vigie.shared.messages import Alert, Incident
from vigie.shared.timestamps import epoch, format_time

from .identity import incident_id
from .model import AlertReport, EndReport, IncidentState, KeptEnd, TrackState, changed

MAX_ALERT_IDS = 100
# The alert ids a period remembers: a redelivery repeats the reports not yet committed, a few
# seconds' worth, so the newest thousand know them (and a long, busy period stays small).
MAX_SEEN = 1000


class Tracker:
    """Folds reports into a track's periods, and says when a record goes out."""

    def __init__(self, update_min_s: float, quiet_s: float, channel_quiet_s: float,
                 window_s: float) -> None:
        self.update_min_s, self.quiet_s = update_min_s, quiet_s
        self.channel_quiet_s, self.window_s = channel_quiet_s, window_s

    def quiet_after(self, period: IncidentState) -> float:
        return self.channel_quiet_s if period.exact else self.quiet_s

    def _forgotten(self, age: float, read_age: float) -> bool:
        return age > self.window_s and read_age > self.window_s

    def report(self, track: TrackState, report: AlertReport, clock: float, wall: float
               ) -> tuple[TrackState, IncidentState, bool]:
        """The track after an alert report read at ``wall``, the period the alert is folded
        into, and whether it is new there (False: a redelivery, already folded and
        published)."""
        for period in track.periods:
            if report.alert.id in period.seen:
                return track, period, False
        moment = epoch(report.when)
        periods = self._quiet_before(track.periods, moment)
        index = self._joined(periods, track.ends, report, moment)
        if index is None:
            periods, ends = _inserted(periods, track.ends,
                                      self._opened(track, report, moment, wall))
            track = changed(track, periods=periods, ends=ends)
            index = next(i for i, p in enumerate(periods) if report.alert.id in p.seen)
        else:
            periods[index] = changed(self._join(periods[index], report, moment, clock),
                                     read_at=wall)
            track = changed(track, periods=periods)
        return track, track.periods[index], True

    def end(self, track: TrackState, report: EndReport, wall: float) -> TrackState:
        """The track after an end report read at ``wall``."""
        moment: float | None = epoch(report.when)
        periods, ends = self._quiet_before(track.periods, moment), list(track.ends)
        while moment is not None:  # an end displaced by an earlier one ends the next period
            moment = _place_end(periods, ends, moment, wall)
        return changed(track, periods=periods, ends=sorted(ends, key=lambda e: e.moment))

    def expire(self, track: TrackState, clock: float, wall: float) -> TrackState | None:
        """Quiet periods closed, the long closed and unmatched ends forgotten; None: nothing
        left to keep."""
        periods = [self._closed_if_quiet(p, clock) for p in track.periods]
        periods = [p for p in periods if not p.closed or p.due
                   or not self._forgotten(clock - p.end, wall - p.read_at)]
        ends = [e for e in track.ends
                if not self._forgotten(clock - e.moment, wall - e.read_at)]
        if not periods and not ends:
            return None
        return changed(track, periods=periods, ends=ends)

    def release(self, period: IncidentState, clock: float, wall: float
                ) -> tuple[IncidentState, list[Incident]]:
        """The records to send now, if one is due and the last went out ``update_min_s``
        ago by both clocks (a close goes at once); the period with them marked sent.
        ``wall``: the time the records are written (their ``updated_at``)."""
        first = period.sent_clock is None
        if not period.due or (not first and not period.closed and (
                clock - period.sent_clock < self.update_min_s
                or wall - (period.sent_at or 0.0) < self.update_min_s)):
            return period, []
        written = format_time(dt.datetime.fromtimestamp(wall, dt.timezone.utc))
        record = msgspec.structs.replace(period.record, updated_at=written)
        revision = record.revision if first else record.revision + 1
        records = []
        if first and period.closed:
            records.append(msgspec.structs.replace(record, status="open", ended_at=None,
                                                   closed_by=None, revision=revision))
            revision += 1
        status = "closed" if period.closed else "open" if first else "update"
        records.append(msgspec.structs.replace(record, status=status, revision=revision))
        return changed(period, record=records[-1], sent_clock=clock, sent_at=wall,
                       due=False), records

    @staticmethod
    def adopt(track: TrackState | None, sent: Incident, clock: float) -> TrackState | None:
        """The track after learning that record ``sent`` went out: a state restored after a
        crash can be older than what the worker sent before it died. ``sent`` replaces its
        period when newer, so that no record is sent twice (one ``open``, revisions one apart)
        and the reports it folded, when redelivered, are known. None: known already."""
        track = track or TrackState(rule=sent.rule, place=sent.place)
        periods = list(track.periods)
        index = next((i for i, p in enumerate(periods) if p.record.id == sent.id), None)
        old = None if index is None else periods[index]
        if old is not None and old.sent_clock is not None and old.record.revision >= sent.revision:
            return None
        adopted = IncidentState(
            record=sent, seen=_merged(old.seen if old else [], sent.alert_ids),
            last_event=max(epoch(sent.started_at), old.last_event if old else -math.inf),
            exact=bool(old and old.exact), sent_clock=clock, sent_at=epoch(sent.updated_at),
            due=False,
            read_at=old.read_at if old else 0.0)
        if index is None:
            periods = sorted([*periods, adopted], key=lambda p: p.start)
        else:
            periods[index] = adopted
        return changed(track, periods=periods)

    def _quiet_before(self, periods: list[IncidentState], moment: float) -> list[IncidentState]:
        """The periods, those a report at ``moment`` shows were quiet closed."""
        return [self._closed_if_quiet(p, moment) if p.start <= moment else p for p in periods]

    def _closed_if_quiet(self, period: IncidentState, moment: float) -> IncidentState:
        quiet_end = period.last_event + self.quiet_after(period)
        if period.closed or moment < quiet_end:
            return period
        return _closed(period, "quiet", quiet_end)

    def _joined(self, periods: list[IncidentState], ends: list[float], report: AlertReport,
                moment: float) -> int | None:
        """The period a report joins, or None: it opens one."""
        starts_exactly = report.exact and not report.continues
        inside = [i for i, p in enumerate(periods) if p.contains(moment)]
        if inside:
            period = periods[inside[-1]]
            joins = not (starts_exactly and period.exact and period.start != moment)
            return inside[-1] if joins else None
        later = [i for i, p in enumerate(periods) if p.start > moment]
        if not later:
            return None
        period = periods[later[0]]
        soon = period.start - moment <= self.quiet_after(period)
        ended_between = any(moment <= e.moment < period.start for e in ends)
        return later[0] if soon and not ended_between and not period.exact else None

    def _join(self, period: IncidentState, report: AlertReport, moment: float,
              clock: float) -> IncidentState:
        alert, record = report.alert, period.record
        record = msgspec.structs.replace(
            record, reports=record.reports + 1, sources=_sources(record.sources, alert),
            alert_ids=[*record.alert_ids, alert.id][-MAX_ALERT_IDS:],
            started_at=report.when if moment < period.start else record.started_at)
        starts_exactly = report.exact and not report.continues and moment <= period.start
        period = changed(period, record=record, seen=[*period.seen, alert.id][-MAX_SEEN:],
                         last_event=max(period.last_event, moment),
                         exact=period.exact or starts_exactly, due=True)
        if record.closed_by != "quiet":
            return period
        quiet_end = period.last_event + self.quiet_after(period)
        if clock < quiet_end:  # the clock has not reached its new end: open again
            return changed(period, record=msgspec.structs.replace(
                record, ended_at=None, closed_by=None))
        return _closed(period, "quiet", quiet_end)

    @staticmethod
    def _opened(track: TrackState, report: AlertReport, moment: float,
                wall: float) -> IncidentState:
        alert = report.alert
        started = format_time(dt.datetime.fromtimestamp(moment, dt.timezone.utc))
        record = Incident(
            id=incident_id(track.rule.id, track.place, started), rule=alert.rule, status="open",
            place=track.place, started_at=started, updated_at=started, reports=1,
            sources=_sources([], alert), alert_ids=[alert.id], headline=alert.snippet,
            revision=1)
        return IncidentState(record=record, seen=[alert.id], last_event=moment,
                             exact=report.exact and not report.continues, due=True,
                             read_at=wall)


def _inserted(periods: list[IncidentState], ends: list[KeptEnd], new: IncidentState
              ) -> tuple[list[IncidentState], list[KeptEnd]]:
    """``new`` among the periods, closed by the first kept end after its start (and before the
    next period's start), which it takes."""
    periods = sorted([*periods, new], key=lambda p: p.start)
    following = [p.start for p in periods if p.start > new.start]
    limit = following[0] if following else math.inf
    taken = [e for e in ends if new.start <= e.moment < limit]
    if not taken:
        return periods, list(ends)
    index = periods.index(new)
    periods[index] = _closed(new, "report", taken[0].moment)
    return periods, [e for e in ends if e is not taken[0]]


def _place_end(periods: list[IncidentState], ends: list[KeptEnd], moment: float,
               wall: float) -> float | None:
    """Close the period an end at ``moment`` ends (in place), or keep the end; the later end
    it displaces, if any, to place again."""
    before = [i for i, p in enumerate(periods) if p.start <= moment]
    period = periods[before[-1]] if before else None
    if period is None or (period.closed and moment > period.end):
        if all(e.moment != moment for e in ends):
            ends.append(KeptEnd(moment, wall))
        return None
    if period.closed and moment == period.end and period.record.closed_by == "report":
        return None  # the same end again
    displaced = period.end if period.record.closed_by == "report" else None
    periods[before[-1]] = changed(_closed(period, "report", moment), read_at=wall)
    return displaced


def _closed(period: IncidentState, how: str, moment: float) -> IncidentState:
    ended = format_time(dt.datetime.fromtimestamp(moment, dt.timezone.utc))
    record = msgspec.structs.replace(period.record, closed_by=how, ended_at=ended)
    return changed(period, record=record, due=True)


def _merged(seen: list[str], more: list[str]) -> list[str]:
    known = set(seen)
    return [*seen, *(alert_id for alert_id in more if alert_id not in known)][-MAX_SEEN:]


def _sources(sources: list[str], alert: Alert) -> list[str]:
    name = alert.article.source.name or alert.article.source.url or alert.article.source.kind
    return sorted({*sources, name})
