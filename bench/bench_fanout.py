"""One update fanned out to many subscribers: how long the outbox takes to fill, and how fast it drains.

    .venv/bin/python bench/bench_fanout.py       # SQLite, 10,000 email + 1,000 webhook + 1,000 chat subscribers
    .venv/bin/python bench/bench_fanout.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Enqueueing is timed on the full numbers; delivery is timed per channel kind on a sample (--deliver each)
against a real local SMTP server (aiosmtpd) and a real local HTTP receiver (webhooks, and Apprise's json://
for chat), with peak memory (max RSS) before and after.
"""
from __future__ import annotations

import argparse
import resource
import secrets
import socket
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        Sink.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Inbox:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Inbox.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from aiosmtpd.controller import Controller
    from sqlalchemy import func, insert, select, update

    from statuspage import clock, create_app
    from statuspage.database_admin import drop_everything, upgrade_to_head
    from statuspage.extensions import db
    from statuspage.models import Notification, Subscriber
    from statuspage.notify import dispatch
    from statuspage.notify.channels.chat import check_notify_url, fingerprint, seal
    from statuspage.services import components, incidents
    from statuspage.services.audit import Actor

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=1_000)
    parser.add_argument("--chats", type=int, default=1_000, help="chat subscribers (Apprise json:// URLs)")
    parser.add_argument("--deliver", type=int, default=500, help="how many deliveries to time per channel kind")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="statuspage-fanout-"))
    url = args.database_url or f"sqlite:///{workdir / 'fanout.db'}"
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    app = create_app({"database_url": url, "instance_dir": workdir, "smtp_port": smtp.port,
                      "webhook_allow_private": True, "base_url": "https://status.example.com"})
    bench = Actor(label="bench")
    now = clock.now()
    with app.app_context():
        drop_everything()
        upgrade_to_head()
        components.create_component(slug="api", name="API", by=bench, now=now)
        rows = [{"channel": "email", "address": f"user{n}@example.com", "language": ("en", "de", "fr")[n % 3],
                 "secret": secrets.token_hex(32), "confirmed_at": now, "created_at": now} for n in range(args.emails)]
        rows += [{"channel": "webhook", "address": f"http://127.0.0.1:{http.server_port}/hook/{n}", "language": "en",
                  "secret": secrets.token_hex(32), "confirmed_at": now, "created_at": now} for n in range(args.webhooks)]
        secret_key = app.config["SETTINGS"].secret_key
        for n in range(args.chats):  # as subscriptions.subscribe stores them: shown form + fingerprint, sealed URL
            chat_url = f"json://127.0.0.1:{http.server_port}/chat/{n}/{secrets.token_hex(8)}"
            shown = check_notify_url(chat_url, allow_private=True, check_host=False).shown
            rows.append({"channel": "chat", "address": f"{shown} #{fingerprint(chat_url, secret_key)}",
                         "sealed_url": seal(chat_url, secret_key), "language": ("en", "de", "fr")[n % 3],
                         "secret": secrets.token_hex(32), "confirmed_at": now, "created_at": now})
        db.session.execute(insert(Subscriber), rows)
        db.session.commit()
        incident = incidents.open_incident(name="Warm-up", body="x", by=bench, now=now)  # fills the outbox once
        db.session.execute(Notification.__table__.delete())
        db.session.commit()

        started = time.perf_counter()
        incidents.post_update(incident.id, status="identified", body="The cause is known.",
                              components={"api": "partial_outage"}, by=bench, now=now + timedelta(minutes=1))
        enqueue_s = time.perf_counter() - started
        queued = db.session.scalar(select(func.count()).select_from(Notification))
        print(f"database {url.split('://')[0]}: {args.emails} email + {args.webhooks} webhook + {args.chats} chat "
              "subscribers")
        print(f"enqueue: {queued} notifications in {enqueue_s:.3f} s (one transaction, with the update)")

        # Deliver a sample of each kind on its own, against the real local receivers.
        by_kind = {}
        for kind in ("email", "webhook", "chat"):
            by_kind[kind] = db.session.scalars(
                select(Notification.id).join(Subscriber).where(Subscriber.channel == kind)
                .order_by(Notification.id).limit(args.deliver)).all()
        keep = [i for ids in by_kind.values() for i in ids]
        db.session.execute(Notification.__table__.delete().where(Notification.id.not_in(keep)))
        db.session.commit()
        later = now + timedelta(days=1)
        rss_before = max_rss_mb()
        for kind, ids in by_kind.items():
            if not ids:
                continue
            db.session.execute(update(Notification).where(Notification.id.in_(keep)).values(next_attempt_at=later))
            db.session.execute(update(Notification).where(Notification.id.in_(ids)).values(next_attempt_at=now))
            db.session.commit()
            received_before = Inbox.count + Sink.count
            started = time.perf_counter()
            sent = failed = 0
            while True:
                run = dispatch.deliver_due(now=now + timedelta(minutes=2), limit=200)
                sent += run.sent
                failed += run.failed + run.retried
                if run.sent + run.retried + run.failed == 0:
                    break
            deliver_s = time.perf_counter() - started
            print(f"delivery {kind:7}: {sent} sent ({failed} not) in {deliver_s:.1f} s = "
                  f"{sent / deliver_s:.0f} per second (receivers counted {Inbox.count + Sink.count - received_before})")
        print(f"max RSS {rss_before:.0f} MB before delivery, {max_rss_mb():.0f} MB after")
    smtp.stop()
    http.shutdown()


if __name__ == "__main__":
    main()
