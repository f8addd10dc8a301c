"""Response-time charts drawn on the server as SVG: no chart library, no script, no third party."""
from __future__ import annotations

from dataclasses import dataclass

from ..services.uptime import LatencyPoint

WIDTH, HEIGHT, TOP, BOTTOM = 720, 160, 10, 20


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[str]          # SVG path data, one per stretch of hours that have data
    failures: list[tuple]     # (x, width) of hours with failed runs
    ceiling_ms: int           # the value at the top of the chart
    mean_ms: float | None
    slowest_ms: float | None
    points: list[LatencyPoint]

    @property
    def has_data(self) -> bool:
        return bool(self.lines)


def latency_chart(points: list[LatencyPoint]) -> Chart:
    """Mean latency per hour as a line (gaps where nothing ran), failed hours as marks along the bottom."""
    values = [p.mean_ms for p in points if p.mean_ms is not None]
    ceiling = _nice_ceiling(max(values, default=0))
    step = WIDTH / max(len(points), 1)
    plot = HEIGHT - TOP - BOTTOM
    lines, current, failures = [], [], []
    for index, point in enumerate(points):
        x = round(index * step + step / 2, 1)
        if point.mean_ms is None:
            if current:
                lines.append(current)
            current = []
        else:
            y = round(TOP + plot - plot * point.mean_ms / ceiling, 1)
            current.append(f"{x},{y}")
        if point.failures:
            failures.append((round(index * step, 1), round(step, 1)))
    if current:
        lines.append(current)
    paths = [("M" + " L".join(line)) if len(line) > 1 else f"M{line[0]} h0.1" for line in lines]
    return Chart(WIDTH, HEIGHT, paths, failures, ceiling,
                 sum(values) / len(values) if values else None, max(values, default=None), points)


def _nice_ceiling(value: float) -> int:
    for ceiling in (10, 20, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000, 30000, 60000):
        if value <= ceiling:
            return ceiling
    return int(value) + 1
