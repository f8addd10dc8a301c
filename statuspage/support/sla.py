"""The support promise: when the first response to a ticket is due.

The public contract promises a first response within a time that depends on the ticket's
priority, the customer's plan and the environment the ticket is about (the table in TARGETS).
Most targets count business hours (workdays in one time zone, public holidays excluded), and
that clock arithmetic is easy to get subtly wrong, so it lives here: pure, with no database or
app, and tested exhaustively.

All arithmetic is done on the UTC timeline; opening and closing are wall-clock times in the
calendar's zone on each day, so summer-time changes land where a person would expect them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

PLANS = ("basic", "professional", "advanced")
PRIORITIES = (1, 2, 3)
ENVIRONMENTS = ("production", "staging", "development")

DEFAULT_PRIORITY = 3
DEFAULT_PLAN = "basic"
_NON_PRODUCTION = ("staging", "development")


@dataclass(frozen=True)
class Target:
    """One cell of the promise table: so many hours, counted in business hours or round the clock."""

    hours: int
    business: bool  # True: business hours; False: 24/7 elapsed time


TARGETS: dict[tuple[int, str], Target | None] = {
    (1, "basic"): None,
    (2, "basic"): None,
    (3, "basic"): None,
    (1, "professional"): Target(3, business=True),
    (2, "professional"): Target(6, business=True),
    (3, "professional"): Target(9, business=True),
    (1, "advanced"): Target(1, business=False),
    (2, "advanced"): Target(3, business=True),
    (3, "advanced"): Target(6, business=True),
}

_HOURS = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
_SEARCH_DAYS = 3660  # looking further than ten years for a business day means the settings are wrong


def parse_hours(text: str) -> tuple[time, time]:
    """Read business hours written like '09:00-17:00' into (opens, closes)."""
    match = _HOURS.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"support hours must look like 09:00-17:00, not {text!r}")
    try:
        opens = time(int(match[1]), int(match[2]))
        closes = time(int(match[3]), int(match[4]))
    except ValueError:
        raise ValueError(f"support hours {text!r} name a time of day that does not exist") from None
    if closes <= opens:
        raise ValueError(f"support hours {text!r} must close after they open")
    return opens, closes


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    """One year's public holidays for a region, built on first use and then kept."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year))


@lru_cache(maxsize=64)
def _check_holiday_region(country: str, subdivision: str) -> None:
    """Raise ValueError for a region the holidays package has no calendar for (a good answer is kept:
    building the calendar reads translation files, and every ticket's due time builds one)."""
    try:
        holidays.country_holidays(country, subdiv=subdivision or None, years=())
    except (NotImplementedError, TypeError, AttributeError):  # how the holidays package says "no such region"
        region = f"{country!r} subdivision {subdivision!r}" if subdivision else repr(country)
        raise ValueError(f"no public-holiday calendar for country {region}") from None


def _utc(instant: datetime) -> datetime:
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise ValueError(f"expected a time-zone-aware datetime, not {instant!r}")
    return instant.astimezone(timezone.utc)


@dataclass(frozen=True)
class BusinessCalendar:
    """When the support desk is open: workdays, opening hours in one zone, minus public holidays."""

    zone: ZoneInfo
    opens: time
    closes: time
    holiday_country: str = "DE"
    holiday_subdivision: str = ""  # "" means nationwide holidays only
    workdays: frozenset[int] = frozenset(range(5))  # Monday=0

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening hours are wall-clock times; give the zone separately")
        if self.closes <= self.opens:
            raise ValueError(f"support hours must close after they open, not {self.opens}-{self.closes}")
        workdays = frozenset(self.workdays)
        if not workdays or not workdays <= frozenset(range(7)):
            raise ValueError(f"workdays must be weekday numbers 0..6 (Monday=0), not {sorted(workdays)}")
        object.__setattr__(self, "workdays", workdays)
        country = self.holiday_country.strip().upper() if isinstance(self.holiday_country, str) else self.holiday_country
        object.__setattr__(self, "holiday_country", country)
        object.__setattr__(self, "holiday_subdivision", self.holiday_subdivision or "")
        _check_holiday_region(self.holiday_country, self.holiday_subdivision)

    @classmethod
    def from_settings(cls, settings: Any) -> BusinessCalendar:
        """Build the calendar from the app settings; ValueError (one line) if a setting is wrong."""
        name = getattr(settings, "support_timezone", "Europe/Berlin")
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
            raise ValueError(f"unknown support time zone {name!r}") from None
        opens, closes = parse_hours(getattr(settings, "support_hours", "09:00-17:00"))
        return cls(zone, opens, closes,
                   holiday_country=getattr(settings, "holiday_country", "DE"),
                   holiday_subdivision=getattr(settings, "holiday_subdivision", "") or "")

    def is_business_day(self, day: date) -> bool:
        """A workday that is not a public holiday."""
        return (day.weekday() in self.workdays
                and day not in _holidays(self.holiday_country, self.holiday_subdivision, day.year))

    def is_open(self, instant: datetime) -> bool:
        """Whether the desk is open at this instant (opening included, closing excluded)."""
        instant = _utc(instant)
        day = instant.astimezone(self.zone).date()
        if not self.is_business_day(day):
            return False
        opening, closing = self._hours_of(day)
        return opening <= instant < closing

    def next_opening(self, instant: datetime) -> datetime:
        """When a clock started at this instant begins to run: the instant itself if open."""
        return self._next_opening(_utc(instant)).astimezone(self.zone)

    def add_business_hours(self, start: datetime, hours: float | int) -> datetime:
        """The instant when so many business hours have passed since start (closing time if they end there)."""
        if hours < 0:
            raise ValueError(f"business hours to add must not be negative, not {hours!r}")
        remaining = timedelta(hours=hours)
        current = self._next_opening(_utc(start))
        while True:  # one step per business day
            day = current.astimezone(self.zone).date()
            left_today = self._hours_of(day)[1] - current
            if remaining <= left_today:
                return (current + remaining).astimezone(self.zone)
            remaining -= left_today
            current = self._hours_of(self._next_business_day(day))[0]

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """Business seconds from start to end, for "time left" displays; 0 if end is not after start."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return 0.0
        total = timedelta()
        day, last = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
        while day <= last:
            if self.is_business_day(day):
                opening, closing = self._hours_of(day)
                overlap = min(end, closing) - max(start, opening)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total.total_seconds()

    def _hours_of(self, day: date) -> tuple[datetime, datetime]:
        """The day's opening and closing as UTC instants, from wall-clock times in the zone."""
        return (datetime.combine(day, self.opens, self.zone).astimezone(timezone.utc),
                datetime.combine(day, self.closes, self.zone).astimezone(timezone.utc))

    def _next_opening(self, instant: datetime) -> datetime:
        day = instant.astimezone(self.zone).date()
        if self.is_business_day(day):
            opening, closing = self._hours_of(day)
            if instant < closing:
                return max(instant, opening)
        return self._hours_of(self._next_business_day(day))[0]

    def _next_business_day(self, day: date) -> date:
        for _ in range(_SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_business_day(day):
                return day
        raise ValueError("no business day within ten years; check workdays and holiday settings")


def effective_priority(priority: int | None, environment: str | None) -> int:
    """The priority the promise uses: 3 if none given, and 3 for anything but production."""
    if priority is None:
        priority = DEFAULT_PRIORITY
    elif isinstance(priority, bool) or not isinstance(priority, int) or priority not in PRIORITIES:
        raise ValueError(f"priority must be 1, 2 or 3, not {priority!r}")
    if environment is not None and environment not in ENVIRONMENTS:
        raise ValueError(f"environment must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")
    return DEFAULT_PRIORITY if environment in _NON_PRODUCTION else priority


def first_response_due(arrived: datetime, priority: int | None, plan: str | None,
                       environment: str | None, calendar: BusinessCalendar) -> datetime | None:
    """When the first response to a ticket is due, in the calendar's zone; None if the plan promises none."""
    arrived = _utc(arrived)
    plan = DEFAULT_PLAN if plan is None else plan
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {', '.join(PLANS)}, not {plan!r}")
    target = TARGETS[(effective_priority(priority, environment), plan)]
    if target is None:
        return None
    if target.business:
        return calendar.add_business_hours(arrived, target.hours)
    return (arrived + timedelta(hours=target.hours)).astimezone(calendar.zone)
