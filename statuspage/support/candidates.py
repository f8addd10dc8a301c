"""What a ticket can be about, kept in each worker's memory: the components and the incidents that are
open (or maintenance in progress), read once per change of the site instead of once per ticket.

The site's change counter (services/site_version.py) moves with every change to an incident, its
updates, its components or any component, published or not, so the snapshot is read again exactly
when it could differ; a minute's age limit covers what the counter cannot see (a database restored
from a backup). Reading the counter is one small query; everything else a ticket needs (texts, their
analysis and sentence vectors) hangs off the snapshot and is computed at most once per snapshot.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from flask import Flask, current_app
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Component, Incident, IncidentKind, SiteVersion, Ticket, TicketChange, TicketStatus
from ..models.incidents import ACTIVE_MAINTENANCE_STATUSES, AffectedComponent
from ..services import pages, site_version
from . import semantic
from .matching import Candidate, ComponentInfo, Examples
from .text import ticket_text

GRACE = timedelta(minutes=5)   # a ticket written just before the incident was opened still belongs to it
MAX_AGE_S = 60.0
EXTENSION = "statuspage.ticket_candidates"
CONFIDENT = 0.8                # a ticket the matcher linked this surely serves as an example of its incident
MAX_EXAMPLES = 200             # per incident, the newest


@dataclass(frozen=True)
class Snapshot:
    version: int
    read_at: float                                   # time.monotonic() when read
    components: tuple[ComponentInfo, ...]
    candidates: tuple[Candidate, ...]                # published, open, on a public page; started_at filters per ticket
    page_urls: dict[int, str] = field(default_factory=dict, compare=False)  # incident id -> a public page's address
    # incident id -> [vector], kept up to date
    linked: dict[int, list[npt.NDArray[np.float32]]] = field(default_factory=dict, compare=False)
    # incident id -> vectors of undone links
    unlinked: dict[int, npt.NDArray[np.float32]] = field(default_factory=dict, compare=False)
    # incident id -> linked as one array, while unchanged
    stacked: dict[int, npt.NDArray[np.float32]] = field(default_factory=dict, compare=False)
    seen: list[int] = field(default_factory=lambda: [0, 0], compare=False)   # newest ticket id, newest change id read
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    def open_at(self, moment: datetime) -> list[Candidate]:
        """The candidates that had started by the ticket's time (with a grace)."""
        return [c for c in self.candidates if c.started_at <= moment + GRACE]

    def examples(self, changed: int | None = None) -> dict[int, Examples]:
        """Per open incident, the tickets linked to it (by an agent, or by the matcher when it was sure) and
        those an agent unlinked or the customer undid. New links are read since the last call (one small
        query); after any change by a person (a new ticket change: `changed`, the newest one's id, read here
        unless given) everything is read again."""
        ids = [c.incident_id for c in self.candidates]
        if not ids:
            return {}
        with self.lock:
            if changed is None:
                changed = db.session.scalar(select(func.max(TicketChange.id))) or 0
            if changed != self.seen[1]:
                self.linked.clear()
                self.unlinked.clear()
                self.stacked.clear()
                self.seen[:] = [0, changed]
                if changed:
                    from .queue import feedback_examples   # queue sits above intake, which imports this module

                    for incident_id, kinds in feedback_examples(ids).items():
                        if kinds["negative"]:
                            self.unlinked[incident_id] = np.vstack(
                                [semantic.text_gist(ticket_text(s, b), keep=True) for s, b in kinds["negative"]])
            new = db.session.execute(_NEW_EXAMPLES, {"seen": self.seen[0], "ids": ids,
                                                     "most": MAX_EXAMPLES * len(ids)}).all()
            if new:
                unread = _texts([row.id for row in new if row.gist is None])
                for row in reversed(new):
                    kept = self.linked.setdefault(row.incident_id, [])
                    kept.append(_gist(row.gist) if row.gist is not None else
                                semantic.text_gist(ticket_text(*unread[row.id]), keep=True)[0])
                    del kept[:-MAX_EXAMPLES]
                    self.stacked.pop(row.incident_id, None)
                self.seen[0] = max(self.seen[0], new[0].id)
            return {i: Examples(self._stacked(i), self.unlinked.get(i, _NONE))
                    for i in set(self.linked) | set(self.unlinked)}

    def _stacked(self, incident_id: int) -> np.ndarray:
        """An incident's linked vectors as one array, made again only when a link came (up to 200 of them per
        incident, twenty incidents: copying them for every ticket cost more than reading the ticket)."""
        if not self.linked.get(incident_id):
            return _NONE
        stacked = self.stacked.get(incident_id)
        if stacked is None:
            stacked = self.stacked[incident_id] = np.array(self.linked[incident_id], dtype=np.float32)
            stacked.flags.writeable = False     # shared by every ticket (and thread) until the next link
        return stacked


_NONE = np.zeros((0, semantic.DIMENSIONS), dtype=np.float32)
# Made once: building a statement costs a ticket more than sending it (SQLAlchemy's operators, coercions).
_NEW_EXAMPLES = (select(Ticket.id, Ticket.incident_id, Ticket.gist)
                 .where(Ticket.id > bindparam("seen"), Ticket.incident_id.in_(bindparam("ids", expanding=True)),
                        Ticket.status == TicketStatus.SUPPRESSED,
                        or_(Ticket.match_score >= CONFIDENT,
                            Ticket.id.in_(select(TicketChange.ticket_id).where(TicketChange.action == "link"))))
                 .order_by(Ticket.id.desc()).limit(bindparam("most")))
_COUNTERS = select(select(SiteVersion.version).where(SiteVersion.id == 1).scalar_subquery(),
                   select(func.max(TicketChange.id)).scalar_subquery())


def stored_gist(gist: np.ndarray | None) -> bytes | None:
    """A ticket's gist (what the matcher read it as) as its column holds it: 512 float32, exactly."""
    return None if gist is None else np.ascontiguousarray(gist, dtype=np.float32).reshape(-1).tobytes()


def _gist(stored: bytes) -> np.ndarray:
    return np.frombuffer(stored, dtype=np.float32).copy()


def _texts(ticket_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Subject and body of tickets stored without a gist (taken in before it was kept, or never matched)."""
    if not ticket_ids:
        return {}
    return {row.id: (row.subject, row.body)
            for row in db.session.execute(select(Ticket.id, Ticket.subject, Ticket.body).where(Ticket.id.in_(ticket_ids)))}


def snapshot() -> Snapshot:
    """The current snapshot: the kept one while the change counter has not moved, else read anew."""
    return _snapshot_at(site_version.current())


def for_ticket() -> tuple[Snapshot, dict[int, Examples]]:
    """The current snapshot and its examples, with the two counters they go by (the site's changes, the
    newest ticket change) read in one statement: what intake asks for every ticket."""
    version, changed = db.session.execute(_COUNTERS).one()
    known = _snapshot_at(version or 0)
    return known, known.examples(changed or 0)


def _snapshot_at(version: int) -> Snapshot:
    holder = current_app.extensions.setdefault(EXTENSION, {"snapshot": None, "lock": threading.Lock()})
    kept: Snapshot | None = holder["snapshot"]
    if kept is not None and kept.version == version and time.monotonic() - kept.read_at < MAX_AGE_S:
        return kept
    with holder["lock"]:
        kept = holder["snapshot"]
        if kept is None or kept.version != version or time.monotonic() - kept.read_at >= MAX_AGE_S:
            kept = holder["snapshot"] = _read(version)
    return kept


def warm(app: Flask) -> None:
    """Read the open incidents for matching now (their sentences, scope, vectors): a web worker does it at
    start, so the first ticket after a restart does not wait for twenty incidents to be read."""
    from .matching import prepare

    with app.app_context():
        known = snapshot()
        prepare(known.candidates, known.components)
        db.session.remove()


def forget() -> None:
    """Drop the kept snapshot (tests empty the tables, and the counter starts again with them)."""
    current_app.extensions.pop(EXTENSION, None)


def _read(version: int) -> Snapshot:
    components = tuple(ComponentInfo(c.slug, c.name, c.description or "", tuple(c.aliases or ()))
                       for c in db.session.scalars(select(Component).order_by(Component.id)))
    rows = db.session.scalars(
        select(Incident).where(Incident.is_published)
        .where(or_(
            (Incident.kind == IncidentKind.INCIDENT) & Incident.unclosed(),
            (Incident.kind == IncidentKind.MAINTENANCE)
            & Incident.status.in_([s.value for s in ACTIVE_MAINTENANCE_STATUSES])))
        .options(selectinload(Incident.updates), selectinload(Incident.affected).joinedload(AffectedComponent.component))
        # as the database has them now: an incident the session still holds (a worker's request, an evaluation's
        # long session) would otherwise keep the collections it loaded before, in the order they were made
        .execution_options(populate_existing=True)
        .order_by(Incident.id))
    incidents = list(rows)
    # Only what anyone may read: a ticket's requester may be anyone, and its auto-reply quotes the incident.
    page_urls = pages.reading_page_urls(incidents, current_app.config["SETTINGS"])
    candidates = tuple(Candidate(
        incident_id=i.id, kind=i.kind.value, title=i.name, texts=tuple(u.body for u in reversed(i.updates)),
        components=tuple(c.slug for c in i.components), started_at=i.started_at, status=i.status)
        for i in incidents if i.id in page_urls)
    return Snapshot(version, time.monotonic(), components, candidates, page_urls=page_urls)


def reading_page_url(incident: Incident) -> str:
    """Where a ticket's requester reads the incident: from the snapshot this request matched against (no
    statement), else as services/pages.py:reading_page_url finds it."""
    holder = current_app.extensions.get(EXTENSION)
    kept: Snapshot | None = holder["snapshot"] if holder else None
    if kept is not None and incident.id in kept.page_urls:
        return kept.page_urls[incident.id]
    return pages.reading_page_url(incident, current_app.config["SETTINGS"])
