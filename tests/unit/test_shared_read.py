"""The change counter as the event loop reads it: requests waiting at once share one read, and a request
that arrives while a read is under way waits for the next one (that read may predate its change)."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from statuspage.services.site_version import LoopReader
from statuspage.web.server import SharedRead
from tests.servers import free_port


def run(scenario):
    """On a loop of its own in a thread of its own (the browser tests leave one running in this thread)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, scenario()).result()


class Database:
    """A counter whose reads finish only when the test says so."""

    def __init__(self):
        self.version, self.reads, self.release = 1, 0, None

    async def read(self) -> int:
        self.reads += 1
        seen = self.version  # what the database holds when the read starts
        self.release = asyncio.Event()
        await self.release.wait()
        return seen


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


def test_requests_waiting_together_share_a_read_and_later_ones_wait_for_the_next():
    async def scenario():
        database = Database()
        shared = SharedRead(database.read)
        first = [asyncio.ensure_future(shared()) for _ in range(3)]
        await settle()
        database.version = 2  # committed while the first read is under way
        late = asyncio.ensure_future(shared())
        await settle()
        database.release.set()
        assert await asyncio.wait_for(asyncio.gather(*first), 5) == [1, 1, 1]  # a bound, not a timing
        await settle()
        assert not late.done()  # the read it shares must start after it arrived
        database.release.set()
        assert await asyncio.wait_for(late, 5) == 2
        assert database.reads == 2

    run(scenario)


def test_a_failed_read_answers_none_and_the_next_request_reads_again():
    async def scenario():
        calls = []

        async def read():
            calls.append(1)
            if len(calls) == 1:
                raise OSError("database away")
            return 7

        shared = SharedRead(read)
        assert await shared() is None
        assert await shared() == 7

    run(scenario)


def test_a_postgresql_server_that_does_not_answer_reads_as_unknown():
    nobody = SimpleNamespace(sqlite=False, conninfo=f"postgresql://postgres@127.0.0.1:{free_port()}/statuspage")
    read = LoopReader(nobody)
    assert run(read) is None and run(read) is None  # and again: a new connection each time, no error
