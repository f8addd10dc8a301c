"""The support promise: first-response due times by priority, plan, environment and business hours.

Expected times are written out by hand in Europe/Berlin wall-clock time. 2026 has these nationwide
German holidays on weekdays: Jan 1, Good Friday Apr 3, Easter Monday Apr 6, May 1, Ascension May 14,
Whit Monday May 25, Dec 25 (Oct 3 and Dec 26 fall on a Saturday; Dec 24 is no holiday).
The week of Monday 2026-06-08 has no holiday and serves as the plain week.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from itertools import product
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from statuspage.support.sla import (
    ENVIRONMENTS, PLANS, PRIORITIES, TARGETS, BusinessCalendar, Target, effective_priority,
    first_response_due, parse_hours,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = timezone.utc
CALENDAR = BusinessCalendar(BERLIN, time(9), time(17))
BAVARIA = BusinessCalendar(BERLIN, time(9), time(17), holiday_subdivision="BY")


def at(text: str, fold: int = 0) -> datetime:
    """A Berlin wall-clock time, e.g. at("2026-06-08 10:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN, fold=fold)


def assert_due(actual: datetime | None, expected: datetime) -> None:
    """Same wall-clock time and same UTC offset in Berlin (so also the same instant)."""
    assert actual is not None
    assert actual.tzinfo is not None and getattr(actual.tzinfo, "key", None) == "Europe/Berlin"
    assert (actual.replace(tzinfo=None).isoformat(), actual.utcoffset()) == \
        (expected.replace(tzinfo=None).isoformat(), expected.utcoffset())


def due(arrived: str | datetime, priority: int | None = 1, plan: str | None = "professional",
        environment: str | None = "production", calendar: BusinessCalendar = CALENDAR) -> datetime | None:
    return first_response_due(at(arrived) if isinstance(arrived, str) else arrived,
                              priority, plan, environment, calendar)


# --- the table ------------------------------------------------------------------------------------

def test_the_table_is_the_public_contract():
    assert TARGETS == {
        (1, "basic"): None, (1, "professional"): Target(3, True), (1, "advanced"): Target(1, False),
        (2, "basic"): None, (2, "professional"): Target(6, True), (2, "advanced"): Target(3, True),
        (3, "basic"): None, (3, "professional"): Target(9, True), (3, "advanced"): Target(6, True),
    }
    assert set(TARGETS) == set(product(PRIORITIES, PLANS))
    assert PLANS == ("basic", "professional", "advanced")
    assert PRIORITIES == (1, 2, 3)
    assert ENVIRONMENTS == ("production", "staging", "development")


@pytest.mark.parametrize("priority, plan, expected", [
    (1, "professional", "2026-06-08 13:00"),  # 3 business hours
    (2, "professional", "2026-06-08 16:00"),  # 6 business hours
    (3, "professional", "2026-06-09 11:00"),  # 9 business hours: 7 on Monday, 2 on Tuesday
    (1, "advanced", "2026-06-08 11:00"),      # 1 hour, 24/7
    (2, "advanced", "2026-06-08 13:00"),      # 3 business hours
    (3, "advanced", "2026-06-08 16:00"),      # 6 business hours
])
def test_every_promised_cell_from_monday_ten_o_clock(priority, plan, expected):
    assert_due(due("2026-06-08 10:00", priority, plan), at(expected))


@pytest.mark.parametrize("priority", [1, 2, 3, None])
@pytest.mark.parametrize("arrived", ["2026-06-08 10:00", "2026-06-13 03:00", "2026-12-25 12:00"])
def test_basic_plans_get_no_guaranteed_time(priority, arrived):
    assert due(arrived, priority, "basic") is None


def test_a_missing_plan_is_basic():
    assert due("2026-06-08 10:00", 1, None) is None


# --- advanced priority 1: one elapsed hour, day and night -----------------------------------------

@pytest.mark.parametrize("arrived, expected", [
    ("2026-06-08 03:00", "2026-06-08 04:00"),  # Monday night
    ("2026-06-13 23:30", "2026-06-14 00:30"),  # Saturday night into Sunday
    ("2026-06-12 16:30", "2026-06-12 17:30"),  # past closing is fine for 24/7
    ("2026-12-25 12:00", "2026-12-25 13:00"),  # Christmas Day
])
def test_advanced_priority_one_is_one_hour_round_the_clock(arrived, expected):
    assert_due(due(arrived, 1, "advanced"), at(expected))


def test_advanced_priority_one_across_the_spring_change_is_one_real_hour():
    result = due("2026-03-29 01:30", 1, "advanced")  # 01:30 CET; 02:00 jumps to 03:00 CEST
    assert_due(result, at("2026-03-29 03:30"))
    assert result.utcoffset() == timedelta(hours=2)
    assert utc(result) - utc(at("2026-03-29 01:30")) == timedelta(hours=1)  # same-zone subtraction is wall time


def test_advanced_priority_one_across_the_autumn_change_is_one_real_hour():
    first_half_past_two = at("2026-10-25 02:30", fold=0)  # CEST, before the clocks go back
    result = due(first_half_past_two, 1, "advanced")
    assert_due(result, at("2026-10-25 02:30", fold=1))  # the same wall time again, now CET
    assert result.astimezone(UTC) - first_half_past_two.astimezone(UTC) == timedelta(hours=1)
    assert_due(due("2026-10-25 01:30", 1, "advanced"), at("2026-10-25 02:30", fold=0))


# --- when the clock starts ------------------------------------------------------------------------

@pytest.mark.parametrize("arrived, expected", [
    ("2026-06-08 07:00", "2026-06-08 12:00"),  # before hours: starts at 09:00
    ("2026-06-08 09:00", "2026-06-08 12:00"),  # exactly opening counts as inside
    ("2026-06-08 11:20", "2026-06-08 14:20"),  # during hours
    ("2026-06-08 16:59", "2026-06-09 11:59"),  # one minute today, the rest tomorrow
    ("2026-06-08 17:00", "2026-06-09 12:00"),  # exactly closing counts as outside
    ("2026-06-08 18:00", "2026-06-09 12:00"),  # after hours: next morning
    ("2026-06-08 23:59", "2026-06-09 12:00"),
    ("2026-06-09 00:00", "2026-06-09 12:00"),
    ("2026-06-12 16:00", "2026-06-15 11:00"),  # Friday afternoon spills into Monday
    ("2026-06-12 17:00", "2026-06-15 12:00"),  # Friday at closing
    ("2026-06-13 10:00", "2026-06-15 12:00"),  # Saturday
    ("2026-06-14 23:59", "2026-06-15 12:00"),  # Sunday night
])
def test_professional_priority_one_clock_start(arrived, expected):
    assert_due(due(arrived, 1, "professional"), at(expected))


@pytest.mark.parametrize("arrived, priority, plan, expected", [
    ("2026-06-08 14:00", 1, "professional", "2026-06-08 17:00"),  # uses the last minute: 17:00, not Tue 09:00
    ("2026-06-08 15:00", 1, "professional", "2026-06-09 10:00"),
    ("2026-06-08 11:00", 2, "professional", "2026-06-08 17:00"),
    ("2026-06-08 09:00", 3, "professional", "2026-06-09 10:00"),
    ("2026-06-08 11:00", 3, "advanced", "2026-06-08 17:00"),
    ("2026-06-12 16:00", 3, "professional", "2026-06-15 17:00"),  # 9 hours from Friday 16:00: 1 + 8
    ("2026-06-11 17:00", 3, "professional", "2026-06-15 10:00"),  # Thursday closing: Fri 8 + Mon 1
])
def test_a_deadline_using_up_the_day_ends_at_closing_time(arrived, priority, plan, expected):
    assert_due(due(arrived, priority, plan), at(expected))


@pytest.mark.parametrize("start, hours, expected", [
    ("2026-06-12 16:00", 40, "2026-06-19 16:00"),   # a whole week of business hours
    ("2026-06-08 09:00", 8, "2026-06-08 17:00"),
    ("2026-06-08 09:00", 0.25, "2026-06-08 09:15"),
    ("2026-06-08 07:00", 0, "2026-06-08 09:00"),     # nothing to add: the next opening
    ("2026-06-08 10:00", 0, "2026-06-08 10:00"),
    ("2026-04-02 09:00", 40, "2026-04-10 17:00"),    # across Easter (Good Friday, Easter Monday)
    ("2026-12-23 09:00", 41, "2026-12-31 10:00"),    # across Christmas
    ("2026-12-23 09:00", 49, "2027-01-04 10:00"),    # ... and New Year's Day 2027 (a Friday)
])
def test_adding_business_hours_over_several_days(start, hours, expected):
    assert_due(CALENDAR.add_business_hours(at(start), hours), at(expected))


# --- holidays -------------------------------------------------------------------------------------

def test_the_2026_weekday_holidays_are_the_nationwide_german_ones():
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    closed_weekdays = {day for day in days if day.weekday() < 5 and not CALENDAR.is_business_day(day)}
    assert closed_weekdays == {date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1),
                               date(2026, 5, 14), date(2026, 5, 25), date(2026, 12, 25)}
    assert not any(CALENDAR.is_business_day(day) for day in days if day.weekday() >= 5)


@pytest.mark.parametrize("day, is_holiday", [
    (date(2026, 12, 24), False), (date(2026, 12, 25), True), (date(2026, 12, 26), True),
    (date(2026, 10, 3), True), (date(2026, 4, 3), True), (date(2026, 4, 6), True),
    (date(2026, 5, 1), True), (date(2026, 5, 14), True), (date(2026, 5, 25), True),
    (date(2026, 1, 6), False),
])
def test_the_dates_the_holidays_package_gives_for_germany(day, is_holiday):
    assert (day in holidays.country_holidays("DE", subdiv=None, years=2026)) is is_holiday


@pytest.mark.parametrize("arrived, expected", [
    ("2026-12-24 16:00", "2026-12-28 11:00"),  # Christmas Eve is a workday; 25th holiday, 26th Saturday
    ("2026-04-02 16:00", "2026-04-07 11:00"),  # Good Friday and Easter Monday
    ("2026-04-03 10:00", "2026-04-07 12:00"),  # arriving on Good Friday
    ("2026-04-30 16:00", "2026-05-04 11:00"),  # May 1 is a Friday
    ("2026-05-13 16:00", "2026-05-15 11:00"),  # Ascension Day
    ("2026-05-22 16:00", "2026-05-26 11:00"),  # Whit Monday
    ("2026-10-02 16:00", "2026-10-05 11:00"),  # German Unity Day is a Saturday in 2026: nothing extra
    ("2025-12-31 16:00", "2026-01-02 11:00"),  # New Year's Day, across the year boundary
])
def test_holidays_do_not_count(arrived, expected):
    assert_due(due(arrived, 1, "professional"), at(expected))


@pytest.mark.parametrize("arrived, expected", [
    ("2026-12-24 15:00", "2026-12-28 16:00"),  # 2 hours Thursday, 7 on Monday
    ("2026-04-02 15:00", "2026-04-07 16:00"),  # 2 hours Thursday, 7 on Tuesday after Easter
])
def test_nine_business_hours_over_a_holiday_run(arrived, expected):
    assert_due(due(arrived, 3, "professional"), at(expected))


def test_a_subdivision_adds_its_own_holidays():
    assert CALENDAR.is_business_day(date(2026, 1, 6))
    assert not BAVARIA.is_business_day(date(2026, 1, 6))  # Epiphany, Bavaria only
    assert_due(due("2026-01-05 16:00", 1, "professional", calendar=CALENDAR), at("2026-01-06 11:00"))
    assert_due(due("2026-01-05 16:00", 1, "professional", calendar=BAVARIA), at("2026-01-07 11:00"))


# --- summer time ----------------------------------------------------------------------------------

def test_spring_change_over_the_weekend_keeps_wall_clock_hours():
    result = due("2026-03-27 15:00", 3, "professional")  # Friday CET, +01:00
    assert_due(result, at("2026-03-30 16:00"))            # Monday CEST, +02:00
    assert result.utcoffset() == timedelta(hours=2)
    assert CALENDAR.business_seconds_between(at("2026-03-27 16:00"), at("2026-03-30 10:00")) == 7200


def test_autumn_change_over_the_weekend_keeps_wall_clock_hours():
    result = due("2026-10-23 15:00", 3, "professional")  # Friday CEST, +02:00
    assert_due(result, at("2026-10-26 16:00"))            # Monday CET, +01:00
    assert result.utcoffset() == timedelta(hours=1)
    assert CALENDAR.business_seconds_between(at("2026-10-23 16:00"), at("2026-10-26 10:00")) == 7200


def test_opening_hours_that_contain_the_change_follow_the_wall_clock():
    night_desk = BusinessCalendar(BERLIN, time(1), time(5), workdays=frozenset(range(7)))
    # 01:00-05:00 lasts 3 real hours on the spring day and 5 on the autumn day.
    assert night_desk.business_seconds_between(at("2026-03-29 00:00"), at("2026-03-29 12:00")) == 3 * 3600
    assert night_desk.business_seconds_between(at("2026-10-25 00:00"), at("2026-10-25 12:00")) == 5 * 3600
    assert_due(night_desk.add_business_hours(at("2026-03-29 01:00"), 3), at("2026-03-29 05:00"))
    assert_due(night_desk.add_business_hours(at("2026-03-29 01:00"), 4), at("2026-03-30 02:00"))
    assert_due(night_desk.add_business_hours(at("2026-10-25 01:00"), 5), at("2026-10-25 05:00"))
    assert_due(night_desk.add_business_hours(at("2026-10-25 01:00"), 1.5), at("2026-10-25 02:30", fold=0))
    assert_due(night_desk.add_business_hours(at("2026-10-25 01:00"), 2.5), at("2026-10-25 02:30", fold=1))


# --- priority and environment ---------------------------------------------------------------------

@pytest.mark.parametrize("priority, environment, expected", [
    (1, "production", 1), (2, "production", 2), (3, "production", 3),
    (1, None, 1), (2, None, 2),
    (1, "staging", 3), (2, "staging", 3), (3, "staging", 3),
    (1, "development", 3), (2, "development", 3),
    (None, "production", 3), (None, None, 3), (None, "staging", 3),
])
def test_effective_priority(priority, environment, expected):
    assert effective_priority(priority, environment) == expected


@pytest.mark.parametrize("environment", ["staging", "development"])
def test_staging_and_development_tickets_are_priority_three(environment):
    assert_due(due("2026-06-08 10:00", 1, "professional", environment), at("2026-06-09 11:00"))
    assert_due(due("2026-06-08 10:00", 1, "advanced", environment), at("2026-06-08 16:00"))
    assert_due(due("2026-06-08 10:00", 2, "advanced", environment), at("2026-06-08 16:00"))


def test_a_missing_priority_is_priority_three():
    assert_due(due("2026-06-08 10:00", None, "professional"), at("2026-06-09 11:00"))
    assert_due(due("2026-06-08 10:00", None, "advanced"), at("2026-06-08 16:00"))


@pytest.mark.parametrize("priority", [0, 4, -1, "1", 1.0, True])
def test_a_priority_outside_one_to_three_is_refused(priority):
    with pytest.raises(ValueError):
        effective_priority(priority, "production")
    with pytest.raises(ValueError):
        due("2026-06-08 10:00", priority, "basic")


def test_unknown_plans_and_environments_are_refused():
    with pytest.raises(ValueError, match="plan"):
        due("2026-06-08 10:00", 1, "enterprise")
    with pytest.raises(ValueError, match="environment"):
        due("2026-06-08 10:00", 1, "professional", "prod")


# --- other zones ----------------------------------------------------------------------------------

@pytest.mark.parametrize("arrived, expected", [
    (datetime(2026, 6, 8, 8, 0, tzinfo=UTC), "2026-06-08 13:00"),        # = Berlin 10:00 CEST
    (datetime(2026, 6, 8, 4, 0, tzinfo=NEW_YORK), "2026-06-08 13:00"),   # = Berlin 10:00 CEST
    (datetime(2026, 1, 12, 8, 0, tzinfo=UTC), "2026-01-12 12:00"),       # = Berlin 09:00 CET
    (datetime(2026, 1, 12, 3, 0, tzinfo=NEW_YORK), "2026-01-12 12:00"),  # = Berlin 09:00 CET
    (datetime(2026, 6, 12, 20, 0, tzinfo=NEW_YORK), "2026-06-15 12:00"),  # Friday in New York, Saturday in Berlin
    (datetime(2026, 6, 14, 22, 0, tzinfo=NEW_YORK), "2026-06-15 12:00"),  # Sunday in New York, Monday 04:00 in Berlin
])
def test_a_ticket_from_another_zone_is_the_same_instant(arrived, expected):
    assert_due(due(arrived, 1, "professional"), at(expected))
    assert_due(due(arrived.astimezone(BERLIN), 1, "professional"), at(expected))


def test_naive_datetimes_are_refused():
    naive = datetime(2026, 6, 8, 10, 0)
    for call in (lambda: due(naive), lambda: CALENDAR.is_open(naive), lambda: CALENDAR.next_opening(naive),
                 lambda: CALENDAR.add_business_hours(naive, 1),
                 lambda: CALENDAR.business_seconds_between(naive, at("2026-06-09 10:00"))):
        with pytest.raises(ValueError, match="aware"):
            call()


# --- the calendar's smaller parts -----------------------------------------------------------------

@pytest.mark.parametrize("instant, is_open", [
    ("2026-06-08 08:59:59", False), ("2026-06-08 09:00", True), ("2026-06-08 16:59:59", True),
    ("2026-06-08 17:00", False), ("2026-06-13 12:00", False), ("2026-05-14 12:00", False),
])
def test_is_open(instant, is_open):
    assert CALENDAR.is_open(at(instant)) is is_open


@pytest.mark.parametrize("instant, expected", [
    ("2026-06-08 10:30", "2026-06-08 10:30"), ("2026-06-08 06:00", "2026-06-08 09:00"),
    ("2026-06-08 17:00", "2026-06-09 09:00"), ("2026-06-13 12:00", "2026-06-15 09:00"),
    ("2026-04-02 17:30", "2026-04-07 09:00"),
])
def test_next_opening(instant, expected):
    assert_due(CALENDAR.next_opening(at(instant)), at(expected))


@pytest.mark.parametrize("start, end, seconds", [
    ("2026-06-08 10:00", "2026-06-08 12:00", 7200),
    ("2026-06-08 16:00", "2026-06-09 10:00", 7200),     # overnight
    ("2026-06-12 16:00", "2026-06-15 10:00", 7200),     # over a weekend
    ("2026-06-08 07:00", "2026-06-08 20:00", 8 * 3600),
    ("2026-04-02 16:00", "2026-04-07 10:00", 7200),     # over Easter
    ("2026-06-08 12:00", "2026-06-08 12:00", 0),
    ("2026-06-08 12:00", "2026-06-08 10:00", 0),        # end before start
])
def test_business_seconds_between(start, end, seconds):
    assert CALENDAR.business_seconds_between(at(start), at(end)) == seconds


def test_negative_hours_are_refused():
    with pytest.raises(ValueError):
        CALENDAR.add_business_hours(at("2026-06-08 10:00"), -1)


@pytest.mark.parametrize("text, expected", [
    ("09:00-17:00", (time(9), time(17))),
    ("8:30 - 16:45", (time(8, 30), time(16, 45))),
    (" 00:00-23:59 ", (time(0), time(23, 59))),
])
def test_parse_hours(text, expected):
    assert parse_hours(text) == expected


@pytest.mark.parametrize("text", [
    "", "9-17", "09:00", "09:00-17", "nine to five", "17:00-09:00", "09:00-09:00",
    "25:00-26:00", "09:60-17:00", "09:00-24:00", "09:00-17:00 daily", None,
])
def test_parse_hours_refuses_bad_input_in_one_line(text):
    with pytest.raises(ValueError) as error:
        parse_hours(text)
    assert "\n" not in str(error.value)


def test_from_settings():
    calendar = BusinessCalendar.from_settings(SimpleNamespace(
        support_timezone="Europe/Vienna", support_hours="08:00-16:30",
        holiday_country="AT", holiday_subdivision="9"))
    assert calendar == BusinessCalendar(ZoneInfo("Europe/Vienna"), time(8), time(16, 30), "AT", "9")
    assert BusinessCalendar.from_settings(SimpleNamespace(
        support_timezone="Europe/Berlin", support_hours="09:00-17:00",
        holiday_country="DE", holiday_subdivision="")) == CALENDAR


def test_from_settings_without_support_settings_uses_the_contract_defaults():
    assert BusinessCalendar.from_settings(SimpleNamespace()) == CALENDAR


def test_a_lower_case_country_code_is_accepted():
    assert BusinessCalendar(BERLIN, time(9), time(17), holiday_country="de") == CALENDAR


@pytest.mark.parametrize("overrides, message", [
    ({"support_timezone": "Mars/Olympus_Mons"}, "time zone"),
    ({"support_timezone": ""}, "time zone"),
    ({"support_hours": "17:00-09:00"}, "close after"),
    ({"holiday_country": "XX"}, "holiday"),
    ({"holiday_country": ""}, "holiday"),
    ({"holiday_subdivision": "ZZ"}, "holiday"),
])
def test_from_settings_refuses_bad_settings_in_one_line(overrides, message):
    values = {"support_timezone": "Europe/Berlin", "support_hours": "09:00-17:00",
              "holiday_country": "DE", "holiday_subdivision": "", **overrides}
    with pytest.raises(ValueError, match=message) as error:
        BusinessCalendar.from_settings(SimpleNamespace(**values))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("arguments", [
    {"holiday_country": "XX"}, {"holiday_subdivision": "ZZ"}, {"opens": time(17), "closes": time(9)},
    {"workdays": frozenset()}, {"workdays": frozenset({7})},
])
def test_construction_refuses_a_bad_calendar(arguments):
    values = {"zone": BERLIN, "opens": time(9), "closes": time(17), **arguments}
    with pytest.raises(ValueError):
        BusinessCalendar(**values)


# --- properties -----------------------------------------------------------------------------------

ZONES = st.sampled_from([BERLIN, UTC, NEW_YORK, ZoneInfo("Asia/Kolkata")])
ARRIVALS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31),
                        timezones=ZONES, allow_imaginary=False)
HOURS = st.floats(min_value=0.25, max_value=40, allow_nan=False, allow_infinity=False)
QUICK = hypothesis_settings(max_examples=150, deadline=None, database=None)


def utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


@QUICK
@given(ARRIVALS, HOURS)
def test_property_due_is_inside_business_hours_and_not_before_arrival(arrived, hours):
    result = CALENDAR.add_business_hours(arrived, hours)
    assert result.tzinfo is BERLIN
    assert CALENDAR.is_business_day(result.date())
    assert time(9) < result.time() <= time(17)
    assert utc(result) > utc(arrived)


@QUICK
@given(ARRIVALS)
def test_property_adding_nothing_gives_the_next_opening(arrived):
    result = CALENDAR.add_business_hours(arrived, 0)
    assert utc(result) == utc(CALENDAR.next_opening(arrived)) >= utc(arrived)
    if CALENDAR.is_open(arrived):
        assert utc(result) == utc(arrived)
    else:
        assert result.time() == time(9) and CALENDAR.is_business_day(result.date())


@QUICK
@given(ARRIVALS, ARRIVALS, HOURS)
def test_property_a_later_start_never_gives_an_earlier_due(first, second, hours):
    earlier, later = sorted([first, second], key=utc)
    assert utc(CALENDAR.add_business_hours(earlier, hours)) <= utc(CALENDAR.add_business_hours(later, hours))


@QUICK
@given(ARRIVALS, HOURS, HOURS)
def test_property_more_hours_never_give_an_earlier_due(arrived, first, second):
    fewer, more = sorted([first, second])
    assert utc(CALENDAR.add_business_hours(arrived, fewer)) <= utc(CALENDAR.add_business_hours(arrived, more))


@QUICK
@given(ARRIVALS, HOURS)
def test_property_business_seconds_between_measures_what_was_added(arrived, hours):
    for start in (arrived, CALENDAR.next_opening(arrived)):  # any start, and an open one
        result = CALENDAR.add_business_hours(start, hours)
        assert abs(CALENDAR.business_seconds_between(start, result) - hours * 3600) < 1


@QUICK
@given(ARRIVALS, ARRIVALS, ARRIVALS)
def test_property_business_seconds_add_up_over_consecutive_spans(first, second, third):
    a, b, c = sorted([first, second, third], key=utc)
    whole = CALENDAR.business_seconds_between(a, c)
    assert whole == pytest.approx(CALENDAR.business_seconds_between(a, b)
                                  + CALENDAR.business_seconds_between(b, c), abs=1e-3)
    assert whole <= (utc(c) - utc(a)).total_seconds()


@QUICK
@given(ARRIVALS, st.sampled_from(PRIORITIES + (None,)), st.sampled_from(PLANS + (None,)),
       st.sampled_from(ENVIRONMENTS + (None,)), ZONES)
def test_property_first_response_due_follows_the_table(arrived, priority, plan, environment, zone):
    result = first_response_due(arrived, priority, plan, environment, CALENDAR)
    assert first_response_due(arrived.astimezone(zone), priority, plan, environment, CALENDAR) == result
    target = TARGETS[(effective_priority(priority, environment), plan or "basic")]
    if target is None:
        assert result is None
    elif target.business:
        assert utc(result) == utc(CALENDAR.add_business_hours(arrived, target.hours))
        assert CALENDAR.business_seconds_between(arrived, result) == target.hours * 3600
    else:
        assert result.tzinfo is BERLIN
        assert utc(result) - utc(arrived) == timedelta(hours=1)


def count_open_minutes(start: datetime, minutes: int) -> datetime:
    """Brute force for comparison: walk minute by minute until enough open minutes have passed."""
    instant = utc(start)
    counted = 0
    while True:
        if CALENDAR.is_open(instant):
            counted += 1
            if counted == minutes:
                return instant + timedelta(minutes=1)
        instant += timedelta(minutes=1)


@hypothesis_settings(max_examples=30, deadline=None, database=None)
@given(ARRIVALS.map(lambda instant: instant.replace(second=0, microsecond=0)), st.integers(1, 600))
def test_property_agrees_with_walking_minute_by_minute(arrived, minutes):
    assert utc(CALENDAR.add_business_hours(arrived, minutes / 60)) == count_open_minutes(arrived, minutes)
