"""Language choice (?lang, cookie, Accept-Language, English) and how times and statuses read."""
from __future__ import annotations

import math
from datetime import datetime

from flask import Flask, current_app, g, request
from flask_babel import format_date, format_decimal, format_time, format_timedelta, lazy_gettext as _l

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


def choose_language(chosen: str | None, cookie: str | None, accept_languages, settings) -> str:
    """?lang= wins, then the lang cookie, then Accept-Language, then the default language."""
    for candidate in (chosen, cookie):
        if candidate in settings.languages:
            return candidate
    return accept_languages.best_match(settings.languages) or settings.default_language


def select_language() -> str:
    return choose_language(request.args.get("lang"), request.cookies.get(LANG_COOKIE), request.accept_languages,
                           current_app.config["SETTINGS"])


def select_timezone() -> str:
    return current_app.config["SETTINGS"].timezone


def current_language() -> str:
    if "lang" not in g:
        g.lang = select_language()
    return g.lang


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
    zone = value.astimezone(current_app.config["SETTINGS"].tz).strftime("%Z")
    return f"{format_date(value, 'medium')}, {format_time(value, 'short')} {zone}"


def percent(value: float) -> str:
    """An uptime share in the reader's notation, rounded down: 99.999 shows as 99.99, never as a false 100."""
    return format_decimal(math.floor(value * 100) / 100, format="0.##")


def init_app(app: Flask) -> None:
    app.after_request(remember_language)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["timedelta"] = lambda delta: format_timedelta(delta, granularity="minute")
    app.jinja_env.globals.update(
        COMPONENT_STATUS_LABELS=COMPONENT_STATUS_LABELS, INCIDENT_STATUS_LABELS=INCIDENT_STATUS_LABELS,
        IMPACT_LABELS=IMPACT_LABELS, INDICATOR_LABELS=INDICATOR_LABELS, LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language, percent=percent)
