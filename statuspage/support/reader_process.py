"""Tickets read in a process of their own beside each web worker, at a lower CPU priority.

Why: reading a ticket (the sentence encoder, the evidence, the model) is about 10 ms of CPU that holds the
interpreter lock. Inside the web worker it makes the event loop that answers cached pages wait for that
lock, and during a burst of tickets the pages slow down. In a process of its own, niced, the worker's lock
stays free for the pages and the kernel gives the pages (and the database) the CPU first; tickets still get
every cycle the pages leave. The child reads the same database and keeps the same snapshot of open incidents
(candidates.py); the worker stores what it decides. Should the child die or hang, the ticket is read in the
worker instead and the next one starts a new child: a ticket is never lost for it.

The child is `python -m statuspage.support.reader_process`, spoken to over its stdin and stdout: pickled
(request, answer) pairs, each behind its length. It ends when its stdin closes, so it never outlives its worker.
"""
from __future__ import annotations

import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask import Flask

log = logging.getLogger(__name__)

NICENESS = 10        # the pages first: tickets take the CPU they leave
READ_TIMEOUT_S = 30  # a ticket's reading is bounded far below this (text.MAX_TEXT); past it the child is stuck
START_TIMEOUT_S = 120
EXTENSION = "statuspage.ticket_reader"
_LENGTH = struct.Struct("!I")


class Silent(Exception):
    """The other side ended, or said nothing in time."""


class ReaderProcess:
    """One child process that reads this worker's tickets, one at a time; started at once, again after a failure."""

    def __init__(self, app: Flask):
        self.settings = dict(app.config["SETTINGS"].__dict__)
        self.lock = threading.Lock()
        self.child: subprocess.Popen | None = None
        self.started = False                     # the child said it is ready

    def start(self) -> None:
        """Start the child now: it loads the model and reads the open incidents; the first read waits for that."""
        with self.lock:
            self._spawn()

    def pid(self) -> int:
        """The child's process id, once it is ready (started if needed)."""
        with self.lock:
            self._ready()
            return self.child.pid

    def read(self, given, *, now: datetime):
        """The matcher's decision for a ticket (intake.TicketIn), read in the child; in this process if the
        child cannot (it died, hung or is not there: it is then replaced)."""
        from .intake import read_ticket

        with self.lock:
            try:
                self._ready()
                _send(self.child.stdin, (given, now), READ_TIMEOUT_S)
                answer = _receive(self.child.stdout, READ_TIMEOUT_S)
            except (Silent, OSError) as failure:
                log.warning("the ticket reader process failed (%s): reading this ticket here, restarting it", failure)
                self._kill()
                answer = None
        return answer if answer is not None else read_ticket(given, now=now)

    def stop(self) -> None:
        with self.lock:
            self._kill()

    def _spawn(self) -> None:
        if self.child is None or self.child.poll() is not None:
            package_root = str(Path(__file__).resolve().parents[2])    # this very statuspage, also in a checkout
            path = os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))
            self.child = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": path})
            os.set_blocking(self.child.stdin.fileno(), False)
            self.started = False
            _send(self.child.stdin, self.settings, START_TIMEOUT_S)

    def _ready(self) -> None:
        self._spawn()
        if not self.started:
            if _receive(self.child.stdout, START_TIMEOUT_S) != "ready":
                raise Silent("it did not start")
            self.started = True

    def _kill(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child.wait()
            for pipe in (self.child.stdin, self.child.stdout):
                pipe.close()
            self.child = None


def install(app: Flask) -> ReaderProcess:
    """Read this app's tickets in a child process from now on (intake.py asks app.extensions)."""
    reader = app.extensions[EXTENSION] = ReaderProcess(app)
    reader.start()
    return reader


def _send(pipe: BinaryIO, message, timeout: float | None = None) -> None:
    """Write one message; Silent when the other side takes none of it for timeout seconds (the pipe
    is then non-blocking, so a stopped child cannot hold the worker's thread)."""
    data = memoryview(_LENGTH.pack(len(body := pickle.dumps(message, pickle.HIGHEST_PROTOCOL))) + body)
    deadline = None if timeout is None else time.monotonic() + timeout
    while data:
        if deadline is not None and not select.select([], [pipe], [], max(0.0, deadline - time.monotonic()))[1]:
            raise Silent(f"took nothing in {timeout:g} s")
        try:
            data = data[os.write(pipe.fileno(), data):]
        except BlockingIOError:
            continue


def _receive(pipe: BinaryIO, timeout: float | None):
    """The next message; Silent when none comes within timeout seconds (None: wait for ever) or the
    other side is gone."""
    deadline = None if timeout is None else time.monotonic() + timeout
    (size,) = _LENGTH.unpack(_exactly(pipe, _LENGTH.size, deadline))
    return pickle.loads(_exactly(pipe, size, deadline))


def _exactly(pipe: BinaryIO, wanted: int, deadline: float | None) -> bytes:
    data = b""
    while len(data) < wanted:
        if deadline is not None and not select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))[0]:
            raise Silent("no answer in time")
        chunk = os.read(pipe.fileno(), wanted - len(data))
        if not chunk:
            raise Silent("it ended")
        data += chunk
    return data


def _serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """The child: build the app from the worker's settings, load what reading needs, then answer until the
    worker closes the pipe."""
    from .. import create_app
    from ..extensions import db
    from . import candidates, matching
    from .intake import read_ticket

    app = create_app(_receive(requests, None))
    matching.warm()
    try:
        candidates.warm(app)
    except Exception:   # no database yet: the first ticket reads the incidents
        log.warning("could not read the open incidents for ticket matching at start", exc_info=True)
    os.nice(NICENESS)   # after loading, which the worker's first ticket waits for
    _send(answers, "ready")
    while True:
        given, now = _receive(requests, None)     # Silent when the worker is gone
        with app.app_context():
            try:
                answer = read_ticket(given, now=now)
            except Exception:   # the worker reads it again itself, and answers for it as it would have
                log.exception("could not read a ticket")
                answer = None
            finally:
                db.session.remove()
        _send(answers, answer)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)       # whatever prints goes to the log, not into the answers
    try:
        _serve(sys.stdin.buffer, answers)
    except (BrokenPipeError, Silent):
        pass            # the worker went away (before this child was ready, say): nothing to answer
