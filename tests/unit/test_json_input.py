"""Request JSON as the app reads it: bounded depth, finite numbers, text that UTF-8 can hold."""
import json

import pytest
from flask import Flask

from statuspage.json_input import MAX_DEPTH, JSONProvider
from statuspage.services import validate


@pytest.fixture
def provider():
    return JSONProvider(Flask(__name__))


def test_a_lone_surrogate_becomes_a_replacement_character_in_values_and_keys(provider):
    data = provider.loads('{"a\\ud800": ["x\\udfffy", {"k": "\\ud83d\\ude00 \\ude00"}]}')
    assert data == {"a\ufffd": ["x\ufffdy", {"k": "\U0001f600 \ufffd"}]}  # a valid pair stays one character
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # storable


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 50_000, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
                                  "NaN", '{"n": Infinity}', "[-Infinity]", '{"n": 1e400}', "[-1e999]"])
def test_too_deep_or_not_finite_is_malformed(provider, text):
    with pytest.raises(ValueError):
        provider.loads(text)


def test_depth_up_to_the_limit_and_ordinary_numbers_are_fine(provider):
    assert provider.loads("[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH)
    assert provider.loads('{"n": 1.5e300, "m": -2, "big": 100000000000000000000000}')["n"] == 1.5e300


def test_the_shared_text_check_replaces_lone_surrogates():
    assert validate.text(" name \udc80 ", "name", max_length=20) == "name \ufffd"
