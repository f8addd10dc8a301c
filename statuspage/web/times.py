"""The public pages' times as HTML: `<time>` elements and "Resolved after 2 hr 14 min", each made once per
language and minute (or length) and kept for the process: a busy home page lists a hundred of them, and Babel
takes some 50 microseconds for each."""
from __future__ import annotations

from datetime import datetime, timedelta
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
        language = self.language()
        local = instant.astimezone(self.tz)
        key = (language, local.date(), local.hour, local.minute, local.tzname())
        words = _TIMES.get(key)
        if words is None:
            if len(_TIMES) > 5000:
                _TIMES.clear()
            words = _TIMES[key] = str(escape(local_time(instant)))
        # To the second: the Nu validator allows at most three digits of a second's fraction.
        return Markup(f'<time datetime="{instant.isoformat(timespec="seconds")}">{words}</time>')

    def took(self, incident: PageIncident) -> Markup:
        """"Resolved after 2 hr 14 min" for a resolved incident (nothing for others), made once per language and
        length, as `when`: a busy site lists a hundred lines."""
        if incident.resolved_at is None or incident.is_maintenance:
            return Markup("")
        language = self.language()
        minutes = int((incident.resolved_at - incident.started_at).total_seconds() // 60)
        words = _TOOK.get((language, minutes))
        if words is None:
            if len(_TOOK) > 5000:
                _TOOK.clear()
            words = _TOOK[language, minutes] = str(escape(
                gettext("Resolved after %(duration)s", duration=duration(timedelta(minutes=minutes)))))
        return Markup(f' · <span class="took">{words}</span>')


_TIMES: dict[tuple, str] = {}
_TOOK: dict[tuple, str] = {}
