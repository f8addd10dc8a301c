"""Local Zendesk, Freshdesk and Zammad servers on 127.0.0.1 that answer the documented endpoints statuspage calls.

Why real servers: the write-back is HTTP (auth headers, status codes, Retry-After, bodies), and a mock of
requests would test none of it. Each server keeps its tickets in memory, checks the Authorization header as
the desk does (401 otherwise), records every request (method, path, headers, JSON body), and can be told to
answer the next matching request with something else (`fail(method, path, status, headers, body, apply=...)`):
a 429 with Retry-After, a 503, a 422 with the desk's own error, or a 500 after doing the work (an answer
lost on the way back).
"""
from __future__ import annotations

import base64
import html
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.servers import QUICK_SHUTDOWN


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: object


@dataclass
class Failure:
    method: str
    path: str
    status: int
    headers: dict = field(default_factory=dict)
    body: object = None
    apply: bool = False  # do the work first, then answer this (the desk did it; the answer was lost)


class FakeDesk:
    """The shared part: the HTTP server, the request log, the auth check and the planned failures."""

    def __init__(self, authorization: str):
        self.authorization = authorization
        self.seen: list[Seen] = []
        self.failures: list[Failure] = []
        self.lock = threading.Lock()
        self.next_id = 1000
        desk = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                desk._serve(self)

            do_POST = do_PUT = do_DELETE = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, path: str, status: int, *, headers: dict | None = None, body=None,
             apply: bool = False) -> None:
        """Answer the next `method path` (a regular expression) with this instead."""
        self.failures.append(Failure(method, path, status, headers or {}, body, apply))

    def requests(self, *, writes_only: bool = False) -> list[tuple[str, str, object]]:
        """(method, path, body) of every request so far, in order."""
        return [(s.method, s.path, s.body) for s in self.seen if not writes_only or s.method != "GET"]

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        method, path = handler.command, handler.path
        with self.lock:
            self.seen.append(Seen(method, path, {k.lower(): v for k, v in handler.headers.items()}, body))
            failure = next((f for f in self.failures if f.method == method and re.fullmatch(f.path, path)), None)
            if failure is not None:
                self.failures.remove(failure)
            if handler.headers.get("Authorization") != self.authorization:
                status, headers, answer = self.unauthorized()
            elif failure is not None and not failure.apply:
                status, headers, answer = failure.status, failure.headers, failure.body
            else:
                status, headers, answer = self.route(method, path, body, handler.headers)
                if failure is not None:
                    status, headers, answer = failure.status, failure.headers, failure.body
        data = b"" if answer is None else json.dumps(answer).encode()
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(data)

    def unauthorized(self):
        return 401, {}, {"error": "Couldn't authenticate you"}

    def route(self, method, path, body, headers):
        raise NotImplementedError


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class FakeZendesk(FakeDesk):
    """Zendesk Support API v2: tickets with comments, tags, status, type and problem_id; Idempotency-Key on
    ticket creation (a repeat returns the first answer)."""

    def __init__(self, email: str, token: str):
        super().__init__(_basic(f"{email}/token", token))
        self.tickets: dict[int, dict] = {}
        self.created_by_key: dict[str, dict] = {}

    def add_ticket(self, ticket_id: int, *, tags=()) -> None:
        self.tickets[ticket_id] = {"id": ticket_id, "status": "new", "type": None, "problem_id": None,
                                   "tags": list(tags), "comments": []}

    def route(self, method, path, body, headers):
        if method == "POST" and path == "/api/v2/tickets.json":
            key = headers.get("Idempotency-Key")
            if key and key in self.created_by_key:
                return 201, {"x-idempotency-lookup": "hit"}, self.created_by_key[key]
            ticket_id = self.new_id()
            given = body["ticket"]
            self.add_ticket(ticket_id, tags=given.get("tags", []))
            ticket = self.tickets[ticket_id]
            ticket.update(subject=given.get("subject"), type=given.get("type"))
            ticket["comments"].append({"id": self.new_id(), "body": given["comment"]["body"],
                                       "public": given["comment"].get("public", True)})
            answer = {"ticket": {k: v for k, v in ticket.items() if k != "comments"}}
            if key:
                self.created_by_key[key] = answer
            return 201, {"x-idempotency-lookup": "miss"} if key else {}, answer
        found = re.fullmatch(r"/api/v2/tickets/(\d+)(\.json|/comments\.json)", path)
        if not found or int(found[1]) not in self.tickets:
            return 404, {}, {"error": "RecordNotFound", "description": "Not found"}
        ticket = self.tickets[int(found[1])]
        if method == "GET" and found[2] == "/comments.json":
            return 200, {}, {"comments": ticket["comments"], "next_page": None, "count": len(ticket["comments"])}
        if method == "PUT" and found[2] == ".json":
            given = body["ticket"]
            events = []
            if "comment" in given:
                comment = {"id": self.new_id(), "type": "Comment", "body": given["comment"]["body"],
                           "public": given["comment"].get("public", True)}
                ticket["comments"].append(comment)
                events.append(comment)
            for name in ("status", "type", "problem_id"):
                if name in given:
                    ticket[name] = given[name]
            ticket["tags"] = [t for t in ticket["tags"] + [t for t in given.get("additional_tags", [])
                                                           if t not in ticket["tags"]]
                              if t not in given.get("remove_tags", [])]
            return 200, {}, {"ticket": {k: v for k, v in ticket.items() if k != "comments"},
                             "audit": {"id": self.new_id(), "events": events}}
        return 404, {}, {"error": "InvalidEndpoint", "description": "Not found"}


class FakeFreshdesk(FakeDesk):
    """Freshdesk API v2: tickets (status numbers, tags replaced whole), replies and notes as conversations,
    trackers made with related_ticket_ids ("Create a Tracker"), the only linking the API documents; an
    undocumented path (a /link or /unlink) answers 404 as Freshdesk does for an unknown route."""

    def __init__(self, api_key: str):
        super().__init__(_basic(api_key, "X"))
        self.tickets: dict[int, dict] = {}

    def unauthorized(self):
        return 401, {}, {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}

    def add_ticket(self, ticket_id: int, *, tags=()) -> None:
        self.tickets[ticket_id] = {"id": ticket_id, "status": 2, "tags": list(tags), "conversations": [],
                                   "related_ticket_ids": []}

    def route(self, method, path, body, headers):
        if method == "POST" and path == "/api/v2/tickets":
            ticket_id = self.new_id()
            self.add_ticket(ticket_id, tags=body.get("tags", []))
            self.tickets[ticket_id].update(subject=body["subject"], association_type=3,
                                           related_ticket_ids=list(body.get("related_ticket_ids", [])))
            return 201, {}, self._public(self.tickets[ticket_id])
        found = re.fullmatch(r"/api/v2/tickets/(\d+)(|/reply|/notes|/conversations|/associated_tickets)", path)
        if not found or int(found[1]) not in self.tickets:
            return 404, {}, {"code": "not_found", "message": "There is no ticket with that id"}
        ticket, tail = self.tickets[int(found[1])], found[2]
        if method == "GET" and tail == "":
            return 200, {}, self._public(ticket)
        if method == "PUT" and tail == "":
            ticket.update({k: v for k, v in body.items() if k in ("status", "tags")})
            return 200, {}, self._public(ticket)
        if method == "POST" and tail in ("/reply", "/notes"):
            item = {"id": self.new_id(), "body": body["body"], "private": body.get("private", False),
                    "body_text": html.unescape(body["body"].replace("<br>", "")), "ticket_id": ticket["id"]}
            ticket["conversations"].append(item)
            return 201, {}, item
        if method == "GET" and tail == "/conversations":
            return 200, {}, ticket["conversations"]
        if method == "GET" and tail == "/associated_tickets":
            return 200, {}, {"tickets": [self._public(self.tickets[i]) for i in ticket["related_ticket_ids"]
                                         if i in self.tickets]}
        return 405, {}, {"code": "method_not_allowed", "message": "Not allowed"}

    @staticmethod
    def _public(ticket: dict) -> dict:
        return {k: v for k, v in ticket.items() if k != "conversations"}


class FakeZammad(FakeDesk):
    """Zammad REST API v1: tickets (state, pending_time), articles, tags and links (links/add names the source
    ticket by its number, links/remove and GET /links by its id, as Zammad's LinksController does)."""

    def __init__(self, token: str):
        super().__init__(f"Token token={token}")
        self.tickets: dict[int, dict] = {}
        self.links: list[tuple[str, int]] = []  # (source ticket number, target ticket id)

    def unauthorized(self):
        return 401, {}, {"error": "authentication failed"}

    def add_ticket(self, ticket_id: int) -> None:
        self.tickets[ticket_id] = {"id": ticket_id, "number": str(30000 + ticket_id), "state": "new",
                                   "pending_time": None, "tags": [], "articles": []}

    def route(self, method, path, body, headers):
        if method == "POST" and path == "/api/v1/tickets":
            ticket_id = self.new_id()
            self.add_ticket(ticket_id)
            ticket = self.tickets[ticket_id]
            ticket.update(title=body["title"], group=body["group"])
            ticket["articles"].append({"id": self.new_id(), **body["article"]})
            return 201, {}, {k: v for k, v in ticket.items() if k != "articles"}
        if method == "POST" and path == "/api/v1/ticket_articles":
            ticket = self.tickets.get(body.get("ticket_id"))
            if ticket is None:
                return 422, {}, {"error": "No such ticket"}
            article = {"id": self.new_id(), **body}
            ticket["articles"].append(article)
            return 201, {}, article
        if path in ("/api/v1/tags/add", "/api/v1/tags/remove") and method in ("POST", "DELETE"):
            ticket = self.tickets.get(body.get("o_id"))
            if ticket is None:
                return 422, {}, {"error": "No such object"}
            if path.endswith("add") and body["item"] not in ticket["tags"]:
                ticket["tags"].append(body["item"])
            if path.endswith("remove"):
                ticket["tags"] = [t for t in ticket["tags"] if t != body["item"]]
            return (201 if path.endswith("add") else 200), {}, True
        if method == "POST" and path == "/api/v1/links/add":
            link = (body["link_object_source_number"], body["link_object_target_value"])
            if link in self.links:
                return 422, {}, {"error": "Link already exists"}
            self.links.append(link)
            return 201, {}, {}
        if method == "GET" and path.startswith("/api/v1/links?"):
            query = dict(part.split("=", 1) for part in path.split("?", 1)[1].split("&"))
            target = int(query["link_object_value"])
            by_number = {t["number"]: t["id"] for t in self.tickets.values()}
            return 200, {}, {"links": [{"link_type": "normal", "link_object": "Ticket",
                                        "link_object_value": by_number[number]}
                                       for number, linked in self.links if linked == target]}
        if method == "DELETE" and path == "/api/v1/links/remove":
            # Zammad removes what matches and answers 200 either way: a link named by number is not removed.
            number = self.tickets.get(body.get("link_object_source_value"), {}).get("number")
            link = (number, body["link_object_target_value"])
            self.links = [known for known in self.links if known != link]
            return 200, {}, {}
        found = re.fullmatch(r"/api/v1/(tickets|ticket_articles/by_ticket)/(\d+)", path)
        if not found or int(found[2]) not in self.tickets:
            return 404, {}, {"error": "Couldn't find Ticket"}
        ticket = self.tickets[int(found[2])]
        if method == "GET" and found[1] == "ticket_articles/by_ticket":
            return 200, {}, ticket["articles"]
        if method == "PUT" and found[1] == "tickets":
            ticket.update({k: v for k, v in body.items() if k in ("state", "pending_time")})
            return 200, {}, {k: v for k, v in ticket.items() if k != "articles"}
        return 404, {}, {"error": "No route matches"}
