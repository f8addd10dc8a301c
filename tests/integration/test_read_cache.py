"""The read path's cache: served from memory per change and language, 304 without rendering, gzip when asked,
and a change committed through one worker (or host) is seen on the next request to any other."""
from __future__ import annotations

import gzip
from datetime import timedelta

import pytest
from flask import template_rendered

from statuspage import create_app
from statuspage.extensions import db
from statuspage.services import incidents
from tests.builders import ACCEPT_ENCODINGS, SYSTEM, QueryCounter, make_component, make_incident, statements_sent

PAGES = ["/", "/?lang=de", "/components/api", "/history", "/feed.atom", "/api/v2/summary.json", "/badge.svg"]


@pytest.fixture
def site(app, clock):
    with app.app_context():
        make_component("api", "API")
        incident = make_incident("API errors", components_={"api": "major_outage"}, now=clock.now())
        db.session.remove()
    return incident.id


@pytest.mark.parametrize("url", PAGES)
def test_a_repeat_is_served_from_memory_with_one_query_and_a_304_for_a_known_etag(app, client, site, url):
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Cache-Control"]
    with app.app_context(), QueryCounter(app) as queries:
        again = client.get(url)
        unchanged = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.get_data() == first.get_data()
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert queries.count == 2  # the change counter, once per request


def test_a_change_is_visible_on_the_next_request(app, client, site, clock):
    assert "API errors" in client.get("/").get_data(as_text=True)
    etag = client.get("/").headers["ETag"]
    with app.app_context():
        incidents.resolve_incident(site, "Fixed.", by=SYSTEM, now=clock.now())
    page = client.get("/", headers={"If-None-Match": etag})
    assert page.status_code == 200 and "All systems operational" in page.get_data(as_text=True)


def test_a_change_through_one_worker_is_seen_by_another_at_once(app, site, clock, database_url, tmp_path):
    other = create_app({"database_url": database_url, "instance_dir": tmp_path, "secret_key": "test-secret-key",
                        "base_url": "https://status.example.com"})
    mine, theirs = app.test_client(), other.test_client()
    assert "API errors" in theirs.get("/api/v2/summary.json").get_data(as_text=True)
    assert "API errors" in mine.get("/api/v2/summary.json").get_data(as_text=True)
    with other.app_context():  # the other worker resolves it
        incidents.resolve_incident(site, "Fixed.", by=SYSTEM, now=clock.now())
    assert mine.get("/api/v2/summary.json").get_json()["incidents"] == []
    with other.app_context():
        db.engine.dispose()
    other.extensions["statuspage.site_version_reader"].close_all()


def test_languages_are_cached_apart(app, client, site):
    assert "Störung" in client.get("/?lang=de").get_data(as_text=True)
    assert "Störung" not in client.get("/?lang=en").get_data(as_text=True)
    assert "Störung" not in client.get("/").get_data(as_text=True)  # its cookie now says English
    browser = app.test_client()  # no cookie: Accept-Language decides
    assert "Störung" in browser.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_gzip_when_the_client_accepts_it(client, site):
    plain = client.get("/")
    packed = client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data()) / 3


def test_odd_query_arguments_are_served_and_never_stored_apart(app, client, site):
    first = client.get("/?utm_source=mail")
    assert first.status_code == 200
    with QueryCounter(app) as queries:  # `/` and any other arguments: the entry the first request made
        plain = client.get("/")
        odd = client.get("/?utm_source=other&x=1")
    assert odd.get_data() == plain.get_data() == first.get_data()
    assert queries.count == 2  # the change counter, once per request: nothing rendered, nothing stored apart


def test_thousands_of_page_values_leave_the_cache_small(app, site):
    """?page= is part of the key of /history only, clamped to the pages there are: 2,000 made-up values on
    `/` and `/history` (numbers, huge numbers, words) make no more entries than there are real pages."""
    browser = app.test_client(use_cookies=False)  # the fast path too: no session cookie
    values = [str(n) for n in range(1000)] + [f"{n}x" for n in range(400)] + ["9" * (n % 40 + 10) for n in range(300)] \
        + [f"-{n}" for n in range(300)]
    for n, value in enumerate(values):
        assert browser.get(("/", "/history")[n % 2], query_string={"page": value}).status_code == 200
    entries = app.extensions["statuspage.page_cache"].entries
    assert sorted(entries) == [("/", 1, "en"), ("/history", 1, "en")], sorted(entries)[:10]


def test_a_history_page_beyond_the_last_shows_the_last(app, client, clock, site):
    with app.app_context():
        make_incident("Old outage", now=clock.now() - timedelta(days=200))  # seven months ago: page 3 of 3
        db.session.remove()
    last = client.get("/history?page=3").get_data(as_text=True)
    assert "Old outage" in last and 'rel="next"' not in last
    for beyond in ("4", "400", "99999999999999999999"):
        assert client.get(f"/history?page={beyond}").get_data(as_text=True) == last
    assert client.get("/history?page=abc").get_data() == client.get("/history").get_data()


def test_security_headers(client, site):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")



@pytest.mark.parametrize("accept", ACCEPT_ENCODINGS)
def test_gzip_only_when_the_client_accepts_it_by_its_q_values(client, site, accept):
    for _ in range(2):  # rendered and stored, then a hit from the cache
        response = client.get("/", headers={"Accept-Encoding": accept})
        assert response.status_code == 200
        assert (response.headers.get("Content-Encoding") == "gzip") is ACCEPT_ENCODINGS[accept], accept


def test_a_head_miss_renders_without_claiming_the_page_for_others(app, client, site):
    """HEAD never stores an entry, so it must not hold the render claim: GETs missing the same page at the
    same time would wait up to RENDER_WAIT for an entry that never comes. A HEAD hit is still answered."""
    cache = app.extensions["statuspage.page_cache"]
    claims_while_rendering = []

    def seen(_sender, **_extra):
        claims_while_rendering.append(dict(cache.rendering))

    with template_rendered.connected_to(seen, app):
        head = client.head("/")
    assert head.status_code == 200 and head.get_data() == b""
    assert claims_while_rendering and all(claims == {} for claims in claims_while_rendering), claims_while_rendering
    assert cache.entries == {} and cache.rendering == {}
    stored = client.get("/")
    with template_rendered.connected_to(seen, app):
        claims_while_rendering.clear()
        hit = client.head("/")
    assert claims_while_rendering == []  # answered from the entry: nothing rendered
    assert hit.status_code == 200 and hit.headers["ETag"] == stored.headers["ETag"]


def test_the_change_counter_keeps_no_connection_for_a_thread_that_has_ended(app, site):
    """A server with a thread per request (werkzeug's: tests, `flask run`) reads the counter on each
    request's thread; the connection of a thread that ended is closed when the next one is opened, so
    they never pile up until the database refuses clients (PostgreSQL's max_connections)."""
    import threading

    reader = app.extensions["statuspage.site_version_reader"]
    reader.close_all()

    def one_request():
        assert app.test_client().get("/").status_code == 200

    for _ in range(30):
        thread = threading.Thread(target=one_request)
        thread.start()
        thread.join()
    assert len(reader.opened) <= 2, "connections of ended threads are kept open"
    assert reader() is not None  # this thread's own, and the counter still reads


def _counter_reads(statements: list[str]) -> int:
    return sum("site_version" in statement.lower() and "select" in statement.lower() for statement in statements)


@pytest.mark.parametrize("url", ["/", "/components/api", "/history", "/p/nowhere", "/api/v2/summary.json"])
def test_a_request_reads_the_change_counter_once_however_far_it_goes(app, client, site, url):
    """A miss goes through PageChoice, the fast path, Flask's hooks and the view (the bars' past days are kept
    under the counter): the counter read first is passed down, never read again."""
    reader = app.extensions["statuspage.site_version_reader"]
    reads = reader.reads
    with statements_sent(app) as statements:
        client.get(url)
    assert reader.reads - reads == 1 and _counter_reads(statements) == 0, statements


def test_a_request_not_on_any_page_reads_no_change_counter(app, client, site):
    reader = app.extensions["statuspage.site_version_reader"]
    reads = reader.reads
    with statements_sent(app) as statements:
        for url in ("/healthz", "/static/style.css", "/admin/login"):
            client.get(url).close()
    assert reader.reads == reads and _counter_reads(statements) == 0


def test_the_counter_read_on_the_event_loop_is_passed_to_flask(app, client, site, clock):
    """On the production server a request whose entry is outdated reads the counter on the event loop, misses,
    and goes to Flask's thread with that reading: PageChoice, the hooks and the view do not read it again."""

    from statuspage.web.server import Front

    front = Front(app, threads=1)
    loop_reads = []
    read = front.version.read  # services/site_version.py:LoopReader

    async def counted():
        loop_reads.append(1)
        return await read()

    front.version.read = counted

    async def get(path: str) -> int:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 5000), "server": ("localhost", 80)}
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await front(scope, receive, send)
        if read.connection is not None:  # PostgreSQL's async connection belongs to this event loop
            await read.connection.close()
            read.connection = None
        return sent[0]["status"]

    assert on_a_loop_of_its_own(get("/")) == 200  # stored through Flask (no maps yet: the loop leaves it to Flask)
    with app.app_context():
        incidents.resolve_incident(site, "Fixed.", by=SYSTEM, now=clock.now())
    reader = app.extensions["statuspage.site_version_reader"]
    reads, loop_reads[:] = reader.reads, []
    with statements_sent(app) as statements:
        assert on_a_loop_of_its_own(get("/")) == 200
    on_reader = 1 if reader.sqlite else 0  # SQLite's loop read is the Reader's (services/site_version.py)
    assert loop_reads == [1] and reader.reads - reads == on_reader and _counter_reads(statements) == 0, statements
    assert "All systems operational" in client.get("/").get_data(as_text=True)


def on_a_loop_of_its_own(coroutine):
    """Run a coroutine to its end on a new event loop in a thread of its own: this thread may already run one
    (Playwright's sync API keeps its loop running while the browser tests' session lasts)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
