"""Small checks shared by every service: each raises Invalid naming the field."""
from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from ..errors import Invalid
from ..json_input import without_lone_surrogates

E = TypeVar("E", bound=StrEnum)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def text(value: object, field: str, *, max_length: int, required: bool = True) -> str:
    """A stripped string of at most max_length characters (and not empty when required).

    A lone surrogate (no UTF-8 can hold it: a JSON escape, a command-line argument that was not UTF-8) is
    replaced by U+FFFD, so what can be stored is stored.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid("invalid_type", f"{field} must be text.", field=field)
    value = without_lone_surrogates(value).strip()
    if required and not value:
        raise Invalid("required", f"{field} is required.", field=field)
    if len(value) > max_length:
        raise Invalid("too_long", f"{field} must be at most {max_length} characters.", field=field)
    if "\x00" in value:
        raise Invalid("invalid_character", f"{field} must not contain NUL characters.", field=field)
    return value


def choice(enum: type[E], value: object, field: str) -> E:
    """A member of enum given by its value, or Invalid listing the allowed values."""
    try:
        # an enum looks any value up (one no member has is a ValueError); typeshed has StrEnum(value: str)
        return enum(value)  # type: ignore[arg-type]
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise Invalid("invalid_choice", f"{field} must be one of: {allowed}.", field=field) from None


def slug(value: object, field: str = "slug") -> str:
    value = text(value, field, max_length=64)
    if not SLUG.match(value):
        raise Invalid("invalid_slug", f"{field} may hold only lowercase letters, digits and single dashes.",
                      field=field)
    return value


def instant(value: object, field: str) -> datetime:
    """An aware datetime between 1971 and 2999: anything else is a mistake (and would overflow UTC)."""
    if not isinstance(value, datetime):
        raise Invalid("required" if value is None else "invalid_type", f"{field} must be a date and time.",
                      field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid("naive_datetime", f"{field} must carry a time-zone offset.", field=field)
    if not 1971 <= value.year <= 2999:
        raise Invalid("out_of_range", f"{field} must be between the years 1971 and 2999.", field=field)
    return value


def integer(value: object, field: str, *, minimum: int = 0, maximum: int = 1_000_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise Invalid("invalid_type", f"{field} must be a whole number.", field=field) from None
    if not minimum <= value <= maximum:
        raise Invalid("out_of_range", f"{field} must be between {minimum} and {maximum}.", field=field)
    return value


def boolean(value: object, field: str) -> bool:
    """True or False, nothing else (a "false" string must not read as true)."""
    if not isinstance(value, bool):
        raise Invalid("invalid_type", f"{field} must be true or false.", field=field)
    return value
