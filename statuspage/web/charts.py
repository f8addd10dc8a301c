"""Response-time charts drawn on the server as SVG: no chart library, no third party, no inline script or
style (the Content-Security-Policy allows neither).

The plot is an SVG stretched to its box (preserveAspectRatio="none", strokes that do not scale), so it
fills any width; its axes are HTML beside it (the ms labels) and an SVG without a viewBox under it (the
time labels, placed in percent), so text is never stretched. Every hour with data is a dot; its words
(the hour, mean, 95th percentile, failed runs) come with the chart as JSON for static/uptime.js, which
shows them on hover and lets the keyboard step through the hours (the plot becomes a slider), and as a
table for anyone without the script.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from functools import cache

from flask_babel import format_date, format_time, get_locale, gettext
from markupsafe import Markup, escape

from ..i18n import select_timezone
from ..services.uptime import LatencyPoint

WIDTH, HEIGHT = 720, 120  # the plot's viewBox: x across the time shown, y from the ceiling (0) to 0 ms
TICK_HOURS = (1, 2, 3, 6, 12, 24, 48, 72, 168)
MAX_TICKS = 5


@dataclass(frozen=True)
class Chart:
    """What the template draws. `state` says why there is nothing to draw when there is not (the
    template's words for each): "data", "no-check", "heartbeat", "waiting", "paused" or "quiet"."""

    state: str
    width: int = WIDTH
    height: int = HEIGHT
    lines: list[str] = field(default_factory=list)   # SVG path data, one per stretch of hours with data
    dots: str = ""                                     # one path: a dot per hour with data
    failures: list[tuple] = field(default_factory=list)  # (x, width) of hours with failed runs
    ceiling_ms: int = 0
    mean_ms: float | None = None
    slowest_ms: float | None = None
    points: list[LatencyPoint] = field(default_factory=list)
    data: list[list] = field(default_factory=list)  # [x %, y % or None, words] per hour told, for the script
    x_ticks: list[tuple] = field(default_factory=list)  # (x %, label, text-anchor)
    y_ticks: list[str] = field(default_factory=list)    # top, middle, bottom
    rows: list[tuple] = field(default_factory=list)     # (hour, mean, p95, failures) as words, for the table
    since: datetime | None = None  # when the time axis starts, when later than the period asked for

    @property
    def has_data(self) -> bool:
        return self.state == "data"

    @property
    def table_rows(self) -> Markup:
        """The table's rows, newest first, as HTML made in one go (a week has 168: a template loop would
        cost more than the rest of the chart)."""
        return Markup("".join([f"<tr><td>{escape(hour)}</td><td>{mean}</td><td>{p95}</td><td>{failures}</td></tr>"
                               for hour, mean, p95, failures in reversed(self.rows)]))


def chart_state(checks: Iterable[tuple]) -> str:
    """Why a chart would be empty, from (kind, enabled, last_run_at) of the checks that feed it."""
    checks = list(checks)
    probes = [check for check in checks if str(check[0]) != "heartbeat"]
    if not checks:
        return "no-check"
    if not probes:
        return "heartbeat"
    if not any(enabled for _kind, enabled, _last in probes):
        return "paused"
    if all(last is None for _kind, _enabled, last in probes):
        return "waiting"
    return "quiet"


def latency_chart(points: Sequence[LatencyPoint], *, now: datetime, state: str = "quiet") -> Chart:
    """Mean latency per hour as a line from the first hour with data (gaps where nothing ran), a dot per
    hour, failed hours shaded; the time axis runs from the first hour told (or the period's start) to now.
    `state` is what to say when no hour has anything to tell (chart_state)."""
    told = [p for p in points if p.mean_ms is not None or p.failures]
    if not told:
        return Chart("no-check" if state == "no-check" else state, points=list(points))
    tz = ZoneInfo(select_timezone())  # the request's page's zone (i18n.select_timezone)
    start = told[0].starts_at
    end = max(now, start + timedelta(minutes=1))
    span = (end - start).total_seconds()
    values = [p.mean_ms for p in told if p.mean_ms is not None]
    ceiling = _nice_ceiling(max(values, default=0))
    current: list[str]
    lines, current, dots, failures, data, rows = [], [], [], [], [], []
    words = _words_for_language()
    previous = None
    for point in told:
        hour_end = min(point.starts_at + timedelta(hours=1), end)
        middle = point.starts_at + (hour_end - point.starts_at) / 2
        x = round(WIDTH * (middle - start).total_seconds() / span, 1)
        if point.failures:
            left = WIDTH * (point.starts_at - start).total_seconds() / span
            right = WIDTH * (hour_end - start).total_seconds() / span
            failures.append((round(left, 1), round(max(right - left, 1.0), 1)))
        said = _words(point, tz, words)
        if point.mean_ms is None:
            if current:
                lines.append(current)
            current = []
            data.append([round(100 * x / WIDTH, 2), None, said])
        else:
            y = round(HEIGHT - HEIGHT * point.mean_ms / ceiling, 1)
            if previous is not None and point.starts_at - previous.starts_at > timedelta(hours=1) and current:
                lines.append(current)  # an hour without runs between: a gap
                current = []
            current.append(f"{x},{y}")
            dots.append(f"M{x},{y}h0")
            data.append([round(100 * x / WIDTH, 2), round(100 * y / HEIGHT, 2), said])
        previous = point if point.mean_ms is not None else None
        rows.append(_row(point, tz, words))
    if current:
        lines.append(current)
    paths = ["M" + " L".join(line) for line in lines if len(line) > 1]
    return Chart("data", WIDTH, HEIGHT, paths, "".join(dots), failures, ceiling,
                 sum(values) / len(values) if values else None, max(values, default=None), list(points), data,
                 _x_ticks(start, end, tz), [f"{ceiling} ms", f"{_half(ceiling)} ms", "0 ms"], rows,
                 start if points and start > points[0].starts_at else None)


class _Words:
    """A chart's words in one language, made once per process: an hour's label and row by its start (a
    week's chart has 168 of them, and Babel takes some 50 microseconds a date), the phrases split around
    their numbers."""

    def __init__(self) -> None:
        slot = "\x00"
        self.average = gettext("average %(mean)s ms", mean=slot).partition(slot)
        self.p95 = gettext("95th percentile %(p95)s ms", p95=slot).partition(slot)
        self.failed = gettext("%(count)s failed runs", count=slot).partition(slot)
        self.hours: dict[tuple, tuple[str, str]] = {}
        self.ticks: dict[tuple, str] = {}

    def tick(self, at: datetime, tz, as_time: bool) -> str:
        """A time-axis label: the local time ("2:00 PM"), or the day ("20 Nov")."""
        key = (at, tz, as_time)
        found = self.ticks.get(key)
        if found is None:
            if len(self.ticks) > 5000:
                self.ticks.clear()
            local = at.astimezone(tz)
            found = self.ticks[key] = format_time(local, "short") if as_time else format_date(local, "d MMM")
        return found

    def hour(self, starts_at: datetime, tz) -> tuple[str, str]:
        """("Nov 20, 2026, 2:00 PM–3:00 PM CET", "Nov 20, 2026, 2:00 PM") for the hour starting then."""
        found = self.hours.get((starts_at, tz))
        if found is None:
            if len(self.hours) > 5000:
                self.hours.clear()
            local = starts_at.astimezone(tz)
            day, start = format_date(local, "medium"), format_time(local, "short")
            found = self.hours[(starts_at, tz)] = (
                gettext("%(day)s, %(start)s–%(end)s %(zone)s", day=day, start=start,
                        end=format_time(local + timedelta(hours=1), "short"), zone=local.strftime("%Z")),
                f"{day}, {start}")
        return found


def _words_for_language() -> _Words:
    return _words_in(str(get_locale()))


@cache  # one per language of the site; _Words reads the current locale, which is `language`
def _words_in(language: str) -> _Words:
    return _Words()


def _words(point: LatencyPoint, tz, words: _Words) -> str:
    """"Nov 20, 14:00–15:00 CET: average 42 ms, 95th percentile 75 ms, 2 failed runs"."""
    parts = []
    if point.mean_ms is not None:
        parts.append(f"{words.average[0]}{round(point.mean_ms)}{words.average[2]}")
    if point.p95_ms is not None:
        parts.append(f"{words.p95[0]}{point.p95_ms}{words.p95[2]}")
    if point.failures:
        parts.append(f"{words.failed[0]}{point.failures}{words.failed[2]}")
    return f"{words.hour(point.starts_at, tz)[0]}: {', '.join(parts)}"


def _row(point: LatencyPoint, tz, words: _Words) -> tuple:
    return (words.hour(point.starts_at, tz)[1],
            "–" if point.mean_ms is None else f"{round(point.mean_ms)} ms",
            "–" if point.p95_ms is None else f"{point.p95_ms} ms", point.failures)


def _x_ticks(start: datetime, end: datetime, tz) -> list[tuple]:
    """At most MAX_TICKS labels on round local times (every 1, 2, 3, 6, 12 hours or 1, 2, 3, 7 days)."""
    span = (end - start).total_seconds()
    for hours in TICK_HOURS:
        if span / 3600 / hours > MAX_TICKS + 1:
            continue  # too many for sure: not worth walking the hours
        ticks = _ticks(start, end, tz, hours)
        if len(ticks) <= MAX_TICKS:
            break
    found = []
    words = _words_for_language()
    for at in ticks:
        x = 100 * (at - start).total_seconds() / span
        label = words.tick(at, tz, hours < 24)
        anchor = "start" if x < 4 else "end" if x > 96 else "middle"
        found.append((round(x, 2), label, anchor))
    return found


def _ticks(start: datetime, end: datetime, tz, hours: int) -> list[datetime]:
    local = start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    if hours >= 24:
        local = local.replace(hour=0)
    found = []
    while local.astimezone(timezone.utc) <= end:
        at = local.astimezone(timezone.utc)
        on_step = (local.hour % hours == 0) if hours < 24 else (local.toordinal() % (hours // 24) == 0)
        if at >= start and on_step:
            found.append(at)
        # Local days have 23 to 25 hours: step in wall-clock time, then read it again in the zone.
        local = (local.replace(tzinfo=None) + (timedelta(hours=1) if hours < 24 else timedelta(days=1))) \
            .replace(tzinfo=tz)
    return found


def _half(ceiling: int) -> str:
    return str(ceiling // 2) if ceiling % 2 == 0 else f"{ceiling / 2:g}"


def _nice_ceiling(value: float) -> int:
    for ceiling in (10, 20, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000, 30000, 60000):
        if value <= ceiling:
            return ceiling
    return int(value) + 1
