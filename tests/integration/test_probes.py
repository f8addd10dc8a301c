"""Probes against real local servers: every way a target misbehaves is a failed result with a clear line.

The servers live in tests/targets.py. Timeouts here are small bounds (0.5 s), not sleeps; the only timing
assertions are lower bounds the server guarantees or generous upper bounds.
"""
from __future__ import annotations

import concurrent.futures
import gc
import logging
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from statuspage.monitoring import probes
from statuspage.monitoring.probes import (
    ANY, MAX_BODY_BYTES, MAX_REDIRECTS, HttpExpect, ProbeLoop, ProbeResult, ProbeSpec, run_probes,
)
from tests.builders import START
from tests.servers import wait_until

NOW = START  # certificate arithmetic uses this; started_at uses the wall clock


def check(spec: ProbeSpec, *, ca_file: str | None = None, now: datetime = NOW) -> ProbeResult:
    return run_probes([spec], now=now, ca_file=ca_file)[0]


def http(url: str, timeout: float = 5, **fields) -> ProbeSpec:
    return ProbeSpec("http", url, timeout, **fields)


def failed(result: ProbeResult, error: str) -> bool:
    return not result.ok and result.error == error


@pytest.fixture(autouse=True, scope="module")
def _no_leaks():
    """Unclosed sockets, sessions or loops become warnings, and so errors; collect before the servers stop."""
    yield
    gc.collect()


# --- http: success, status, redirects -------------------------------------------------------------------

def test_http_ok(http_target):
    before = datetime.now(timezone.utc)
    result = check(http(http_target.url("/ok")))
    assert result.ok and result.error is None and result.status_code == 200
    assert isinstance(result.latency_ms, int) and 0 <= result.latency_ms < 5000
    assert before <= result.started_at <= datetime.now(timezone.utc)
    assert result.started_at.tzinfo is not None


def test_status_outside_2xx_3xx_fails_by_default(http_target):
    result = check(http(http_target.url("/status/500")))
    assert failed(result, "status 500, expected 2xx or 3xx")
    assert result.status_code == 500 and result.latency_ms is not None


def test_explicit_statuses(http_target):
    assert failed(check(http(http_target.url("/status/503"), expect=HttpExpect(status=(200, 204)))),
                  "status 503, expected 200 or 204")
    assert failed(check(http(http_target.url("/status/200"), expect=HttpExpect(status=(201, 202, 204)))),
                  "status 200, expected 201, 202 or 204")
    assert check(http(http_target.url("/status/404"), expect=HttpExpect(status=(404,)))).ok
    assert check(http(http_target.url("/status/204"), expect=HttpExpect(status=(200, 204)))).ok


def test_redirects_are_followed(http_target):
    result = check(http(http_target.url("/redirect"), expect=HttpExpect(status=(200,), body_contains="Sign in")))
    assert result.ok and result.status_code == 200
    assert [r.path for r in http_target.requests] == ["/redirect", "/ok"]


def test_redirects_not_followed_when_asked(http_target):
    result = check(http(http_target.url("/redirect"), follow_redirects=False))
    assert result.ok and result.status_code == 302  # 3xx passes the default expectation
    assert failed(check(http(http_target.url("/redirect"), follow_redirects=False, expect=HttpExpect(status=(200,)))),
                  "status 302, expected 200")
    assert [r.path for r in http_target.requests] == ["/redirect", "/redirect"]


def test_redirect_loop(http_target):
    result = check(http(http_target.url("/loop")))
    assert failed(result, f"too many redirects (more than {MAX_REDIRECTS})")
    assert len(http_target.requests) == MAX_REDIRECTS + 1


def test_only_http_urls(http_target):
    for url in ("ftp://example.com/file", "file:///etc/passwd", "localhost:80"):
        assert failed(check(http(url)), "only http:// and https:// URLs can be checked")


# --- http: bodies -----------------------------------------------------------------------------------------

def test_body_contains(http_target):
    assert check(http(http_target.url("/ok"), expect=HttpExpect(body_contains="Sign in"))).ok
    result = check(http(http_target.url("/ok"), expect=HttpExpect(body_contains="Dashboard")))
    assert failed(result, "body does not contain 'Dashboard'") and result.status_code == 200


def test_body_regex(http_target):
    assert check(http(http_target.url("/ok"), expect=HttpExpect(body_regex=r"Sign\s+in"))).ok
    assert failed(check(http(http_target.url("/ok"), expect=HttpExpect(body_regex=r"Sign\s+out"))),
                  r"body does not match /Sign\s+out/")
    result = check(http(http_target.url("/ok"), expect=HttpExpect(body_regex="(")))
    assert not result.ok and result.error.startswith("body_regex /(/ is not a valid regular expression")


@pytest.mark.parametrize("path", ["/huge", "/huge?chunked=1"])
def test_huge_body(http_target, path):
    result = check(http(http_target.url(path), expect=HttpExpect(body_contains="never there")))
    assert failed(result, "response body larger than 1 MiB") and result.status_code == 200
    assert MAX_BODY_BYTES == 1024 * 1024


def test_huge_body_is_not_read_when_no_expectation_needs_it(http_target):
    result = check(http(http_target.url("/huge")))
    assert result.ok and result.status_code == 200


def test_endless_body_ends_at_the_timeout(http_target):
    started = time.monotonic()
    result = check(http(http_target.url("/endless"), timeout=0.5, expect=HttpExpect(body_contains="the end")))
    assert failed(result, "timed out after 0.5 s")
    assert result.status_code == 200 and result.latency_ms is not None  # the headers did come
    assert time.monotonic() - started < 5
    assert wait_until(lambda: http_target.in_flight == 0, timeout=5.0)  # the client hung up


def test_hang_times_out(http_target):
    result = check(http(http_target.url("/hang"), timeout=0.5))
    assert failed(result, "timed out after 0.5 s")
    assert result.latency_ms is None and result.status_code is None


def test_latency_limit(http_target):
    result = check(http(http_target.url("/slow?ms=300"), expect=HttpExpect(max_latency_ms=100)))
    assert not result.ok and result.latency_ms >= 300
    assert result.error == f"took {result.latency_ms} ms, limit 100 ms"
    assert check(http(http_target.url("/ok"), expect=HttpExpect(max_latency_ms=60_000))).ok


def test_checks_run_in_order_status_latency_body_json(http_target):
    everything = HttpExpect(status=(200,), max_latency_ms=100, body_contains="nope", json_path="$.x")
    assert check(http(http_target.url("/status/500"), expect=everything)).error == "status 500, expected 200"
    assert check(http(http_target.url("/slow?ms=300"), expect=everything)).error.startswith("took ")
    relaxed = HttpExpect(body_contains="nope", json_path="$.x")
    assert check(http(http_target.url("/json"), expect=relaxed)).error == "body does not contain 'nope'"


# --- http: JSON -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [
    ("$", ANY),
    ("$.status", "ok"),
    ("$.status", ANY),
    ("$.items[0].name", "a"),
    ("$.items[-1]", {"name": "a"}),
    ("$.items", [{"name": "a"}]),
    ("$['key with space']", True),
    ('$["items"][0]["name"]', "a"),
])
def test_json_path_matches(http_target, path, expected):
    result = check(http(http_target.url("/json?status=ok"), expect=HttpExpect(json_path=path, json_equals=expected)))
    assert result.ok, result.error


@pytest.mark.parametrize("path, expected, error", [
    ("$.status", "ok", "$.status is 'degraded', expected 'ok'"),
    ("$.nope", ANY, "$.nope is missing"),
    ("$.items[3].name", ANY, "$.items[3].name is missing"),
    ("$.status.deeper", ANY, "$.status.deeper is missing"),
    ("$['key with space']", 1, "$['key with space'] is true, expected 1"),
    ("$.items", [], '$.items is [{"name": "a"}], expected []'),
    ("status", ANY, "JSON path 'status' is not supported (use $.a.b, $.items[0], $['a key'])"),
    ("$.items[*]", ANY, "JSON path '$.items[*]' is not supported (use $.a.b, $.items[0], $['a key'])"),
])
def test_json_path_failures(http_target, path, expected, error):
    result = check(http(http_target.url("/json?status=degraded"), expect=HttpExpect(json_path=path, json_equals=expected)))
    assert failed(result, error)


def test_response_is_not_json(http_target):
    assert failed(check(http(http_target.url("/ok"), expect=HttpExpect(json_path="$"))), "response is not JSON")


# --- http: requests as sent -------------------------------------------------------------------------------

def test_headers_are_sent(http_target):
    spec = http(http_target.url("/echo-headers"), headers=(("X-Check", "yes"), ("Accept", "application/json")),
                expect=HttpExpect(json_path="$.headers['x-check']", json_equals="yes"))
    assert check(spec).ok
    (seen,) = http_target.requests
    assert seen.headers["user-agent"] == "statuspage-check/1"
    assert seen.headers["accept"] == "application/json"
    assert "cookie" not in seen.headers


def test_methods_head_and_post(http_target):
    assert check(http(http_target.url("/ok"), method="HEAD")).ok
    post = http(http_target.url("/echo-headers"), method="POST", expect=HttpExpect(json_path="$.method", json_equals="POST"))
    assert check(post).ok
    assert [r.method for r in http_target.requests] == ["HEAD", "POST"]


# --- http: connections that fail ----------------------------------------------------------------------------

def test_connection_refused(tcp_target):
    assert failed(check(http(f"http://{tcp_target.closed_address()}/ok")), "connection refused")


@pytest.mark.parametrize("path, expect", [
    ("/reset", HttpExpect()),  # reset before the headers are complete
    ("/reset?during=body", HttpExpect(body_contains="the end")),  # reset while the body is read
])
def test_connection_reset(http_target, path, expect):
    assert failed(check(http(http_target.url(path), expect=expect)), "connection reset by peer")


def test_unknown_host():
    result = check(http("http://nonexistent.invalid/"))
    assert failed(result, "unknown host nonexistent.invalid") and result.latency_ms is None


# --- https ---------------------------------------------------------------------------------------------------

def test_https_with_the_ca_file(tls_target):
    result = check(http(tls_target.url("/ok"), expect=HttpExpect(body_contains="Sign in")), ca_file=tls_target.ca_file)
    assert result.ok and result.status_code == 200


def test_https_without_the_ca_file_is_not_trusted(tls_target):
    assert failed(check(http(tls_target.url("/ok"))),
                  "TLS certificate not valid: unable to get local issuer certificate")


def test_https_unknown_ca_and_verify_tls_false(tls_target):
    untrusted = tls_target.server(trusted=False)
    assert failed(check(http(untrusted.url("/ok")), ca_file=tls_target.ca_file),
                  "TLS certificate not valid: unable to get local issuer certificate")
    assert check(http(untrusted.url("/ok"), verify_tls=False), ca_file=tls_target.ca_file).ok


def test_https_wrong_host_name(tls_target):
    other = tls_target.server(identities=("other.example",))
    result = check(http(other.url("/ok")), ca_file=tls_target.ca_file)
    assert not result.ok and result.error.startswith("TLS certificate not valid: IP address mismatch")


# --- tcp -----------------------------------------------------------------------------------------------------

def test_tcp_ok(tcp_target):
    accepted = tcp_target.accepted
    result = check(ProbeSpec("tcp", tcp_target.address, 5))
    assert result.ok and result.latency_ms is not None and result.status_code is None
    assert wait_until(lambda: tcp_target.accepted > accepted, timeout=5.0)


def test_tcp_refused(tcp_target):
    result = check(ProbeSpec("tcp", tcp_target.closed_address(), 5))
    assert failed(result, "connection refused") and result.latency_ms is None


def test_tcp_ipv6_literal():
    try:
        listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with listener:
        assert check(ProbeSpec("tcp", f"[::1]:{listener.getsockname()[1]}", 5)).ok


def test_tcp_unknown_host_and_bad_targets():
    assert failed(check(ProbeSpec("tcp", "nonexistent.invalid:80", 5)), "unknown host nonexistent.invalid")
    for target in ("localhost", "localhost:http", "localhost:70000", ""):
        assert failed(check(ProbeSpec("tcp", target, 5)), f"target {target!r} is not host:port")


def test_tls_handshake_that_never_comes_times_out():
    with socket.create_server(("127.0.0.1", 0), backlog=1) as listener:  # never accepts, never answers
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        result = check(ProbeSpec("tls", address, 0.5))  # connects, then waits for a TLS handshake forever
    assert failed(result, "timed out after 0.5 s")


# --- dns -----------------------------------------------------------------------------------------------------

def test_dns_localhost():
    result = check(ProbeSpec("dns", "localhost", 5, dns_answers=("127.0.0.1",)))
    assert result.ok and result.latency_ms is not None


def test_dns_wrong_answer():
    result = check(ProbeSpec("dns", "localhost", 5, dns_answers=("10.0.0.1",)))
    assert not result.ok
    assert result.error.startswith("resolves to ") and "127.0.0.1" in result.error
    assert result.error.endswith(", expected 10.0.0.1")


def test_dns_unknown_host():
    assert failed(check(ProbeSpec("dns", "nonexistent.invalid", 5)), "unknown host nonexistent.invalid")


# --- tls -----------------------------------------------------------------------------------------------------

def test_tls_ok(tls_target):
    result = check(ProbeSpec("tls", tls_target.address, 5), ca_file=tls_target.ca_file)
    assert result.ok and result.latency_ms is not None
    host_name = "localhost:" + tls_target.address.rsplit(":", 1)[1]
    assert check(ProbeSpec("tls", host_name, 5), ca_file=tls_target.ca_file).ok


def test_tls_unknown_ca(tls_target):
    assert failed(check(ProbeSpec("tls", tls_target.server(trusted=False).address, 5), ca_file=tls_target.ca_file),
                  "TLS certificate not valid: unable to get local issuer certificate")


def test_tls_expiring_soon(tls_target):
    midnight = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    expires = midnight + timedelta(days=60)
    server = tls_target.server(not_after=expires)
    spec = ProbeSpec("tls", server.address, 5)
    result = check(spec, ca_file=tls_target.ca_file, now=expires - timedelta(days=3, hours=1))
    assert failed(result, f"certificate expires in 3 days ({expires:%Y-%m-%d}), limit 14")
    assert result.latency_ms is not None
    assert check(spec, ca_file=tls_target.ca_file, now=expires - timedelta(days=30)).ok
    assert check(ProbeSpec("tls", server.address, 5, tls_min_days=2), ca_file=tls_target.ca_file,
                 now=expires - timedelta(days=3)).ok
    assert failed(check(spec, ca_file=tls_target.ca_file, now=expires + timedelta(days=1)),
                  f"certificate expired on {expires:%Y-%m-%d}")


def test_tls_expired(tls_target):
    server = tls_target.server(not_after=datetime(2020, 1, 1, tzinfo=timezone.utc))
    assert failed(check(ProbeSpec("tls", server.address, 5), ca_file=tls_target.ca_file),
                  "TLS certificate not valid: certificate has expired")


def test_tls_against_plain_http(http_target):
    result = check(ProbeSpec("tls", http_target.address, 5))
    assert not result.ok and result.error.startswith("TLS handshake failed: ")


# --- never raising --------------------------------------------------------------------------------------------

def test_unknown_kind():
    assert failed(check(ProbeSpec("smtp", "localhost:25", 5)), "unknown check kind 'smtp'")


def test_unexpected_exception_is_a_one_line_result(http_target, caplog):
    with caplog.at_level(logging.WARNING, logger="statuspage.monitoring.probes"):
        result = check(http(http_target.url("/ok"), headers=(("X-Bad", "a\r\nInjected: yes"),)))
    assert not result.ok and result.error.startswith("ValueError: ")
    assert "\n" not in result.error and len(result.error) <= 200
    assert "failed unexpectedly" in caplog.text


def test_error_text_is_trimmed_to_one_line(monkeypatch):
    async def boom(spec, http, now, attempt):
        raise RuntimeError("first line\nsecond line " + "x" * 500)
    monkeypatch.setitem(probes._PROBES, "dns", boom)
    result = check(ProbeSpec("dns", "localhost", 5))
    assert not result.ok and result.error.startswith("RuntimeError: first line second line xxx")
    assert len(result.error) == 200 and result.error.endswith("...")


def test_run_probes_keeps_the_order(http_target, tcp_target):
    specs = [http(http_target.url("/slow?ms=200")), ProbeSpec("tcp", tcp_target.closed_address(), 5),
             http(http_target.url("/status/404")), ProbeSpec("dns", "localhost", 5)]
    results = run_probes(specs, now=NOW, concurrency=4)
    assert [r.ok for r in results] == [True, False, False, True]
    assert [r.status_code for r in results] == [200, None, 404, None]


# --- ProbeLoop --------------------------------------------------------------------------------------------------

def test_probe_loop_runs_probes_from_any_thread(http_target, tcp_target):
    with ProbeLoop(concurrency=10) as loop:
        futures = []
        threads = [threading.Thread(target=lambda: futures.append(loop.submit(http(http_target.url("/ok")), now=NOW)))
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        futures.append(loop.submit(ProbeSpec("tcp", tcp_target.address, 5), now=NOW))
        results = [future.result(timeout=10) for future in futures]
    assert all(result.ok for result in results)


def test_probe_loop_bounds_concurrency(http_target):
    with ProbeLoop(concurrency=2) as loop:
        futures = [loop.submit(http(http_target.url("/slow?ms=300")), now=NOW) for _ in range(6)]
        results = [future.result(timeout=20) for future in futures]
    assert all(result.ok for result in results)
    assert http_target.max_concurrent == 2


def test_probe_loop_started_at_is_when_the_probe_ran(http_target):
    with ProbeLoop(concurrency=1) as loop:
        first, second = (loop.submit(http(http_target.url("/slow?ms=200")), now=NOW) for _ in range(2))
        first, second = first.result(timeout=10), second.result(timeout=10)
    assert second.started_at - first.started_at >= timedelta(milliseconds=200)  # it waited for the first


def test_probe_loop_uses_the_ca_file(tls_target):
    with ProbeLoop(ca_file=tls_target.ca_file) as loop:
        https = loop.submit(http(tls_target.url("/ok")), now=NOW)
        tls = loop.submit(ProbeSpec("tls", tls_target.address, 5), now=NOW)
        assert https.result(timeout=10).ok and tls.result(timeout=10).ok


def test_probe_loop_survives_a_probe_that_raises(http_target, monkeypatch):
    async def boom(spec, http, now, attempt):
        raise KeyError("surprise")
    monkeypatch.setitem(probes._PROBES, "dns", boom)
    with ProbeLoop(concurrency=2) as loop:
        broken = loop.submit(ProbeSpec("dns", "localhost", 5), now=NOW).result(timeout=10)
        after = loop.submit(http(http_target.url("/ok")), now=NOW).result(timeout=10)
    assert failed(broken, "KeyError: 'surprise'")
    assert after.ok


def test_probe_loop_stop_with_hanging_probes(http_target):
    loop = ProbeLoop(concurrency=2)
    loop.start()
    futures = [loop.submit(http(http_target.url("/hang"), timeout=60), now=NOW) for _ in range(5)]
    assert wait_until(lambda: http_target.in_flight == 2, timeout=5.0)  # two running, three waiting their turn
    started = time.monotonic()
    loop.stop()
    assert time.monotonic() - started < 5
    assert all(future.cancelled() for future in futures)
    with pytest.raises(concurrent.futures.CancelledError):
        futures[0].result(timeout=0)
    assert not any(thread.name == "probe-loop" for thread in threading.enumerate())
    assert wait_until(lambda: http_target.in_flight == 0, timeout=5.0)  # the server saw both clients go
    gc.collect()  # an unclosed transport or session would warn here, in this test
    loop.stop()  # twice is harmless
    with pytest.raises(RuntimeError):
        loop.submit(http(http_target.url("/ok")), now=NOW)


def test_probe_loop_bad_ca_file_fails_at_start(tmp_path):
    loop = ProbeLoop(ca_file=str(tmp_path / "missing.pem"))
    with pytest.raises(FileNotFoundError):
        loop.start()
    with pytest.raises(RuntimeError):
        loop.submit(ProbeSpec("dns", "localhost", 5), now=NOW)
    loop.stop()
