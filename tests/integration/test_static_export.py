"""`statuspage export-static`: the public site as files, served by a plain static server under a path prefix.

Every test serves tmp_path with http.server and fetches the export at /status/..., so a link that is
absolute (`/incidents/3`) or climbs out of the export breaks, as it would under https://cdn.example/status/.
"""
from __future__ import annotations

import http.client
import json
import re
import threading
import time
from datetime import timedelta
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin, urlsplit

import fastfeedparser
import feedparser
import icalendar
import ics
import pytest

from statuspage.cli import main
from statuspage.export import (
    LOCK, MANIFEST, TEMP_PREFIX, ScheduledExport, drop_relative_times, export_if_changed, export_site, rewrite_links,
)
from statuspage.extensions import db
from statuspage.models import Incident
from statuspage.services.incidents import open_incident, post_update, resolve_incident
from tests.builders import ELSEWHERE, SYSTEM, make_component, make_group, make_incident, make_maintenance
from tests.servers import QUICK_SHUTDOWN

BASE_URL = "https://status.example.com"  # the app fixture's STATUSPAGE_BASE_URL
PREFIX = "/status/"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def static_server(tmp_path):
    """A plain static file server for tmp_path; the export goes to tmp_path/status and is fetched at /status/."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def fetch(server, path: str) -> tuple[int, bytes]:
    """GET without following redirects: a page link without its trailing slash would show as a 301."""
    connection = http.client.HTTPConnection(*server.server_address, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action") and value is not None:
                self.links.append(value)
            if name == "id":
                self.ids.add(value)


def parse(body: bytes) -> _Links:
    parser = _Links()
    parser.feed(body.decode("utf-8"))
    return parser


def crawl(server, start: str = PREFIX) -> tuple[dict[str, bytes], set[str]]:
    """Follow every link and src from start; each must be relative, stay under PREFIX and answer 200,
    and a #fragment must name an element of its page. Returns the files fetched and the links that leave
    the export (absolute URLs)."""
    fetched: dict[str, bytes] = {}
    outside: set[str] = set()
    queue, seen = [start], {start}
    while queue:
        url = queue.pop()
        status, body = fetch(server, url)
        assert status == 200, f"{url} answered {status}"
        fetched[url] = body
        if url.endswith((".html", "/")):
            links = parse(body).links
        elif url.endswith(".css"):
            links = re.findall(r"""url\(\s*['"]?([^'")\s]+)""", body.decode())
        else:
            continue
        for link in links:
            if link.startswith("#"):
                assert link[1:] in parse(body).ids, f"{url}: no element {link}"
                continue
            if urlsplit(link).scheme:
                outside.add(link)
                continue
            assert not link.startswith("/"), f"{url}: absolute path {link}"
            target = urljoin(url, link)
            assert target.startswith(PREFIX), f"{url}: {link} leaves the export"
            page, _, fragment = target.partition("#")
            if page not in seen:
                seen.add(page)
                queue.append(page)
            if fragment:
                status, target_body = fetch(server, page)
                assert fragment in parse(target_body).ids, f"{url}: {link} names no element"
    return fetched, outside


@pytest.fixture
def site(app, clock):
    """Two groups of components, an open incident with two updates, a resolved one (four months ago: on the second history page), a
    maintenance window, and a suspected incident that is not published."""
    with app.app_context():
        web, backend = make_group("Web"), make_group("Backend")
        make_component("dashboard", "Dashboard", group=web)
        make_component("api", "API", group=backend)
        make_component("database", "Database", group=backend)
        resolved = make_incident("Slow sign-in", components_={"dashboard": "degraded_performance"},
                                 impact="minor", body="Sign-in is slow.", now=clock.now() - timedelta(days=120))
        resolve_incident(resolved.id, "Sign-in is fast again.", by=SYSTEM, now=clock.now() - timedelta(days=119))
        open_ = make_incident("API errors", components_={"api": "partial_outage"},
                              body=f"We are **looking** into it. Like [last time]({BASE_URL}/incidents/"
                                   f"{resolved.id}#updates)? See [the docs](https://docs.example.org/api).",
                              now=clock.now())
        post_update(open_.id, status="identified", body="A bad deploy; rolling back.", by=SYSTEM,
                    now=clock.advance(minutes=5))
        maintenance = make_maintenance("Database upgrade", now=clock.now())
        suspect = open_incident(name="Suspected outage", body="Tickets say so.", components={}, published=False,
                                by=SYSTEM, now=clock.now())
    return {"open": open_.id, "resolved": resolved.id, "maintenance": maintenance.id, "suspect": suspect.id}


def test_the_export_serves_every_page_feed_and_json_from_a_plain_static_server(app, site, tmp_path, static_server):
    report = export_site(app, tmp_path / "status")
    # 3 languages x (home, history, its older page, 2 incidents, 1 maintenance, 3 components); feeds: 3 languages
    # x (RSS and Atom of the site and of 3 components, the maintenance calendars of the site and of 3 components,
    # and the upcoming window's own calendar file, which its page links to)
    assert (report.pages, report.feeds, report.badges) == (27, 39, 12)
    # style.css, favicon.svg, page.js (the opt-in refresh of `/` during an incident), uptime.js (bars, charts)
    assert report.json == 8 and report.assets == 4 and report.written > 0 and report.removed == 0

    fetched, outside = crawl(static_server)
    pages = {url for url in fetched if url.endswith("/")}
    assert {f"{PREFIX}incidents/{site['open']}/", f"{PREFIX}de/maintenance/{site['maintenance']}/",
            f"{PREFIX}fr/components/api/", f"{PREFIX}history/page/2/", f"{PREFIX}de/"} <= pages
    assert f"{PREFIX}static/style.css" in fetched and f"{PREFIX}de/feed.atom" in fetched
    # Links the export cannot serve lead to the live site, in the page's language.
    assert f"{BASE_URL}/subscribe?lang=en" in outside and f"{BASE_URL}/subscribe?lang=de" in outside
    assert {link for link in outside if not link.startswith(BASE_URL + "/")} == {"https://docs.example.org/api"}

    home = fetched[PREFIX].decode()
    assert "API errors" in home and '<html lang="en">' in home
    german = fetched[f"{PREFIX}de/"].decode()
    assert '<html lang="de">' in german and "Störungsverlauf" in german
    assert 'href="../static/style.css"' in german and 'href="../"' in german  # English is at the root
    incident = fetched[f"{PREFIX}incidents/{site['open']}/"].decode()
    assert "A bad deploy; rolling back." in incident and "<strong>looking</strong>" in incident
    assert 'href="../../components/api/"' in incident
    assert f'href="../{site["resolved"]}/#updates"' in incident  # a link to the live URL of an exported page
    assert "Suspected outage" not in home
    assert fetch(static_server, f"{PREFIX}incidents/{site['suspect']}/")[0] == 404

    for path in ("feed.rss", "feed.atom", "de/feed.rss", "components/api/feed.atom", "fr/components/api/feed.rss"):
        status, body = fetch(static_server, PREFIX + path)
        feed = feedparser.parse(body)
        assert status == 200 and not feed.bozo, (path, feed.get("bozo_exception"))
        if "api" in path or path.endswith(("feed.rss", "feed.atom")):
            assert feed.entries and all(e.link.startswith(f"{BASE_URL}/") for e in feed.entries)
    assert "Störungen und Wartungen" in feedparser.parse(fetch(static_server, f"{PREFIX}de/feed.rss")[1]).feed.title
    for path in ("maintenance.ics", "de/maintenance.ics", "components/database/maintenance.ics",
                 f"fr/maintenance/{site['maintenance']}.ics"):
        status, body = fetch(static_server, PREFIX + path)
        [event] = ics.Calendar(body.decode()).events
        assert status == 200 and event.uid.startswith(f"maintenance-{site['maintenance']}@"), path
    assert f"{PREFIX}maintenance/{site['maintenance']}.ics" in fetched  # the page's "Add to calendar" leads there

    client = app.test_client()
    json_routes = sorted(r.rule for r in app.url_map.iter_rules()
                         if r.endpoint.startswith("api_v2.") and not r.arguments)
    assert len(json_routes) == 8
    for route in json_routes:
        status, body = fetch(static_server, PREFIX + route.lstrip("/"))
        assert status == 200 and json.loads(body) == client.get(route).get_json(), route
        assert body == client.get(route).get_data()

    for path, words in (("badge.svg", "partial system outage"), ("de/badge.svg", "Status"),
                        ("components/api/badge.svg", "partial outage")):
        status, body = fetch(static_server, PREFIX + path)
        assert status == 200 and body.startswith(b"<svg") and words.encode() in body


@pytest.mark.parametrize("place", ["path", "host"], indirect=True)
def test_a_second_page_s_tree_is_read_by_the_real_clients_as_that_page(app, site, place, tmp_path, static_server):
    """A second page (by /p/<slug> or by host: its tree is p/<slug>/ either way) exports its own pages, feeds,
    calendars and JSON: the feed readers, calendar parsers and the v2 page block find its incidents and
    windows only, keyed and linked by its live URL, as the live page gives them."""
    with app.app_context():
        place.show("dashboard", "api", "database")
    export_site(app, tmp_path / "status")
    tree = f"{PREFIX}p/shop/"
    fetched, _outside = crawl(static_server, tree)
    assert "API errors" in fetched[tree].decode() and f"{tree}incidents/{site['open']}/" in fetched
    assert not [url for url, body in fetched.items() if ELSEWHERE.encode() in body]
    live = app.test_client()
    for path, asked in (("feed.rss", "/feed.rss"), ("feed.atom", "/feed.atom"), ("de/feed.atom", "/feed.atom?lang=de"),
                        ("components/api/feed.rss", "/components/api/feed.rss")):
        status, body = fetch(static_server, tree + path)
        assert status == 200 and ELSEWHERE.encode() not in body, path
        feed, second = feedparser.parse(body), fastfeedparser.parse(body)
        assert not feed.bozo and feed.entries, (path, feed.get("bozo_exception"))
        assert all(e.link.startswith(f"{place.url}/incidents/") or e.link.startswith(f"{place.url}/maintenance/")
                   for e in feed.entries), path
        assert [e.id for e in second.entries] == [e.id for e in feed.entries]
        assert feed.feed.link.startswith(place.url + "/")
        served = feedparser.parse(live.get(place.prefix + asked, headers=place.headers).data)
        assert [e.id for e in served.entries] == [e.id for e in feed.entries], path  # readers keep their entries
    status, body = fetch(static_server, f"{tree}maintenance.ics")
    [event] = ics.Calendar(body.decode()).events
    assert event.uid == f"maintenance-{site['maintenance']}@status.example.com"
    assert event.url == f"{place.url}/maintenance/{site['maintenance']}"
    assert [str(e["URL"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")] == [event.url]
    status, body = fetch(static_server, f"{tree}api/v2/summary.json")
    summary = json.loads(body)
    assert (summary["page"]["name"], summary["page"]["url"]) == (place.name, place.url)
    assert [i["name"] for i in summary["incidents"]] == ["API errors"]


def test_pages_differ_from_what_the_app_serves_only_in_their_links_and_relative_times(app, site, tmp_path):
    """A file keeps "(5 minutes ago)" until the next export, long after it stopped being true: it is left out."""
    export_site(app, tmp_path)
    client = app.test_client(use_cookies=False)
    blank = partial(re.sub, r'(href|src|action)="[^"]*"', r'\1=""')
    for url, file in (("/?lang=en", "index.html"), ("/?lang=de", "de/index.html"),
                      (f"/incidents/{site['open']}?lang=fr", f"fr/incidents/{site['open']}/index.html"),
                      ("/history?page=2&lang=en", "history/page/2/index.html")):
        served = client.get(url).get_data(as_text=True)
        exported = (tmp_path / file).read_text()
        assert exported != served and blank(exported) == blank(drop_relative_times(served)), url
        assert 'class="relative"' in served and 'class="relative"' not in exported, url


def test_link_rewriting_keeps_everything_but_the_link_values():
    document = ('<!doctype html><p title=\'href="/x"\'>/not/a/link <a href="/a?b=1&amp;c=2#f" class=x>A</a>'
                "<!-- <a href=\"/comment\"> --><img alt=x src='/s.png'><a href=/bare>B</a><a data-href=\"/d\">"
                '<form action="/f"></form><a href="">e</a><script>let a = "<a href=\'/js\'>";</script>')
    seen = []

    def replace(value):
        seen.append(value)
        return "NEW" + value + '"&'

    out = rewrite_links(document, replace)
    assert seen == ["/a?b=1&c=2#f", "/s.png", "/bare", "/f", ""]
    assert '<a href="NEW/a?b=1&amp;c=2#f&quot;&amp;" class=x>' in out
    assert 'src="NEW/s.png&quot;&amp;"' in out and '<a href="NEW/bare&quot;&amp;">' in out
    assert "title='href=\"/x\"'" in out and '<!-- <a href="/comment"> -->' in out
    assert 'data-href="/d"' in out and "<a href='/js'>" in out
    assert rewrite_links(document, lambda value: value) == document


def test_a_second_export_replaces_what_changed_and_removes_what_is_gone(app, site, tmp_path, static_server, clock):
    export = tmp_path / "status"
    export.mkdir()
    (export / "robots.txt").write_text("User-agent: *\n")  # not the export's: it stays
    export_site(app, export)
    style, home = export / "static/style.css", export / "index.html"
    style_inode, home_text = style.stat().st_ino, home.read_text()

    with app.app_context():
        resolve_incident(site["open"], "Rolled back; all good.", by=SYSTEM, now=clock.advance(minutes=20))
    report = export_site(app, export)
    assert report.written > 0 and report.unchanged > 0 and report.removed == 1  # page.js: no incident, no script
    assert not (export / "static/page.js").exists()
    assert style.stat().st_ino == style_inode  # unchanged files are not rewritten
    assert home.read_text() != home_text and "All systems operational" in home.read_text()
    assert "Rolled back; all good." in (export / f"incidents/{site['open']}/index.html").read_text()
    crawl(static_server)

    with app.app_context():
        db.session.delete(db.session.get(Incident, site["resolved"]))
        db.session.commit()
    report = export_site(app, export)
    assert report.removed == 6  # its page and the second history page, in three languages
    for lang in ("", "de/", "fr/"):
        assert not (export / f"{lang}incidents/{site['resolved']}").exists()
        assert (export / f"{lang}incidents/{site['open']}/index.html").is_file()
    assert not (export / "history/page/2").exists()  # it was the only incident of that page
    fetched, _ = crawl(static_server)
    assert f"{PREFIX}history/page/2/" not in fetched
    assert (export / "robots.txt").read_text() == "User-agent: *\n"
    assert not list(tmp_path.rglob(TEMP_PREFIX + "*"))
    manifest = json.loads((export / MANIFEST).read_text())
    assert "index.html" in manifest["files"] and "robots.txt" not in manifest["files"]


def test_readers_never_see_a_half_written_file(app, site, tmp_path, clock):
    export_site(app, tmp_path)
    home = tmp_path / "index.html"
    done, bad, reads = threading.Event(), [], [0]

    def read():
        while not done.is_set():
            body = home.read_bytes()
            reads[0] += 1
            if not body.rstrip().endswith(b"</html>"):
                bad.append(len(body))
            time.sleep(0.0005)  # leave the exporting thread the interpreter

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(2):
            with app.app_context():
                post_update(site["open"], status="monitoring", body=f"Update number {n}. " + "x" * 10_000,
                            by=SYSTEM, now=clock.advance(minutes=1))
            export_site(app, tmp_path)
            assert f"Update number {n}." in home.read_text()
    finally:
        done.set()
        reader.join()
    assert reads[0] > 0 and not bad
    assert {p.name for p in tmp_path.iterdir() if p.name.startswith(".")} == {MANIFEST, LOCK}


def test_export_if_changed_exports_only_after_a_change(app, site, tmp_path, clock):
    assert export_if_changed(app, tmp_path) is not None  # the first time: nothing to compare with
    assert export_if_changed(app, tmp_path) is None
    with app.app_context():
        post_update(site["open"], status="monitoring", body="A fix is out.", by=SYSTEM, now=clock.advance(minutes=1))
    assert export_if_changed(app, tmp_path).written > 0
    assert "A fix is out." in (tmp_path / f"incidents/{site['open']}/index.html").read_text()
    assert export_if_changed(app, tmp_path) is None
    clock.advance(days=1)  # the pages show the last days: a new day is a change
    assert export_if_changed(app, tmp_path) is not None

    job = ScheduledExport(app, tmp_path)  # the scheduler's job exports once at start (templates may be new)
    assert job(now=clock.now()) is not None and job(now=clock.now()) is None


def test_index_html_links_for_object_stores_without_directory_indexes(app, site, tmp_path, static_server):
    export_site(app, tmp_path / "status", index_links=True)
    fetched, _ = crawl(static_server, PREFIX + "index.html")
    assert f"{PREFIX}de/components/api/index.html" in fetched
    assert not [url for url in fetched if url.endswith("/")]


def test_cli_prints_one_line_and_fails_with_one_line_on_a_directory_it_cannot_write(app, site, runner, tmp_path):
    result = runner.invoke(main, ["export-static", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) == 1 and "27 pages" in result.output
    assert (tmp_path / "out/de/index.html").is_file()

    (tmp_path / "file").write_text("")
    result = runner.invoke(main, ["export-static", str(tmp_path / "file" / "out")])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("Error: cannot write to")


def test_the_scheduler_keeps_the_export_fresh_when_a_directory_is_set(app, clock, tmp_path, monkeypatch):
    import dataclasses

    from statuspage import scheduler
    from statuspage.monitoring.runner import CheckRunner

    settings = app.config["SETTINGS"]
    runner = CheckRunner(probes=None, settings=settings)
    assert "export_static" not in [job.name for job in scheduler.jobs_for(app, runner)]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(settings, export_dir=str(tmp_path / "site")))
    [job] = [job for job in scheduler.jobs_for(app, runner) if job.name == "export_static"]
    with app.app_context():
        make_component("api", "API")
        job.func(now=clock.now())
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / "api/v2/summary.json").is_file()


def test_a_link_to_a_history_page_beyond_the_last_exports_no_extra_pages(app, site, tmp_path, clock):
    """An update linking /history?page=400 (or a huge or odd page) must not make the export crawl hundreds of
    empty pages: exactly the real history pages are exported, and such a link leads to the last one."""
    with app.app_context():
        post_update(site["open"], status="monitoring", by=SYSTEM, now=clock.advance(minutes=5),
                    body=f"See [old ones]({BASE_URL}/history?page=400), [older](/history?page=99999999999999999999)"
                         " and [odd](/history?page=-2&lang=de).")
    export = tmp_path / "status"
    report = export_site(app, export)
    assert report.pages == 27  # as without the links: two history pages in each of three languages
    assert sorted(p.relative_to(export).as_posix() for p in export.rglob("history/**/index.html")) == [
        "de/history/index.html", "de/history/page/2/index.html", "fr/history/index.html",
        "fr/history/page/2/index.html", "history/index.html", "history/page/2/index.html"]
    incident = (export / f"incidents/{site['open']}/index.html").read_text()
    assert 'href="../../history/page/2/"' in incident and 'href="../../de/history/"' in incident
