"""The public pages' times as HTML: `<time>` elements and "Resolved after 2 hr 14 min", each made once per
language and minute (or length) and kept for the process: a busy home page lists a hundred of them, and Babel
takes some 50 microseconds for each."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from ..i18n import duration, local_time
from ..services.page import PageIncident


class PageTimes:
    """The times of one page, in the site's zone; the language is looked up once per page."""

    def __init__(self, tz: ZoneInfo | None):
        self.tz = tz
        self._language: str | None = None

    def language(self) -> str:
        if self._language is None:
            self._language = str(get_locale())
        return self._language

    def when(self, instant: datetime) -> Markup:
        """<time> with the instant as i18n.local_time writes it, made once per language and minute: the
        page shows a hundred of them on a busy site, and Babel takes some 50 microseconds for each."""
        local = instant.astimezone(self.tz)
        words = _time_words(self.language(), local.tzname(), local.replace(second=0, microsecond=0))
        # To the second: the Nu validator allows at most three digits of a second's fraction.
        return Markup(f'<time datetime="{instant.isoformat(timespec="seconds")}">{words}</time>')

    def took(self, incident: PageIncident) -> Markup:
        """"Resolved after 2 hr 14 min" for a resolved incident (nothing for others), made once per language and
        length, as `when`: a busy site lists a hundred lines."""
        if incident.resolved_at is None or incident.is_maintenance:
            return Markup("")
        minutes = int((incident.resolved_at - incident.started_at).total_seconds() // 60)
        return Markup(f' · <span class="took">{_took_words(self.language(), minutes)}</span>')


# The language (and the zone's name) are part of the key, though the words are made in the current request's
# locale: a call always passes the language it runs in.
@lru_cache(maxsize=5000)
def _time_words(language: str, zone: str | None, minute: datetime) -> str:
    return str(escape(local_time(minute)))


@lru_cache(maxsize=5000)
def _took_words(language: str, minutes: int) -> str:
    return str(escape(gettext("Resolved after %(duration)s", duration=duration(timedelta(minutes=minutes)))))
