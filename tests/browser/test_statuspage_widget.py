"""Atlassian's own status widget, unchanged, shows our status from another site.

The widget (@statuspage/status-widget on npm, a web component) fetches <src>/api/v2/summary.json
cross-origin and renders the status description. `make clients` fetches the pinned package into
.cache/clients/; this test serves it from a second origin, as a customer's site would.
"""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.builders import make_component, make_group, make_incident

WIDGET_DIST = Path(__file__).resolve().parents[2] / ".cache" / "clients" / "status-widget" / "dist"

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A customer's site</title>
</head>
<body><statuspage-widget id="status" src="{src}"></statuspage-widget>
<statuspage-widget id="badge" src="{src}" appearance="badge"></statuspage-widget>
<script>var parcelRequire;</script>
<script src="/widget.js"></script></body></html>"""
# The package's bundle assigns to an undeclared global `parcelRequire` under "use strict", which throws once
# the widget has registered; declaring it first is what any site embedding this version has to do.


@pytest.fixture
def customer_site(tmp_path, live_server, request):
    """A plain static server on another port (another origin) with the widget on its page."""
    # The Parcel build the package's own demo page loads (its babelified index.js trips over strict mode).
    bundles = sorted(WIDGET_DIST.glob("src.*.js"))
    if not bundles:
        pytest.skip("the Statuspage widget is fetched by 'make clients' (npm pack @statuspage/status-widget)")
    (tmp_path / "widget.js").write_bytes(bundles[0].read_bytes())
    # A second page is chosen by its host name (`localhost` here): the widget replaces the URL's whole path
    # with /api/v2/summary.json, so it can only be pointed at a page with a domain of its own, never /p/<slug>.
    src = live_server.replace("127.0.0.1", getattr(request, "param", "127.0.0.1"))
    (tmp_path / "index.html").write_text(HOST_PAGE.format(src=src))
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/index.html"
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.browser
def test_the_official_statuspage_widget_shows_our_status_from_another_origin(app, browser, customer_site):
    with app.app_context():
        make_component("dashboard", "Dashboard", group=make_group("Web"))
        make_incident("Dashboard down", components_={"dashboard": "major_outage"}, impact="critical")
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(customer_site)
    expect(page.locator("#status")).to_contain_text("Major Service Outage", timeout=10_000)
    expect(page.locator("#badge")).to_contain_text("Major Service Outage", timeout=10_000)
    assert errors == []
    context.close()


@pytest.mark.parametrize("customer_site", ["localhost"], indirect=True)
def test_the_official_widget_shows_a_second_page_s_own_status(app, browser, customer_site):
    """The widget pointed at a second page (by its host) shows that page's status, not the default page's."""
    from tests.builders import make_page

    with app.app_context():
        make_component("dashboard", "Dashboard", group=make_group("Web"))
        make_component("payments", "Payments")
        make_page("shop", ["payments"], name="Shop Status", host="localhost")
        make_incident("Dashboard down", components_={"dashboard": "major_outage"}, impact="critical")
        make_incident("Payments slow", components_={"payments": "degraded_performance"}, impact="minor")
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(customer_site)
    expect(page.locator("#status")).to_contain_text("Minor Service Outage", timeout=10_000)
    expect(page.locator("#badge")).to_contain_text("Minor Service Outage", timeout=10_000)
    assert errors == []
    context.close()
