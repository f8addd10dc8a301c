"""Every message people can see has a German and a French translation that keeps its placeholders."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages import frontend
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "statuspage" / "translations"
SOURCE_DIRS = ("statuspage", "templates")
# The same keywords as statuspage/translations/update.sh (pybabel extract -k _l -k lazy_gettext).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
HOW_TO_FIX = "Run statuspage/translations/update.sh, translate, and run it again to compile."

# %(name)s and friends, and also a bare %s or a stray %: templates format every message with
# newstyle gettext, so a "%" the message does not have breaks the page in that language.
PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[a-zA-Z%]?")
BRACES = re.compile(r"\{[^{}]*\}")  # str.format fields such as {components} and {site}


def _parse_mapping(fileobj, filename):
    # parse_mapping_cfg replaced parse_mapping (which now warns) in newer Babel releases.
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    return parse(fileobj, filename)


@cache
def catalogue(lang: str) -> Catalog:
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return read_po(f, locale=lang)


@cache
def source_messages() -> frozenset[str]:
    """Every msgid in statuspage/ and templates/, extracted in-process with babel.cfg's method map."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = _parse_mapping(f, "babel.cfg")

    def only_source_dirs(dirpath: str) -> bool:
        parts = Path(dirpath).relative_to(ROOT).parts
        return not parts or (parts[0] in SOURCE_DIRS and not any(p.startswith((".", "_")) for p in parts))

    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=only_source_dirs):
        found.add(message if isinstance(message, str) else message[0])
    return frozenset(found)


def translated_messages(lang: str):
    """(msgid, list of msgid forms, list of translations) for every message of the catalogue."""
    for message in catalogue(lang):
        if not message.id:
            continue  # the header
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        yield message, ids, strings


def untranslated(lang: str) -> list[str]:
    problems = []
    for message, ids, strings in translated_messages(lang):
        if message.fuzzy:
            problems.append(f"{ids[0]!r} (fuzzy)")
        elif not strings or not all(strings):
            problems.append(repr(ids[0]))
    return problems


def assert_fully_translated(lang: str, language: str) -> None:
    assert not catalogue(lang).fuzzy, (
        f"The {language} catalogue's header is marked fuzzy, so pybabel compile would skip it: "
        f"remove '#, fuzzy' above its first msgid.")
    problems = untranslated(lang)
    assert not problems, (f"{len(problems)} message(s) lack a {language} translation in "
                          f"{lang}/LC_MESSAGES/messages.po:\n  " + "\n  ".join(problems) + f"\n{HOW_TO_FIX}")


def assert_holds_the_source(lang: str, language: str) -> None:
    in_catalogue = {ids[0] for _message, ids, _strings in translated_messages(lang)}
    missing = sorted(source_messages() - in_catalogue)
    assert not missing, (f"{len(missing)} message(s) in the source are not in the {language} catalogue:\n  "
                         + "\n  ".join(map(repr, missing)) + f"\n{HOW_TO_FIX}")


def placeholders(text: str) -> set[str]:
    return set(PERCENT.findall(text)) | set(BRACES.findall(text))


def test_every_message_has_a_german_translation():
    assert_fully_translated("de", "German")


def test_every_message_has_a_french_translation():
    assert_fully_translated("fr", "French")


def test_the_german_catalogue_holds_every_message_in_the_source():
    assert_holds_the_source("de", "German")


def test_the_french_catalogue_holds_every_message_in_the_source():
    assert_holds_the_source("fr", "French")


def test_the_source_has_messages_to_translate():
    # Guards the two tests above: a broken babel.cfg or keyword list would find nothing and pass.
    assert {"All systems operational", "Page not found", "Operational"} <= source_messages()


def test_translations_keep_the_placeholders_of_their_message():
    mismatches = []
    for lang in ("de", "fr"):
        for _message, ids, strings in translated_messages(lang):
            strings = [s for s in strings if s]
            if not strings:
                continue  # reported as untranslated
            expected = set().union(*map(placeholders, ids))
            # A plural form may leave out the count ("One update" / "%(num)d updates"), but
            # together the forms use exactly the message's placeholders and invent none.
            found = set().union(*map(placeholders, strings))
            if found != expected:
                mismatches.append(f"{lang}: {ids[0]!r} -> {strings[0]!r}: expected {sorted(expected)}, "
                                  f"got {sorted(found)}")
    assert not mismatches, "Translations whose placeholders differ from their message:\n  " + "\n  ".join(mismatches)
