"""Language choice (?lang, cookie, Accept-Language, English) and how times and statuses read."""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal as babel_decimal
from babel.units import format_unit
from flask import Flask, current_app, g, request
from flask_babel import (
    format_date, format_time, format_timedelta, get_locale, gettext as _, lazy_gettext as _l, refresh,
)

from . import clock

LANG_COOKIE = "lang"
LANG_COOKIE_AGE = 365 * 24 * 3600

LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français"}

# Words of the contract, as people read them (the data keeps the contract's words).
COMPONENT_STATUS_LABELS = {
    "operational": _l("Operational"),
    "degraded_performance": _l("Degraded performance"),
    "partial_outage": _l("Partial outage"),
    "major_outage": _l("Major outage"),
    "under_maintenance": _l("Under maintenance"),
}
INCIDENT_STATUS_LABELS = {
    "investigating": _l("Investigating"),
    "identified": _l("Identified"),
    "monitoring": _l("Monitoring"),
    "resolved": _l("Resolved"),
    "postmortem": _l("Postmortem"),
    "scheduled": _l("Scheduled"),
    "in_progress": _l("In progress"),
    "verifying": _l("Verifying"),
    "completed": _l("Completed"),
}
IMPACT_LABELS = {
    "none": _l("No impact"),
    "minor": _l("Minor impact"),
    "major": _l("Major impact"),
    "critical": _l("Critical impact"),
}
INDICATOR_LABELS = {
    "none": _l("All systems operational"),
    "minor": _l("Minor service outage"),
    "major": _l("Partial system outage"),
    "critical": _l("Major service outage"),
    "maintenance": _l("Service under maintenance"),
}

# The support policy's plans and a ticket's environment (support/sla.py PLANS, ENVIRONMENTS), as the console
# shows them; the data, the API and the filters' values keep the contract's words.
PLAN_LABELS = {
    "basic": _l("Basic"),
    "professional": _l("Professional"),
    "advanced": _l("Advanced"),
}
ENVIRONMENT_LABELS = {
    "production": _l("Production"),
    "staging": _l("Staging"),
    "development": _l("Development"),
}


def choose_language(chosen: str | None, cookie: str | None, accept_languages, settings) -> str:
    """?lang= wins, then the lang cookie, then Accept-Language, then the default language."""
    for candidate in (chosen, cookie):
        if candidate is not None and candidate in settings.languages:
            return candidate
    return accept_languages.best_match(settings.languages) or settings.default_language


def page_settings():
    """The languages and time zone of the request's page (services/pages.py:PageView, put in the environ by
    web/page_choice.py), or the install's outside a page (the console, the CLI)."""
    if request:
        page = request.environ.get("statuspage.page")
        if page is not None:
            return page
    return current_app.config["SETTINGS"]


def select_language() -> str:
    return choose_language(request.args.get("lang"), request.cookies.get(LANG_COOKIE), request.accept_languages,
                           page_settings())


def select_timezone() -> str:
    settings = page_settings()
    return getattr(settings, "time_zone", None) or settings.timezone


def current_language() -> str:
    if "lang" not in g:
        g.lang = select_language()
    return g.lang


def speak(language: str) -> None:
    """Answer this request in `language` (a subscriber's own pages speak the subscriber's language)."""
    if language in current_app.config["SETTINGS"].languages:
        g.lang = language
        refresh()  # Flask-Babel keeps the locale it chose for the request: choose again


def remember_language(response):
    """Keep an explicit ?lang= choice in a cookie, so the next page speaks the same language."""
    chosen = request.args.get("lang")
    if chosen in current_app.config["SETTINGS"].languages and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=LANG_COOKIE_AGE, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def local_time(value: datetime | None) -> str:
    """A time in the site's zone and the reader's language, to the minute, always with the zone's name."""
    if value is None:
        return ""
    zone = value.astimezone(ZoneInfo(select_timezone())).strftime("%Z")  # the page's zone, as Babel's
    return f"{format_date(value, 'medium')}, {format_time(value, 'short')} {zone}"


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago (or how soon) an instant is, in the reader's language: "2 hours ago", "in 1 week".
    Babel rounds (50 minutes read "1 hour"); under a minute is "just now". Pages are cached for up to half
    a minute (web/cache.py), so nothing finer is shown."""
    if value is None:
        return ""
    delta = value - (now or clock.now())
    if abs(delta) < timedelta(minutes=1):
        return _("just now")
    return format_timedelta(delta, granularity="minute", add_direction=True)


DURATION_UNITS = (("duration-day", 86400), ("duration-hour", 3600), ("duration-minute", 60))


def duration(delta: timedelta | None) -> str:
    """An exact length in its two largest units, short: "2 hr 14 min", "2 Std. 14 Min.", "1 j 3 h".
    Under a minute counts as one minute: an incident that was opened and resolved took some time."""
    if delta is None:
        return ""
    minutes = max(1, int(delta.total_seconds() // 60))
    parts: list[tuple[int, str]] = []
    for unit, seconds in DURATION_UNITS:
        amount, minutes = divmod(minutes, seconds // 60)
        if amount or parts:
            parts.append((amount, unit))
    shown = [(amount, unit) for amount, unit in parts[:2] if amount]
    locale = get_locale()
    return " ".join(format_unit(amount, unit, length="short", locale=locale) for amount, unit in shown)


def hundredths(value: float) -> int:
    """A percentage in hundredths, rounded down (a shade above, so 63.75 computed as 63.7499999 stays 63.75)."""
    return math.floor(value * 100 + 1e-6)


def percent(value: float, locale: Locale | str | None = None) -> str:
    """An uptime share in the reader's notation (or locale's), rounded down: 99.999 shows as 99.99, never as a
    false 100. The one way a percentage is written: figures and bars (web/bar_views.py)."""
    return babel_decimal(Decimal(hundredths(value)).scaleb(-2), format="0.##", locale=locale or get_locale())


def score(value: float) -> str:
    """A match score in the reader's notation with two decimals ("0,61"), rounded as "%.2f" rounds the float
    (from its exact value: a stored 0.615 is a binary 0.61499…, so 0.61, as before)."""
    return babel_decimal(Decimal(value), format="0.00", locale=get_locale())


def init_app(app: Flask) -> None:
    app.after_request(remember_language)
    app.jinja_env.filters["score"] = score
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["timedelta"] = lambda delta: format_timedelta(delta, granularity="minute")
    app.jinja_env.filters["relative_time"] = relative_time
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.globals.update(
        COMPONENT_STATUS_LABELS=COMPONENT_STATUS_LABELS, INCIDENT_STATUS_LABELS=INCIDENT_STATUS_LABELS,
        IMPACT_LABELS=IMPACT_LABELS, INDICATOR_LABELS=INDICATOR_LABELS, LANGUAGE_NAMES=LANGUAGE_NAMES,
        PLAN_LABELS=PLAN_LABELS, ENVIRONMENT_LABELS=ENVIRONMENT_LABELS,
        current_language=current_language, percent=percent)
