"""What a day of an uptime bar is: its runs, incidents and time in trouble, the uptime and colour they
make, and a component's bar over a window of such days (bars.py makes them, web/bar_views.py writes them)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import NamedTuple

from . import status_history
from .status_history import Troubled
from .uptime import Counts


class DayIncident(NamedTuple):
    """An incident that touched a component on a bar's day: what the day says of it."""

    id: int
    name: str  # a system_text.Translated, read as a column: it knows its translations
    impact: str


# The plain tuples of a bar (thousands per page), by name:
RunsFailures = tuple[int, int]  # a day's runs and failures
Stat = tuple[float, float, float, float, float]  # a DayStat as a plain tuple
# UptimeBar.parts: (first, last, counts, incidents, all_up, stat)
Part = tuple[int, int, RunsFailures | None, tuple[DayIncident, ...], bool, Stat | None]


class DayBar(NamedTuple):
    """One day of a component's uptime bar; or, with last_day set, a run of days with nothing to tell: no
    incident touched them, no check failed, and either the component existed all along (all_up: 100 %
    uptime) or not yet (no data)."""

    day: date
    counts: Counts | None  # that day's runs and failures; None when nothing ran, or when not read one by one
    incidents: tuple[DayIncident, ...] = ()  # the incidents that touched the component that day
    last_day: date | None = None  # the run's last day (inclusive)
    all_up: bool = False  # measured, without downtime, though not read day by day
    stat: Stat | None = None  # DayStat of a day told one by one

    @property
    def days(self) -> int:
        return 1 if self.last_day is None else (self.last_day - self.day).days + 1

    @property
    def failures(self) -> int:
        return self.counts.failures if self.counts else 0

    @property
    def uptime(self) -> float | None:
        if self.stat is not None:
            return DayStat(*self.stat).uptime
        return 100.0 if self.all_up else None

    @property
    def level(self) -> str:
        """The bar's colour class (day_level)."""
        return day_level(self.uptime, self.stat[2:] if self.stat else ())


class DayStat(NamedTuple):
    """What a day told one by one measured: seconds observed (the day, or its part since the component's
    history began), weighted downtime (the worse of the statuses' and the failed runs'), and seconds in
    major outage, partial outage and degraded performance."""

    observed: float
    down: float
    major: float = 0.0
    partial: float = 0.0
    degraded: float = 0.0

    @property
    def uptime(self) -> float | None:
        return None if self.observed <= 0 else max(0.0, 100.0 * (1 - self.down / self.observed))


def day_level(uptime: float | None, troubled: Sequence[float] = ()) -> str:
    """A day's colour class: by its uptime (below 99.9 %, 99 %, 95 %), and at least "minor" when the
    component spent any time in trouble (troubled: seconds in major, partial and degraded), since degraded
    performance is not downtime but is not nothing either."""
    if uptime is None:
        return "none"
    if uptime < 95:
        return "major"
    if uptime < 99:
        return "partial"
    if uptime < 99.9 or any(troubled):
        return "minor"
    return "ok"


def day_stat(observed: float, counts: RunsFailures | None, troubled: Troubled | None) -> Stat:
    """A DayStat (as a plain tuple) from a day's observed seconds, its runs and failures, and its seconds
    in trouble: the day's downtime is the worse of the statuses' (status_history.downtime) and the share
    of failed runs times the observed time, so checks and incidents never count one outage twice."""
    major, partial, degraded = troubled or (0.0, 0.0, 0.0)
    down = status_history.downtime(major, partial)
    if counts is not None and counts[0]:
        down = max(down, observed * counts[1] / counts[0])
    return (observed, min(down, observed), major, partial, degraded)


@dataclass(frozen=True)
class UptimeBar:
    """A component's bar over the days of a window, oldest first, and what it measured over the window.

    parts are plain tuples, cheap to make by the thousand: (first, last, counts, incidents, all_up, stat)
    with first and last numbers of dates (equal for a single day), counts (runs, failures) or None, stat a
    DayStat tuple for a day told one by one, and the rest as in DayBar; days gives them as DayBars.
    observed and down are the seconds measured and down over the whole window (status_history), so
    uptime over the window agrees with the days: the mean of the days, weighted by their hours."""

    dates: list[date]
    parts: list[Part]
    total: Counts
    observed: float = 0.0
    down: float = 0.0
    stamps: list[float] = field(default_factory=list)
    first: float | None = None  # when the component's history begins (epoch seconds)
    now: float = 0.0

    @property
    def days(self) -> list[DayBar]:
        dates = self.dates
        return [DayBar(dates[first], Counts(*counts) if counts else None, incidents,
                       dates[last] if last != first else None, all_up, stat)
                for first, last, counts, incidents, all_up, stat in self.parts]

    @property
    def first_at(self) -> datetime | None:
        """When the component's history begins, as a datetime (UTC)."""
        return None if self.first is None else datetime.fromtimestamp(self.first, timezone.utc)

    @property
    def uptime(self) -> float | None:
        """Uptime over the window in percent; None when nothing was measured."""
        return DayStat(self.observed, self.down).uptime

    def figure(self, days: int) -> tuple[float | None, float, float]:
        """(uptime in percent or None, seconds measured, seconds of the window) over the last `days` local
        days, today included, from the same days the bar shows."""
        n0 = max(0, len(self.stamps) - days)
        since = self.stamps[n0]
        observed = max(0.0, self.now - max(since, self.first if self.first is not None else self.now))
        down = sum([part[5][1] for part in self.parts if part[5] is not None and part[0] >= n0])
        return DayStat(observed, down).uptime, observed, self.now - since
