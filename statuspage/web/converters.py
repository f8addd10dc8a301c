"""URL converters: ids are whole numbers that fit the database's integer column, or the route does not match."""
from werkzeug.routing import IntegerConverter

from ..database import MAX_ID


class IdConverter(IntegerConverter):
    """`<id:name>`: 1 to 2**31-1."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


class GroupIdConverter(IdConverter):
    """`<group_id:name>`: a group's id as the API shows it ("g3") or bare (3)."""

    regex = r"g?\d+"

    def to_python(self, value: str) -> int:
        return super().to_python(value.removeprefix("g"))

    def to_url(self, value) -> str:
        return f"g{int(value)}"
