"""The page cache's rules for many readers at once: one renders, the others wait for it; past TTL the others
keep being served the old page while it renders. A fixed clock stands in for time.monotonic."""
from __future__ import annotations

import threading

from statuspage.web.cache import RENDER_WAIT, TTL, Entry, PageCache

KEY = ("/", "", "en")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def entry(version: int, made: float, body: bytes = b"page") -> Entry:
    return Entry(version, made, (), body, None, '"e"', None)


def test_one_reader_renders_a_missing_page_and_the_others_wait_for_it():
    cache = PageCache(monotonic=Clock())
    assert cache.get_or_render(KEY, 1) is None  # ours to render
    got = []
    waiter = threading.Thread(target=lambda: got.append(cache.get_or_render(KEY, 1)))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive(), "a second reader rendered the page too instead of waiting"
    cache.put(KEY, entry(1, cache.monotonic()))
    cache.rendered(KEY)
    waiter.join(5)
    assert got == [cache.entries[KEY]]
    assert cache.rendering == {}


def test_a_rendering_that_stored_nothing_lets_the_next_reader_render():
    cache = PageCache(monotonic=Clock())
    assert cache.get_or_render(KEY, 1) is None
    got = []
    waiter = threading.Thread(target=lambda: got.append(cache.get_or_render(KEY, 1)))
    waiter.start()
    waiter.join(0.2)
    cache.rendered(KEY)  # e.g. a 404: nothing to keep
    waiter.join(5)
    assert got == [None] and KEY in cache.rendering  # the waiter renders now


def test_past_ttl_one_reader_renders_while_the_others_get_the_old_page_without_waiting():
    clock = Clock()
    cache = PageCache(monotonic=clock)
    old = entry(1, clock.now)
    cache.put(KEY, old)
    assert cache.get(KEY, 1) is old and cache.get_or_render(KEY, 1) is old
    clock.now += TTL + 1
    assert cache.get(KEY, 1) is None  # nobody renders it yet: the fast path hands the request on
    assert cache.get_or_render(KEY, 1) is None  # this one renders
    assert cache.get(KEY, 1) is old and cache.get_or_render(KEY, 1) is old
    cache.put(KEY, new := entry(1, clock.now, b"new"))
    cache.rendered(KEY)
    assert cache.get(KEY, 1) is new


def test_a_change_is_never_answered_with_the_old_page_and_a_stuck_renderer_is_given_up():
    clock = Clock()
    cache = PageCache(monotonic=clock)
    cache.put(KEY, entry(1, clock.now))
    assert cache.get(KEY, 2) is None and cache.get_or_render(KEY, 2) is None
    clock.now += TTL + 1
    assert cache.get_or_render(KEY, 1) is None  # an older version's reader is not held up by version 2's
    clock.now += RENDER_WAIT + 1
    assert cache.get_or_render(KEY, 2) is None  # the first renderer of version 2 never finished


def test_a_request_that_renders_nothing_to_keep_releases_its_claim(app, client):
    cache = app.extensions["statuspage.page_cache"]
    assert client.get("/components/nobody").status_code == 404
    assert client.head("/").status_code == 200
    assert cache.rendering == {}
