"""Every route is declared once in web/public_surface.py: a public read (cached, exported), per page but never
cached (forms), or not per page. A new view is placed there before it ships, or this fails."""
from __future__ import annotations

from werkzeug.routing import Rule

from statuspage.web.public_surface import JSON, PAGE, cached_kind, not_per_page, unclassified


def test_every_route_of_the_app_is_declared_once(app):
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100  # the console, both APIs, the public site
    assert unclassified(rules) == []


def test_a_view_declared_nowhere_or_twice_is_reported():
    assert unclassified([Rule("/status.txt", endpoint="public.status_text")]) == [
        "/status.txt (public.status_text): in 0 places"]
    assert unclassified([Rule("/admin/", endpoint="public.index")]) == ["/admin/ (public.index): in 2 places"]
    assert unclassified([Rule("/subscribe", endpoint="subscribe.form"), Rule("/", endpoint="public.index")]) == []


def test_what_each_reader_is_told():
    assert cached_kind("public.history") == PAGE and cached_kind("api_v2.summary") == JSON
    assert cached_kind("subscribe.form") is None and cached_kind("api_v1.list_components") is None
    assert cached_kind("static") is None and cached_kind(None) is None
    assert not_per_page("/admin") and not_per_page("/static/style.css") and not not_per_page("/administrator")
