"""Tickets read in a process of their own beside each web worker, at a lower CPU priority.

Why: reading a ticket (the sentence encoder, the evidence, the model) is about 10 ms of CPU that holds the
interpreter lock. Inside the web worker it makes the event loop that answers cached pages wait for that
lock, and during a burst of tickets the pages slow down. In a process of its own, niced, the worker's lock
stays free for the pages and the kernel gives the pages (and the database) the CPU first; tickets still get
every cycle the pages leave. The child reads the same database and keeps the same snapshot of open incidents
(candidates.py); the worker stores what it decides. Should the child die or hang, the ticket is read in the
worker instead and the next one starts a new child: a ticket is never lost for it.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime

from flask import Flask

log = logging.getLogger(__name__)

NICENESS = 10        # the pages first: tickets take the CPU they leave
READ_TIMEOUT_S = 30  # a ticket's reading is bounded far below this (text.MAX_TEXT); past it the child is stuck
START_TIMEOUT_S = 120
EXTENSION = "statuspage.ticket_reader"


class ReaderProcess:
    """One child process that reads tickets for this worker, started at once and again after a failure."""

    def __init__(self, app: Flask):
        self.settings = dict(app.config["SETTINGS"].__dict__)
        self.lock = threading.Lock()
        self.pool: ProcessPoolExecutor | None = None
        self.ready: Future | None = None

    def start(self) -> None:
        """Start the child now (it loads the model and reads the open incidents) without waiting for it."""
        with self.lock:
            if self.pool is None:
                self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_start_child, initargs=(self.settings, os.getpid()))
                self.ready = self.pool.submit(os.getpid)

    def pid(self) -> int:
        """The child's process id (it starts the child if needed)."""
        self.start()
        return self.ready.result(timeout=START_TIMEOUT_S)

    def read(self, given, *, now: datetime):
        """The matcher's decision for a ticket (intake.TicketIn), read in the child; in this process if the
        child cannot (it died, or took too long: it is then replaced)."""
        from .intake import read_ticket

        self.start()
        try:
            return self.pool.submit(_read_in_child, given, now).result(timeout=READ_TIMEOUT_S)
        except (BrokenProcessPool, FutureTimeout, OSError) as failure:
            log.warning("the ticket reader process failed (%r): reading this ticket here, restarting it", failure)
            self.stop()
            return read_ticket(given, now=now)

    def stop(self) -> None:
        with self.lock:
            pool, self.pool, self.ready = self.pool, None, None
        if pool is not None:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()   # a stuck child does not finish its reading first
            pool.shutdown(wait=False, cancel_futures=True)


def install(app: Flask) -> ReaderProcess:
    """Read this app's tickets in a child process from now on (intake.py asks app.extensions)."""
    reader = app.extensions[EXTENSION] = ReaderProcess(app)
    reader.start()
    return reader


_APP: Flask | None = None


def _start_child(settings: dict, parent: int) -> None:
    global _APP
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="parent-watch").start()
    from .. import create_app
    from . import candidates, matching

    _APP = create_app(settings)
    matching.warm()
    try:
        candidates.warm(_APP)
    except Exception:   # no database yet: the first ticket reads the incidents
        log.warning("could not read the open incidents for ticket matching at start", exc_info=True)
    os.nice(NICENESS)    # after loading, which a worker's first tickets would otherwise wait for


def _exit_with_parent(parent: int) -> None:
    """A worker killed outright cannot stop its child: the child goes when its parent is gone."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _read_in_child(given, now: datetime):
    from ..extensions import db
    from .intake import read_ticket

    with _APP.app_context():
        try:
            return read_ticket(given, now=now)
        finally:
            db.session.remove()
