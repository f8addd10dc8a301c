"""The help desks' REST APIs: Zendesk, Freshdesk and Zammad, each doing the four writes statuspage makes.

suppress: the auto-reply as a public reply, the tag `statuspage-incident-<id>`, the link to the incident's
known-problem ticket, pending. resolve: the resolution as a public reply, solved. reopen: open again with an
internal note. problem: make the known-problem ticket (Zendesk problem, Freshdesk tracker, Zammad ticket the
others are linked to). close_problem: solve it when the incident ends.

Every request goes through `DeskHttp.call`, which turns the desk's answer into a DeliveryError saying whether to
retry: 429 with its Retry-After, 5xx and no answer retried, any other 4xx failed for good with the desk's own
message. Credentials travel only in the Authorization header, never in a URL or a message.
Each write that adds something (a reply, a note, a ticket) runs through `job.once`, which skips it when an
earlier attempt was answered and looks for it first when an earlier attempt may have reached the desk
unanswered (notify/desk_writes.py:Job). `call(...) and {}` marks a step whose answer is not kept (a status,
a tag: setting them twice changes nothing; Zammad refuses a link twice, so an unanswered one is looked up).
"""
from __future__ import annotations

import base64
import html
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import requests

from . import DeliveryError

DEFAULT_RETRY_AFTER = timedelta(seconds=60)  # a 429 without a usable Retry-After
LONGEST_RETRY_AFTER = timedelta(hours=6)
PENDING_REMINDER = timedelta(days=1)  # Zammad's "pending reminder" needs a time: an agent looks again then

Answer = dict[str, Any]  # what a step stores of the desk's answer (JSON)


class DeskJob(Protocol):
    """What a desk's client reads of the row it sends (desk_writes.Job)."""

    desk_ticket: str
    text: str
    tag: str
    subject: str
    requester: str
    key: str
    problem_id: str | None
    problem_number: str | None

    def once(self, step: str, send: Callable[[], Answer | None], *,
             find: Callable[[], Answer | None] | None = None) -> Answer: ...


def retry_after(value: str | None, *, now: datetime) -> timedelta:
    """Retry-After as seconds or as an HTTP date, kept between one second and six hours."""
    wait = DEFAULT_RETRY_AFTER
    if value:
        value = value.strip()
        if value.isdigit():
            wait = timedelta(seconds=int(value))
        else:
            try:
                wait = parsedate_to_datetime(value) - now
            except (TypeError, ValueError):
                pass
    return min(max(wait, timedelta(seconds=1)), LONGEST_RETRY_AFTER)


class DeskHttp:
    """JSON over HTTPS to one desk, with its Authorization header; answers or DeliveryError."""

    def __init__(self, desk: str, base_url: str, authorization: str, *, timeout_s: float, now: datetime) -> None:
        self.desk, self.base_url, self.timeout_s, self.now = desk, base_url.rstrip("/"), timeout_s, now
        self._authorization = authorization

    def __repr__(self) -> str:  # never the Authorization header
        return f"DeskHttp({self.desk!r}, {self.base_url!r})"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *,
             headers: dict[str, str] | None = None) -> Any:
        """The desk's JSON answer to one request ({} for an empty one): an object or a list, as the desk sends it."""
        sent = {"Authorization": self._authorization, "Accept": "application/json", **(headers or {})}
        try:
            response = requests.request(method, self.base_url + path, json=body, headers=sent,
                                        timeout=self.timeout_s, allow_redirects=False)
        except requests.Timeout:
            raise DeliveryError(f"{self.desk}: no answer to {method} {path} within {self.timeout_s} s",
                                retryable=True) from None
        except requests.RequestException as error:
            raise DeliveryError(f"{self.desk}: {method} {path} could not be sent ({type(error).__name__})",
                                retryable=True) from None
        status = response.status_code
        if status == 429:
            raise DeliveryError(f"{self.desk} answered 429 (rate limit) to {method} {path}", retryable=True,
                                retry_after=retry_after(response.headers.get("Retry-After"), now=self.now))
        if status >= 500 or status in (408, 409, 423):  # 409/423: Zendesk's "ticket being updated", try again
            raise DeliveryError(f"{self.desk} answered {status} to {method} {path}", retryable=True)
        if status >= 300:
            raise DeliveryError(f"{self.desk} answered {status} to {method} {path}: {_said(response)}",
                                retryable=False)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise DeliveryError(f"{self.desk} answered {status} to {method} {path} with something not JSON",
                                retryable=True) from None


def _said(response: requests.Response) -> str:
    """The desk's own words about a refusal, on one short line (its error fields, else the start of the body)."""
    try:
        data = response.json()
    except ValueError:
        return " ".join(response.text[:300].split()) or "(no message)"
    if isinstance(data, dict):
        parts = [str(data[key]) for key in ("error", "description", "message", "details", "errors")
                 if data.get(key)]
        text = "; ".join(parts) if parts else str(data)
    else:
        text = str(data)
    return " ".join(text.split())[:300]


def _same_text(a: str | None, b: str | None) -> bool:
    """Replies compared as the desks give them back: whitespace and line breaks may differ."""
    return a is not None and b is not None and " ".join(a.split()) == " ".join(b.split())


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>\n")


class Zendesk:
    """Zendesk Support API v2: one ticket update carries the comment, status, tags and problem link."""

    name = "zendesk"

    def __init__(self, base_url: str, email: str, token: str, *, timeout_s: float, now: datetime):
        basic = base64.b64encode(f"{email}/token:{token}".encode()).decode()
        self.http = DeskHttp(self.name, base_url, f"Basic {basic}", timeout_s=timeout_s, now=now)

    def suppress(self, job: DeskJob) -> None:
        ticket: dict[str, Any] = {"comment": {"body": job.text, "public": True}, "status": "pending",
                                  "additional_tags": [job.tag]}
        if job.problem_id:
            ticket |= {"type": "incident", "problem_id": int(job.problem_id)}
        self._update(job, "update", ticket)

    def resolve(self, job: DeskJob) -> None:
        self._update(job, "update", {"comment": {"body": job.text, "public": True}, "status": "solved"})

    def reopen(self, job: DeskJob) -> None:
        # No longer an incident of the problem: solving the problem ticket would solve it too.
        self._update(job, "update", {"comment": {"body": job.text, "public": False}, "status": "open",
                                     "remove_tags": [job.tag], "type": "question"})

    def problem(self, job: DeskJob) -> Answer:
        # Zendesk keeps an Idempotency-Key for two hours: a repeat of the creation returns the first ticket.
        return job.once("create", lambda: {"id": str(self.http.call(
            "POST", "/api/v2/tickets.json",
            {"ticket": {"subject": job.subject, "comment": {"body": job.text, "public": False}, "type": "problem",
                        "tags": [job.tag]}},
            headers={"Idempotency-Key": job.key})["ticket"]["id"])})

    def close_problem(self, job: DeskJob) -> None:
        self._update(job, "update", {"comment": {"body": job.text, "public": False}, "status": "solved"})

    def _update(self, job: DeskJob, step: str, ticket: dict[str, Any]) -> None:
        """One ticket update: Zendesk applies it whole or not at all, so its comment found means all is done."""
        path = f"/api/v2/tickets/{job.desk_ticket}.json"
        job.once(step, lambda: {"comment": _comment_id(self.http.call("PUT", path, {"ticket": ticket}))},
                 find=lambda: self._find_comment(job))

    def _find_comment(self, job: DeskJob) -> Answer | None:
        answer = self.http.call("GET", f"/api/v2/tickets/{job.desk_ticket}/comments.json")
        for comment in answer.get("comments", []):
            if _same_text(comment.get("body"), job.text):
                return {"comment": str(comment.get("id"))}
        return None


def _comment_id(answer: Answer) -> str | None:
    """The comment's id from a ticket update's audit (the update answers with its events)."""
    for event in (answer.get("audit") or {}).get("events", []):
        if event.get("type") == "Comment":
            return str(event.get("id"))
    return None


class Freshdesk:
    """Freshdesk API v2: replies and notes are conversations; tags are replaced whole, so read them first.

    The known problem is a tracker, made with the first suppressed ticket in `related_ticket_ids` ("Create a
    Tracker", POST /api/v2/tickets). The documented API has no call linking a ticket to an existing tracker or
    unlinking it (only GET .../associated_tickets and .../prime_association read links), so later tickets
    carry the incident's tag only."""

    name = "freshdesk"
    OPEN, PENDING, RESOLVED = 2, 3, 4

    def __init__(self, base_url: str, api_key: str, requester: str, *, timeout_s: float, now: datetime):
        basic = base64.b64encode(f"{api_key}:X".encode()).decode()
        self.http = DeskHttp(self.name, base_url, f"Basic {basic}", timeout_s=timeout_s, now=now)
        self.requester = requester

    def suppress(self, job: DeskJob) -> None:
        self._reply(job)
        job.once("update", lambda: self._set(job, self.PENDING, add=job.tag))
        # No link call here: Freshdesk's API v2 documents linking only when the tracker is created
        # (related_ticket_ids, see problem); later tickets are found through the tag.

    def resolve(self, job: DeskJob) -> None:
        self._reply(job)
        job.once("update", lambda: self._set(job, self.RESOLVED))

    def reopen(self, job: DeskJob) -> None:
        path = f"/api/v2/tickets/{job.desk_ticket}/notes"
        job.once("note", lambda: {"id": str(self.http.call("POST", path, {"body": _html(job.text), "private": True})
                                            .get("id"))}, find=lambda: self._find(job))
        job.once("update", lambda: self._set(job, self.OPEN, remove=job.tag))
        # Freshdesk's API v2 documents no unlinking from a tracker: the note says the ticket needs a person.

    def problem(self, job: DeskJob) -> Answer:
        return job.once("create", lambda: {"id": str(self.http.call("POST", "/api/v2/tickets", {
            "subject": job.subject, "description": _html(job.text), "email": self.requester, "priority": 1,
            "status": self.OPEN, "tags": [job.tag], "related_ticket_ids": [int(job.desk_ticket)]})["id"])})

    def close_problem(self, job: DeskJob) -> None:
        job.once("update", lambda: self.http.call("PUT", f"/api/v2/tickets/{job.desk_ticket}",
                                                  {"status": self.RESOLVED}) and {})

    def _reply(self, job: DeskJob) -> None:
        path = f"/api/v2/tickets/{job.desk_ticket}/reply"
        job.once("reply", lambda: {"id": str(self.http.call("POST", path, {"body": _html(job.text)}).get("id"))},
                 find=lambda: self._find(job))

    def _find(self, job: DeskJob) -> Answer | None:
        for item in self.http.call("GET", f"/api/v2/tickets/{job.desk_ticket}/conversations") or []:
            if _same_text(item.get("body_text"), job.text):
                return {"id": str(item.get("id"))}
        return None

    def _set(self, job: DeskJob, status: int, *, add: str | None = None, remove: str | None = None) -> Answer:
        tags = list(self.http.call("GET", f"/api/v2/tickets/{job.desk_ticket}").get("tags") or [])
        if add and add not in tags:
            tags.append(add)
        if remove:
            tags = [tag for tag in tags if tag != remove]
        self.http.call("PUT", f"/api/v2/tickets/{job.desk_ticket}", {"status": status, "tags": tags})
        return {}


class Zammad:
    """Zammad REST API v1: articles, ticket state, tags and links each have their own endpoint."""

    name = "zammad"

    def __init__(self, base_url: str, token: str, group: str, requester: str, *, timeout_s: float,
                 now: datetime):
        self.http = DeskHttp(self.name, base_url, f"Token token={token}", timeout_s=timeout_s, now=now)
        self.group, self.requester, self.now = group, requester, now

    def suppress(self, job: DeskJob) -> None:
        self._article(job, "article", internal=False)
        job.once("state", lambda: self._state(job, "pending reminder",
                                              pending_time=(self.now + PENDING_REMINDER).isoformat()))
        job.once("tag", lambda: self.http.call("POST", "/api/v1/tags/add", self._tag(job)) and {})
        if job.problem_number:
            job.once("link", lambda: self.http.call("POST", "/api/v1/links/add", self._link(job)) and {},
                     find=lambda: self._find_link(job))  # a second links/add of the same link is refused

    def resolve(self, job: DeskJob) -> None:
        self._article(job, "article", internal=False)
        job.once("state", lambda: self._state(job, "closed"))

    def reopen(self, job: DeskJob) -> None:
        self._article(job, "note", internal=True)
        job.once("state", lambda: self._state(job, "open"))
        job.once("untag", lambda: self.http.call("DELETE", "/api/v1/tags/remove", self._tag(job)) and {})
        if job.problem_number:
            job.once("unlink", lambda: self.http.call("DELETE", "/api/v1/links/remove", self._unlink(job)) and {})

    def problem(self, job: DeskJob) -> Answer:
        def create() -> Answer:
            made = self.http.call("POST", "/api/v1/tickets", {
                "title": job.subject, "group": self.group, "customer_id": f"guess:{self.requester}",
                "article": {"subject": job.subject, "body": job.text, "type": "note", "internal": True},
                "tags": job.tag})
            return {"id": str(made["id"]), "number": str(made["number"])}
        return job.once("create", create)

    def close_problem(self, job: DeskJob) -> None:
        job.once("state", lambda: self._state(job, "closed"))

    def _article(self, job: DeskJob, step: str, *, internal: bool) -> None:
        article = {"ticket_id": int(job.desk_ticket), "body": job.text, "content_type": "text/plain",
                   "internal": internal}
        if internal:
            article |= {"type": "note"}
        else:  # an email to the customer, as an agent's reply in Zammad is
            article |= {"type": "email", "sender": "Agent", "to": job.requester, "subject": job.subject}
        job.once(step, lambda: {"id": str(self.http.call("POST", "/api/v1/ticket_articles", article).get("id"))},
                 find=lambda: self._find(job))

    def _find(self, job: DeskJob) -> Answer | None:
        for article in self.http.call("GET", f"/api/v1/ticket_articles/by_ticket/{job.desk_ticket}") or []:
            if _same_text(article.get("body"), job.text):
                return {"id": str(article.get("id"))}
        return None

    def _find_link(self, job: DeskJob) -> Answer | None:
        answer = self.http.call("GET", f"/api/v1/links?link_object=Ticket&link_object_value={job.desk_ticket}")
        for link in answer.get("links", []) if isinstance(answer, dict) else []:
            if str(link.get("link_object_value")) == str(job.problem_id):
                return {}
        return None

    def _state(self, job: DeskJob, state: str, **more: str) -> Answer:
        self.http.call("PUT", f"/api/v1/tickets/{job.desk_ticket}", {"state": state, **more})
        return {}

    @staticmethod
    def _link(job: DeskJob) -> Answer:
        """The problem ticket (by its number: Zammad's links/add wants the source's number) to this one (by id)."""
        return {"link_type": "normal", "link_object_source": "Ticket", "link_object_source_number": job.problem_number,
                "link_object_target": "Ticket", "link_object_target_value": int(job.desk_ticket)}

    @staticmethod
    def _unlink(job: DeskJob) -> Answer:
        """The same link for links/remove, which names the problem ticket by its id (links/add alone wants the
        number: Zammad issue 4138; the official PHP client's Link::remove sends link_object_source_value)."""
        assert job.problem_id is not None, "only a linked ticket is unlinked"
        return {"link_type": "normal", "link_object_source": "Ticket", "link_object_source_value": int(job.problem_id),
                "link_object_target": "Ticket", "link_object_target_value": int(job.desk_ticket)}

    @staticmethod
    def _tag(job: DeskJob) -> Answer:
        return {"object": "Ticket", "o_id": int(job.desk_ticket), "item": job.tag}
