"""Atlassian's own status widget, unchanged, shows our status from another site; on a second page too.

The widget (@statuspage/status-widget on npm, a web component) fetches <src>/api/v2/summary.json
cross-origin and renders the status description. `make clients` fetches the pinned package into
.cache/clients/; this test serves it from a second origin, as a customer's site would, beside the README's
own snippet (a plain cross-origin fetch of <page>/api/v2/status.json).

The widget keeps only the origin of its `src`: it sets the URL's whole path to /api/v2/summary.json
(`url.pathname = path` in its fetch-status module), so a page under /p/<slug> cannot be shown by it: it
reads the root's page, the default one. That is the widget's code, not a link or header of ours: the page's
own API answers any origin under /p/<slug> (the snippet reads it), and a page with a host of its own works.
"""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from statuspage.extensions import db
from tests.builders import make_component, make_group, make_incident
from tests.servers import QUICK_SHUTDOWN

pytestmark = pytest.mark.browser

WIDGET_DIST = Path(__file__).resolve().parents[2] / ".cache" / "clients" / "status-widget" / "dist"

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A customer's site</title>
</head>
<body><statuspage-widget id="status" src="{src}"></statuspage-widget>
<statuspage-widget id="badge" src="{src}" appearance="badge"></statuspage-widget>
<p id="line"></p>
<script>var parcelRequire;</script>
<script src="/widget.js"></script>
<script>
  fetch("{src}/api/v2/status.json")
    .then((r) => r.json())
    .then((d) => {{ document.getElementById("line").textContent = d.page.name + ": " + d.status.description; }});
</script></body></html>"""
# The package's bundle assigns to an undeclared global `parcelRequire` under "use strict", which throws once
# the widget has registered; declaring it first is what any site embedding this version has to do.


@pytest.fixture
def site(app, clock, place):
    """The Dashboard is down (critical) on the default page. A second page (tests/conftest.py:place) shows
    only Payments, slow (minor); the default page then shows only its own major incident (`Elsewhere`)."""
    with app.app_context():
        make_component("dashboard", "Dashboard", group=make_group("Web"))
        make_component("payments", "Payments")
        place.show("payments")
        make_incident("Dashboard down", components_={"dashboard": "major_outage"}, impact="critical",
                      now=clock.now())
        make_incident("Payments slow", components_={"payments": "degraded_performance"}, impact="minor",
                      now=clock.now())
        db.session.remove()


@pytest.fixture
def customer_site(tmp_path, place_origin, place, site):
    """A plain static server on another port (another origin) with the widget on its page, pointed at the
    place's page: the live server (by `localhost` for a page chosen by its host), plus /p/<slug> if by path."""
    # The Parcel build the package's own demo page loads (its babelified index.js trips over strict mode).
    bundles = sorted(WIDGET_DIST.glob("src.*.js"))
    if not bundles:
        pytest.skip("the Statuspage widget is fetched by 'make clients' (npm pack @statuspage/status-widget)")
    (tmp_path / "widget.js").write_bytes(bundles[0].read_bytes())
    (tmp_path / "index.html").write_text(HOST_PAGE.format(src=place_origin + place.prefix))
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/index.html"
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def open_customer_site(browser, customer_site):
    """The customer's page in a fresh context: the tab, the API URLs it asked for, and its uncaught errors."""
    context = browser.new_context()
    page = context.new_page()
    asked: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/api/v2/" in request.url else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(customer_site)
    return context, page, asked, errors


@pytest.mark.parametrize("place, status, line", [
    ("default", "Major Service Outage", "Example Status: Major Service Outage"),
    ("host", "Minor Service Outage", "Shop Status: Minor Service Outage"),  # not the default page's
], indirect=["place"])
def test_the_official_statuspage_widget_shows_the_page_s_own_status_from_another_origin(
        browser, customer_site, place_origin, status, line):
    context, page, asked, errors = open_customer_site(browser, customer_site)
    expect(page.locator("#status")).to_contain_text(status, timeout=10_000)
    expect(page.locator("#badge")).to_contain_text(status, timeout=10_000)
    expect(page.locator("#line")).to_have_text(line, timeout=10_000)
    assert set(asked) == {f"{place_origin}/api/v2/summary.json", f"{place_origin}/api/v2/status.json"}
    assert errors == []
    context.close()


@pytest.mark.parametrize("place", ["path"], indirect=True)
def test_the_widget_drops_a_p_slug_path_so_such_a_page_is_read_by_plain_clients_or_by_page_slug(
        browser, customer_site, live_server):
    """Pointed at /p/shop, the widget asks the origin's root (the default page, whose own incident is major);
    the same page's fetch of /p/shop/api/v2/status.json, cross-origin, reads the shop's own status. If a
    later widget keeps the path, this fails: then ?page_slug= (the test below) is no longer needed."""
    context, page, asked, errors = open_customer_site(browser, customer_site)
    expect(page.locator("#line")).to_have_text("Shop Status: Minor Service Outage", timeout=10_000)
    expect(page.locator("#status")).to_contain_text("Partial System Outage", timeout=10_000)
    assert set(asked) == {f"{live_server}/api/v2/summary.json", f"{live_server}/p/shop/api/v2/status.json"}
    assert errors == []
    context.close()


@pytest.mark.parametrize("place", ["path"], indirect=True)
def test_the_widget_reads_a_p_slug_page_named_by_page_slug(browser, customer_site, live_server, tmp_path):
    """The widget keeps its src's query string: src="<install>/?page_slug=shop" reads the shop's own status
    (web/page_choice.py:SLUG_ARGUMENT), where /p/shop could not."""
    src = f"{live_server}/?page_slug=shop"
    (tmp_path / "index.html").write_text(HOST_PAGE.split("<p id=\"line\">")[0].format(src=src)
                                         + '<script>var parcelRequire;</script><script src="/widget.js"></script>'
                                           "</body></html>")
    context, page, asked, errors = open_customer_site(browser, customer_site)
    expect(page.locator("#status")).to_contain_text("Minor Service Outage", timeout=10_000)
    expect(page.locator("#badge")).to_contain_text("Minor Service Outage", timeout=10_000)
    assert set(asked) == {f"{live_server}/api/v2/summary.json?page_slug=shop"}
    assert errors == []
    context.close()
