"""A component's uptime over 24 hours and 7, 30 and 90 days, each with the time it was measured over.

The days' figures come from the very days its bar shows (bars.UptimeBar.figure), so a figure always
agrees with the bar beside it. The 24 hours come from the hourly rollups and the same stretches of
trouble, hour by hour: each hour's downtime is the worse of its statuses' and its failed runs' (as for a
day), so an outage is never counted twice. A component younger than a window is measured over its life
so far, and says so.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from . import status_history
from .bar_days import UptimeBar
from .status_history import Segment
from .uptime import Counts, hour_start

WINDOWS = (("24h", None), ("7d", 7), ("30d", 30), ("90d", 90))


class Figure(NamedTuple):
    """Uptime in percent (None when nothing was measured), the seconds it was measured over, and the
    seconds of the window asked for: observed < window when the component's history is shorter."""

    uptime: float | None
    observed: float
    window: float

    @property
    def is_whole(self) -> bool:
        """Measured over the whole window (a minute's leeway)."""
        return self.observed >= self.window - 60


def last_hours(bar: UptimeBar, troubles: tuple[Segment, ...], hourly: dict[datetime, Counts], *, now: datetime,
               hours: int = 24) -> Figure:
    """Uptime over the last `hours` hours, hour by hour (hourly: the component's hourly rollups)."""
    since = now - timedelta(hours=hours)
    now_s, since_s = now.timestamp(), since.timestamp()
    begins = max(since_s, bar.first) if bar.first is not None else now_s
    down = 0.0
    hour = hour_start(since)
    while hour < now:
        start, end = max(hour.timestamp(), begins), min(hour.timestamp() + 3600, now_s)
        if end > start:
            major, partial, _degraded = status_history.time_in(troubles, start, end)
            lost = status_history.downtime(major, partial)
            counts = hourly.get(hour)
            if counts is not None and counts.runs:
                lost = max(lost, (end - start) * counts.failures / counts.runs)
            down += min(lost, end - start)
        hour += timedelta(hours=1)
    observed = max(0.0, now_s - begins)
    return Figure(None if observed <= 0 else max(0.0, 100 * (1 - down / observed)), observed, now_s - since_s)


def component_figures(bar: UptimeBar, troubles: tuple[Segment, ...], hourly: dict[datetime, Counts], *,
                      now: datetime) -> dict[str, Figure]:
    """{"24h": Figure, "7d": ..., "30d": ..., "90d": ...}."""
    found = {}
    for key, days in WINDOWS:
        found[key] = last_hours(bar, troubles, hourly, now=now) if days is None else Figure(*bar.figure(days))
    return found
