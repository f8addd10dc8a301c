"""A percentage is written one way (i18n.percent: rounded down to hundredths, in the reader's notation), on
the component page's figures and on the uptime bars alike, so a figure always agrees with its bar."""
from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from statuspage import i18n
from statuspage.web.bar_views import BarWords

VALUES = [100.0, 99.999, 99.995, 99.9, 99.5, 63.75, 0.6375 * 100, 50.0, 12.3, 0.1 * 3 * 100 / 3, 0.004, 0.0]


@pytest.fixture(scope="module")
def bare_app():
    app = Flask(__name__)
    Babel(app)
    return app


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_bars_and_figures_write_every_percentage_alike(bare_app, language):
    with bare_app.test_request_context(), force_locale(language):
        words = BarWords(language)
        for value in VALUES:
            assert words.number(value) == i18n.percent(value), (language, value)


def test_rounded_down_to_hundredths_without_float_noise(bare_app):
    with bare_app.test_request_context(), force_locale("en"):
        assert i18n.percent(99.999) == "99.99"  # never a false 100
        assert i18n.percent(0.6375 * 100) == "63.75"  # 63.74999999999999 as computed: still 63.75
        assert i18n.percent(100.0) == "100" and i18n.percent(99.5) == "99.5"
    with bare_app.test_request_context(), force_locale("de"):
        assert i18n.percent(99.95) == "99,95"
