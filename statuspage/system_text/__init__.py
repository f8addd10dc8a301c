"""Text the system writes itself, in the reader's language (pages, feeds, mail, the console).

Two kinds, kept two ways:
- Words stored on an incident (an automatic or suspected incident's title, the updates health checks and the
  ticket intake post) are written at once in every language of the catalogues and kept as
  {"en": ..., "de": ..., "fr": ...} beside the text in the site's default language (`name`, `body`, which
  the APIs, the matcher and search read); localized() picks the reader's. A person who renames such an
  incident replaces the title in every language (services/incidents.py).
- Lines stored in English from a fixed set of phrasings with values (check errors, ticket match reasons): the
  English line is the code. check_errors.py and match_reasons.py read the values back with each phrasing's
  own pattern and say it again in the reader's language; a line no phrasing matches (an older wording, a
  library's own message) is shown as it is. Results, the API and the CLI keep the English: a line read back
  costs nothing at 10,000 checks a minute, and grep still finds it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask, current_app
from flask_babel import force_locale, get_locale

from ..config import LANGUAGES  # the catalogues' languages: every system text is written in each

SOURCE_LANGUAGE = "en"  # what the English lines (check errors, match reasons) are written in: shown as they are


def N_(message: str) -> str:
    """Marks a message for extraction (pybabel); it is translated where it is shown."""
    return message


def every_language(say: Callable[[str], object]) -> dict[str, str]:
    """`say(language)`, which calls gettext, once in every language of the catalogues (as the current one)."""
    said = {}
    for language in LANGUAGES:
        with force_locale(language):
            said[language] = str(say(language))
    return said


def default_text(translations: Mapping[str, str]) -> str:
    """Of a text in every language, the one in the site's default language (what `name` and `body` keep)."""
    return translations[current_app.config["SETTINGS"].default_language]


def reader_language() -> str:
    """The language being rendered: the request's, or the one force_locale set (mail, exports)."""
    locale = get_locale()
    return locale.language if locale is not None else current_app.config["SETTINGS"].default_language


class Translated(str):
    """A stored text that knows its translations, for rows read as plain columns and kept across languages
    (the uptime bars' incident names, the last days on `/`): `Translated(name, name_translations)`."""

    translations: dict | None

    def __new__(cls, text: str, translations: Mapping[str, str] | None):
        made = super().__new__(cls, text)
        made.translations = dict(translations) if translations else None
        return made

    def __reduce__(self):
        return Translated, (str(self), self.translations)


def in_language(text: str, language: str) -> str:
    """A text in `language` when it is Translated into it; the text itself otherwise."""
    translations = getattr(text, "translations", None)
    return str(translations.get(language) or text) if translations else str(text)


def localized(item, field: str = "name", language: str | None = None) -> str:
    """An incident's name or an update's body in the reader's language, when the system wrote it in each;
    what is stored otherwise. `{{ incident|localized }}`, `{{ update|localized("body") }}`."""
    text = getattr(item, field)
    translations = getattr(item, f"{field}_translations", None) or getattr(text, "translations", None)
    if translations:
        return translations.get(language or reader_language()) or text
    return text


def init_app(app: Flask) -> None:
    from . import check_errors, match_reasons

    app.jinja_env.filters.update(localized=localized, check_error=check_errors.describe,
                                 match_reason=match_reasons.describe)
