"""errors.py:first_problem: the dotted path of the first problem in marshmallow's nested messages."""
from statuspage.errors import first_problem


def test_a_field_called_key_or_value_at_the_top_is_the_clients_own_field():
    assert first_problem({"key": ["use lowercase letters"]}, "") == ("key", "use lowercase letters")
    assert first_problem({"value": ["must be text"]}, "") == ("value", "must be text")


def test_inside_a_dict_field_key_and_value_are_marshmallows_words():
    assert first_problem({"headers": {"X-Probe": {"value": ["Not a valid string."]}}}, "") == \
        ("headers.X-Probe", "Not a valid string.")
    assert first_problem({"components": {"nope": {"key": ["Unknown."]}}}, "") == ("components.nope", "Unknown.")
