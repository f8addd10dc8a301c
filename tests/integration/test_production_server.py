"""The production server (gunicorn.conf.py: uvicorn workers answering cache hits on their event loop, Flask
on a thread pool for the rest), over real sockets: each worker has its own page cache, yet a change
committed through one is what every later request sees; hits answer as Flask would (304, gzip, HEAD,
HSTS behind the proxy); what a client may send gets no 500."""
from __future__ import annotations

import dataclasses
import gzip
import http.client
import json
import socket
import urllib.error
import urllib.request
from email.message import Message

import pytest

from statuspage.services import accounts
from tests.builders import SYSTEM, START, make_component, make_incident
from tests.servers import production_server


def get(url: str, headers: dict | None = None, method: str = "GET") -> tuple[int, Message, bytes]:
    """A fresh connection each time, so the requests spread over both workers."""
    request = urllib.request.Request(url, headers={"Connection": "close", **(headers or {})}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def incident_and_token(app):
    with app.app_context():
        make_component("api", "API", now=START)
        incident = make_incident("API errors", components_={"api": "major_outage"}, now=START)
        _record, token = accounts.create_token(role="responder", label="bot", by=SYSTEM, now=START)
    return incident.id, token


@pytest.mark.slow
def test_a_change_through_one_worker_is_seen_through_every_worker(database_url, tmp_path, incident_and_token):
    incident_id, token = incident_and_token
    with production_server(database_url, tmp_path, workers=2) as base:
        for _ in range(40):  # both workers render and cache the open incident
            status, headers, body = get(base + "/api/v2/summary.json")
            assert status == 200 and json.loads(body)["incidents"][0]["name"] == "API errors"
        request = urllib.request.Request(f"{base}/api/v1/incidents/{incident_id}", method="PATCH",
                                         data=json.dumps({"status": "resolved"}).encode(),
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        for _ in range(40):
            status, headers, body = get(base + "/api/v2/summary.json")
            assert json.loads(body)["incidents"] == [], "a worker served its cached page after the change"
            page = get(base + "/", {"Accept-Encoding": "gzip"})
            assert page[1]["Content-Encoding"] == "gzip"


@pytest.mark.slow
def test_cache_hits_answer_as_flask_does_and_no_request_gets_a_500(database_url, tmp_path, incident_and_token):
    behind_a_proxy = {"STATUSPAGE_TRUSTED_PROXIES": "127.0.0.1"}  # its X-Forwarded-Proto says HTTPS
    with production_server(database_url, tmp_path, workers=1, settings=behind_a_proxy) as base:
        status, headers, body = get(base + "/")
        assert status == 200 and "API errors" in body.decode()
        for _ in range(3):  # from here on, hits
            status, packed, zipped = get(base + "/", {"Accept-Encoding": "gzip, br"})
            assert packed["Content-Encoding"] == "gzip" and gzip.decompress(zipped) == body
            assert "Accept-Encoding" in packed["Vary"] and int(packed["Content-Length"]) == len(zipped)
            assert get(base + "/", {"If-None-Match": headers["ETag"]})[:3:2] == (304, b"")
            head = get(base + "/", method="HEAD")
            assert head[0] == 200 and head[2] == b"" and int(head[1]["Content-Length"]) == len(body)
            assert "Strict-Transport-Security" not in get(base + "/")[1]
            assert "max-age" in get(base + "/", {"X-Forwarded-Proto": "https"})[1]["Strict-Transport-Security"]
            assert "frame-ancestors" in get(base + "/")[1]["Content-Security-Policy"]
        assert get(base + "/", {"Cookie": "session=\xff\xfe; statuspage_lang=\xc3"})[0] == 200
        assert get(base + "/api/v1/incidents", {"Cookie": "\xff=\xfe"})[0] == 401
        assert get(base + "/?page=%ff%fe")[0] in (200, 400, 404)
        assert get(base + "/components/%C3%A9%ff")[0] == 404
        for raw in (b"GET /?x=\xff HTTP/1.1\r\nHost: a\r\n\r\n", b"GET / HTTP/1.1\r\nHost: a\r\nCookie: \xff\xfe\r\n\r\n",
                    b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"):
            assert raw_status(base, raw) in (200, 400, 405, 501), raw


def raw_status(base: str, request: bytes) -> int:
    """What the server answers to bytes no well-behaved client would send."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        response = http.client.HTTPResponse(connection)
        response.begin()
        return response.status


@pytest.mark.slow
def test_gzip_follows_the_q_values_on_the_event_loop_and_in_flask(database_url, tmp_path, incident_and_token):
    from tests.builders import ACCEPT_ENCODINGS

    with production_server(database_url, tmp_path, workers=1) as base:
        for accept, gzipped in ACCEPT_ENCODINGS.items():
            for url in ("/", "/api/v2/summary.json", "/?lang=de"):  # hits on the loop; ?lang= sets a cookie: Flask
                status, headers, body = get(base + url, {"Accept-Encoding": accept})
                assert status == 200 and (headers["Content-Encoding"] == "gzip") is gzipped, (url, accept)


@pytest.mark.slow
@pytest.mark.parametrize("app_argument", [None, "wsgi:app"])
def test_the_config_alone_and_the_conventional_wsgi_app_argument_serve_the_same_site(
        database_url, tmp_path, incident_and_token, app_argument):
    """`gunicorn -c gunicorn.conf.py` and `gunicorn -c gunicorn.conf.py wsgi:app`: pages (rendered, then cache
    hits on the event loop), Flask for the rest, the same answers."""
    incident_id, token = incident_and_token
    with production_server(database_url, tmp_path, workers=1, app=app_argument) as base:
        first = get(base + "/")
        assert first[0] == 200 and "API errors" in first[2].decode()
        assert get(base + "/")[2] == first[2]  # a hit
        assert get(base + "/", {"If-None-Match": first[1]["ETag"]})[0] == 304
        assert get(base + "/api/v1/incidents")[0] == 401
        status, _headers, body = get(base + f"/api/v1/incidents/{incident_id}",
                                     {"Authorization": f"Bearer {token}"})
        assert status == 200 and json.loads(body)["name"] == "API errors"
        assert get(base + "/healthz")[0] == 200 and get(base + "/readyz")[0] == 200


def test_the_worker_puts_a_flask_app_behind_application_and_leaves_an_asgi_app_alone(app, monkeypatch):
    """What gunicorn loads becomes what the ASGI worker serves: wsgi.py's Flask app goes through application()
    (not run for real here: it warms the matcher, freezes the collector and shortens the switch interval for
    the whole process), an ASGI app stays as it is, any other WSGI app is wrapped; wsgi.py stays plain WSGI."""
    from a2wsgi import WSGIMiddleware

    from statuspage.web import server
    from tests.servers import ROOT

    given = []
    monkeypatch.setattr(server, "application", lambda flask_app=None: given.append(flask_app) or "front")
    assert server.as_asgi(app) == "front" and given == [app]

    async def asgi_app(scope, receive, send):
        pass
    assert server.as_asgi(asgi_app) is asgi_app
    assert isinstance(server.as_asgi(lambda environ, start_response: []), WSGIMiddleware)
    assert (ROOT / "wsgi.py").read_text() == "from statuspage import create_app_or_exit\n\napp = create_app_or_exit()\n"


@pytest.mark.slow
def test_pages_chosen_by_host_and_path_on_the_event_loop_and_a_new_page_everywhere_at_once(
        app, database_url, tmp_path, incident_and_token):
    from tests.builders import make_page

    with app.app_context():
        make_component("payments", "Payments", now=START)
        make_page("shop", ["payments"], name="Shop Status", host="status.shop.example")
        make_incident("Payments are failing", components_={"payments": "major_outage"}, now=START)
    with production_server(database_url, tmp_path, workers=2) as base:
        for _ in range(20):  # both workers render, then answer from their loops
            default = get(base + "/")[2].decode()
            shop = get(base + "/", {"Host": "status.shop.example:8443"})[2].decode()
            assert "API errors" in default and "Shop Status" not in default
            assert "Payments are failing" in shop and "API errors" not in shop
            assert get(base + "/p/shop")[0] == 404  # a page with a host is only there
            assert get(base + "/p/later")[0] == 404
        with app.app_context():
            make_page("later", ["api"], name="Later Status")
        for _ in range(20):
            status, _headers, body = get(base + "/p/later")
            assert status == 200 and "Later Status" in body.decode(), "a worker did not know the new page"


@pytest.mark.slow
def test_a_worker_holds_no_more_database_connections_than_the_readme_says(app, database_url, tmp_path,
                                                                           incident_and_token):
    """README, PostgreSQL: a web worker holds at most 2 × STATUSPAGE_DB_POOL_SIZE + STATUSPAGE_WEB_THREADS + 1
    connections (config.py:Settings.database_connections_per_worker). One worker under mixed load (pages its
    cache answers on the event loop, pages rendered after a change on its threads, API reads and writes):
    PostgreSQL, sampled all along, never counts more of the worker's connections, and sees each kind."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite: one file, no server connections to count")
    import threading

    import psycopg
    from sqlalchemy.engine import make_url

    _incident_id, token = incident_and_token
    with app.app_context():  # one incident per client: their writes never race for the same row (409)
        written = [make_incident(f"Load {n}", components_={"api": "degraded_performance"}, now=START).id
                   for n in range(6)]
    pool, threads = 1, 2
    limit = dataclasses.replace(app.config["SETTINGS"], db_pool_size=pool, web_threads=threads)
    assert limit.database_connections_per_worker == 2 * pool + threads + 1
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as counter:
        ours = {row[0] for row in counter.execute(  # this process's own (the test app's pool, this one)
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")}
        seen, done = [], threading.Event()

        def sample():
            while not done.is_set():
                pids = {row[0] for row in counter.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")}
                seen.append(len(pids - ours))
                done.wait(0.02)  # sampling, not timing: the load below decides how long

        with production_server(database_url, tmp_path, workers=1, threads=threads,
                               settings={"STATUSPAGE_DB_POOL_SIZE": str(pool)}) as base:
            sampler = threading.Thread(target=sample)
            sampler.start()
            try:
                def load(n: int):
                    for k in range(15):
                        if k % 5 == n % 5:  # a write moves the counter: the next page is a miss, rendered on a thread
                            request = urllib.request.Request(
                                f"{base}/api/v1/incidents/{written[n]}", method="PATCH",
                                data=json.dumps({"name": f"Load {n}.{k}"}).encode(),
                                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                            with urllib.request.urlopen(request, timeout=30) as response:
                                assert response.status == 200
                        for path in ("/", "/api/v2/summary.json", "/history"):
                            assert get(base + path)[0] == 200
                        assert get(base + "/api/v1/incidents", {"Authorization": f"Bearer {token}"})[0] == 200

                clients = [threading.Thread(target=load, args=(n,)) for n in range(6)]
                for client in clients:
                    client.start()
                for client in clients:
                    client.join(120)
            finally:
                done.set()
                sampler.join(10)
    assert max(seen) <= limit.database_connections_per_worker, max(seen)
    assert max(seen) >= pool + 1 + 1, seen  # the pool, a thread's counter reader, the loop's reader
