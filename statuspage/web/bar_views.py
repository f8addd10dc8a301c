"""The uptime bars' HTML: one string per component, built in Python rather than by a Jinja loop.

The home page shows 200 bars of up to 90 parts, and a template spends microseconds on each expression
and translation. What can be said once per language (the phrases, each day's date, each percentage) is
worked out once per process and looked up once per page; the HTML of a bar's past days is made once per
kept entry (bars.PastEntry) and language, so a page adds only today's part and the legend to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache

from babel.units import format_unit
from flask_babel import format_date, get_locale, gettext
from markupsafe import Markup, escape

from ..i18n import hundredths, percent
from ..services.bar_days import DayBar, UptimeBar, day_level
from ..services.bars import PastEntry
from ..services.uptime import Counts
from ..system_text import in_language


@dataclass(frozen=True)
class BarView:
    """A component's uptime bar as the pages show it (the bars of one page share their words), with the
    kept entry of its past days when there is one."""

    bar: UptimeBar
    words: PageWords = field(default_factory=lambda: PageWords())
    past: PastEntry | None = None

    @property
    def days(self) -> list[DayBar]:
        return self.bar.days

    @property
    def total(self) -> Counts:
        return self.bar.total

    def html(self, name: str) -> Markup:
        """The bar: an ordered list named after the component, a part per eventful day and per run of quiet
        days (a wider part: as many of the 90 columns as it has days), each with the words its hover or
        focus shows (date or dates, uptime, time in trouble, the incidents). One tab stop per bar, today's
        part: the arrow keys move between the parts (static/uptime.js, a roving tabindex). Then the
        legend, whose uptime is over the time the bar measured.

        The past days' parts are the same on every request but their last, when it is a run of quiet days
        that today may lengthen: with a kept entry their HTML is made once, up to that run."""
        words = self.words.get()
        labels = self.words.labels(self.bar.dates)
        parts = self.bar.parts
        if self.past is None:
            html = _head(words, name) + _parts(words, labels, parts[:-1]) + _parts(words, labels, parts[-1:], True)
        else:
            key = (words.language, name)
            made = self.past.html.get(key)
            if made is None:
                past = self.past.days.parts
                kept = len(past) - 1 if past and past[-1][2] is None and not past[-1][3] and past[-1][5] is None \
                    else len(past)
                made = self.past.html[key] = (_head(words, name) + _parts(words, labels, past[:kept]), kept)
            head, kept = made
            html = head + _parts(words, labels, parts[kept:-1]) + _parts(words, labels, parts[-1:], True)
        return Markup(f'{html}</ol>\n<p class="bars-legend"><span>{words.days_ago}</span>\n'
                      f'<span>{words.overall(self.bar)}</span>\n<span>{words.today}</span></p>\n</div>')


def _head(words: BarWords, name: str) -> str:
    return (f'<div class="uptime">\n<ol class="bars" aria-label="{words.label_before}{escape(name)}{words.label_after}"'
            ' aria-describedby="bars-keys">')


def _parts(words: BarWords, labels: list[str], parts: list[tuple], focus: bool = False) -> str:
    """The <li> of these parts (UptimeBar.parts); with focus, the (last) one is the bar's tab stop."""
    made: list[str] = []
    add = made.append
    stop = ' tabindex="0"' if focus else ""
    for first, last, counts, incidents, all_up, stat in parts:
        if stat is not None or incidents or counts is not None:  # one day, told one by one
            if stat is not None:
                value = max(0.0, 100.0 * (1 - stat[1] / stat[0])) if stat[0] > 0 else None
            elif counts is not None and counts[0]:
                value = 100.0 * (counts[0] - counts[1]) / counts[0]
            else:
                value = 100.0 if all_up else None
            what = words.no_data if value is None else words.uptime(value)
            trouble = words.trouble(stat) if stat is not None and any(stat[2:]) else ""
            names = "".join([_escaped_name(name_, words.language) for _id, name_, _impact in incidents]) \
                if incidents else ""
            add(f'<li class="bar-{day_level(value, stat[2:] if stat else ())}"{stop}><span class="tip">'
                f'{labels[first]}: {what}{trouble}{names}</span></li>')
        else:
            what = words.all_up if all_up else words.no_data
            level = "ok" if all_up else "none"
            if first == last:
                add(f'<li class="bar-{level}"{stop}><span class="tip">{labels[first]}: {what}</span></li>')
            else:
                add(f'<li class="bar-{level} w{last - first + 1}"{stop}><span class="tip">'
                    f'{labels[first]} – {labels[last]}: {what}</span></li>')
    return "".join(made)


class PageWords:
    """The words of one page's bars: found on first use (get_locale is too slow to ask 200 times), and the
    dates of the window as a list, by day number."""

    def __init__(self):
        self.words: BarWords | None = None
        self.window: tuple[date, list[str]] | None = None

    def get(self) -> BarWords:
        if self.words is None:
            self.words = _bar_words()
        return self.words

    def labels(self, dates: list[date]) -> list[str]:
        if self.window is None or self.window[0] != dates[0] or len(self.window[1]) != len(dates):
            words = self.get()
            self.window = (dates[0], [words.date(day) for day in dates])
        return self.window[1]


class BarWords:
    """What bars say in one language, escaped for HTML; dates and percentages remembered once made."""

    def __init__(self, language: str):
        self.language = language
        self.label_before, _, self.label_after = _escaped(gettext("%(name)s, last 90 days", name=_SLOT))
        self.uptime_before, _, self.uptime_after = _escaped(gettext("%(uptime)s%% uptime", uptime=_SLOT))
        self.no_data = str(escape(gettext("no data")))
        self.no_uptime_yet = str(escape(gettext("no uptime data yet")))
        self.days_ago = str(escape(gettext("90 days ago")))
        self.today = str(escape(gettext("Today")))
        self.over_window = _escaped(gettext("%(uptime)s%% uptime over the last 90 days", uptime=_SLOT))
        self.statuses = [str(escape(gettext(text))) for text in ("Major outage", "Partial outage",
                                                                  "Degraded performance")]
        self.locale = get_locale()
        self.numbers: dict[int, str] = {}  # at most 10,001
        self.dates: dict[date, str] = {}
        self.percents: dict[int, str] = {}
        self.spans: dict[str, str] = {}
        self.durations: dict[int, str] = {}
        self.all_up = self.uptime(100.0)

    def date(self, day: date) -> str:
        found = self.dates.get(day)
        if found is None:
            if len(self.dates) > 1000:
                self.dates.clear()
            found = self.dates[day] = str(escape(format_date(day, "medium")))
        return found

    def number(self, value: float) -> str:
        """A percentage as i18n.percent writes it (rounded down, at most two decimals), without the sign."""
        key = hundredths(value)
        found = self.numbers.get(key)
        if found is None:
            found = self.numbers[key] = str(escape(percent(value, self.locale)))
        return found

    def uptime(self, value: float) -> str:
        """"99.5% uptime", the number as i18n.percent writes it (rounded down, at most two decimals)."""
        key = hundredths(value)
        found = self.percents.get(key)
        if found is None:
            found = self.percents[key] = f"{self.uptime_before}{self.number(value)}{self.uptime_after}"
        return found

    def trouble(self, stat: tuple) -> str:
        """"<br>Major outage: 20 min" and so on, for a day's time in each status that is trouble."""
        return "".join([f"<br>{label}: {self.duration(seconds)}"
                        for label, seconds in zip(self.statuses, stat[2:]) if seconds > 0])

    def duration(self, seconds: float) -> str:
        """duration(), escaped, remembered by the minute (a day has 1,440 of them)."""
        minutes = round(seconds / 60)
        found = self.durations.get(minutes)
        if found is None:
            if len(self.durations) > 5000:
                self.durations.clear()
            found = self.durations[minutes] = str(escape(duration(seconds)))
        return found

    def overall(self, bar) -> str:
        """The legend's figure: "99.95% uptime over the last 90 days", or over the time the component's
        history has lasted when that is shorter; "no uptime data yet" when nothing was measured."""
        value = bar.uptime
        if value is None:
            return self.no_uptime_yet
        window = bar.now - bar.stamps[0] if bar.stamps else 0.0
        if bar.observed >= window - 60:
            before, _slot, after = self.over_window
            return f"{before}{self.number(value)}{after}"
        text = f"{hundredths(value)} {span(bar.observed)}"
        found = self.spans.get(text)
        if found is None:
            if len(self.spans) > 1000:
                self.spans.clear()
            found = self.spans[text] = str(escape(gettext("%(uptime)s%% uptime over %(span)s",
                                                          uptime=self.number(value), span=span(bar.observed))))
        return found

def span(seconds: float) -> str:
    """How long something was measured, in words and whole units: "2 minutes" below two hours, "5 hours"
    below two days, then "30 days" (never "4 weeks": the bars count days)."""
    minutes = max(1, int(seconds // 60))
    if minutes < 120:
        return format_unit(minutes, "duration-minute", locale=get_locale())
    if minutes < 2 * 1440:
        return format_unit(minutes // 60, "duration-hour", locale=get_locale())
    return format_unit(minutes // 1440, "duration-day", locale=get_locale())


def duration(seconds: float) -> str:
    """A time in trouble, to the minute: "45 min", "2 h 5 min" ("< 1 min" below a minute)."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return gettext("< 1 min")
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return gettext("%(minutes)s min", minutes=minutes)
    if not minutes:
        return gettext("%(hours)s h", hours=hours)
    return gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)


_SLOT = "\x00"


def _escaped(text: str) -> tuple[str, str, str]:
    return str(escape(text)).partition(_SLOT)


def _escaped_name(name: str, language: str) -> str:
    """"<br>" and an incident's name in the reader's language, escaped (names repeat across bars and days)."""
    return _line_break_and(in_language(name, language))


@lru_cache(maxsize=10_000)
def _line_break_and(shown: str) -> str:
    return f"<br>{escape(shown)}"


def _bar_words() -> BarWords:
    return _bar_words_in(str(get_locale()))


@cache  # one per language of the site
def _bar_words_in(language: str) -> BarWords:
    return BarWords(language)
