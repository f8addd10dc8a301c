"""`statuspage tickets fit PATH...`: fit the matcher's weights (model.py) on labelled scenarios.

Each scenario is built in a fresh temporary SQLite database through the same services as the
evaluation (evaluation.load_scenario), and its open incidents are read exactly as the intake hook reads
them (candidates.py). Every ticket is then weighed against every incident open at its time; the pair is
a positive when the label names that incident. Tickets from staging or development never reach the
matcher and are left out. Tickets are taken in file order, and the ones labelled before a ticket serve as
the linked tickets of their incident (as an agent's links would), so the weight of "resembles tickets
already linked" is learned as it is used.

Building the scenarios' databases (an app each) is the CLI's: tools/training.py:build and fit_sources.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .evidence import NO_EXAMPLES, Candidate, ComponentInfo, Examples
from .evidence import Reader, read_ticket
from .matching import TicketText, _aware, _incident, _page
from .text import ticket_text


@dataclass
class Labelled:
    record: dict[str, Any]     # the scenario file's record (JSON)
    ticket: TicketText
    language: str


@dataclass
class Built:
    """A scenario's page as the hook sees it, its incidents by key, and its tickets."""

    components: tuple[ComponentInfo, ...]
    candidates: tuple[Candidate, ...]
    keys: dict[int, str]
    tickets: list[Labelled]


def rows(built: Built) -> tuple[list[dict[str, float]], list[int], list[tuple[str, int, str | None, bool]]]:
    """Evidence per (ticket, open incident), its label, and (ticket id, incident id, expected key, whether
    earlier tickets were linked). Each pair
    is there twice: once as if no ticket had been linked yet, once with the tickets labelled before it
    linked, so the weights serve an incident's first ticket and its hundredth."""
    out, labels, index = [], [], []
    linked: dict[int, list[np.ndarray]] = {c.incident_id: [] for c in built.candidates}
    page = _page(built.components)
    readings = [_incident(c, built.components) for c in built.candidates]
    key_to_id = {k: i for i, k in built.keys.items()}
    for item in built.tickets:
        reading = read_ticket(ticket_text(item.ticket.subject, item.ticket.body), item.language, page)
        expected = item.record["expected"].get("incident")
        assert item.ticket.created_at is not None     # the builder gives every ticket the scenario's now
        examples = {i: Examples(np.array(v[-200:], dtype=np.float32).reshape(-1, reading.whole.shape[1]),
                                NO_EXAMPLES.not_linked) for i, v in linked.items() if v}
        for known in ({}, examples):
            reader = Reader(reading, page, item.ticket.component, _aware(item.ticket.created_at), known)
            for inc in readings:
                out.append(reader.evidence(inc, readings).values)
                labels.append(int(built.keys.get(inc.candidate.incident_id) == expected))
                index.append((item.record["id"], inc.candidate.incident_id, expected, bool(known)))
        if key_to_id.get(expected) in linked:
            linked[key_to_id[expected]].append(reading.whole[0])
    return out, labels, index
