"""Slack, Microsoft Teams (workflows) and Discord get their native rich forms, through Apprise's own plugins, to
real HTTP(S) receivers on loopback; the exact JSON each receives is asserted.

Teams' workflows:// names its host, so it goes to a local HTTPS server (its certificate made here and trusted).
Slack's and Discord's plugins post to fixed hosts (hooks.slack.com, discord.com): the test points that one
class attribute (NotifySlack.webhook_url, NotifyDiscord.notify_url) at a loopback receiver, and everything
else (the plugin, its payload, the outbox, the dispatcher, the socket) is the real thing.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl

import pytest
from apprise.plugins.discord import NotifyDiscord
from apprise.plugins.slack import NotifySlack
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from statuspage.services import incidents
from tests.builders import SYSTEM, add_chat, deliver, make_incident
from tests.servers import Receiver

TEAMS_SIG = "f1e2d3c4b5a697887766554433221100"


class SlackReceiver(Receiver):
    def answer_for(self, path: str, status: int) -> bytes:
        return b"ok" if status < 300 else b"invalid_payload"  # what Slack's incoming webhooks answer


@pytest.fixture
def slack(monkeypatch):
    server = SlackReceiver()
    monkeypatch.setattr(NotifySlack, "webhook_url", f"http://127.0.0.1:{server.port}/services")
    yield server
    server.close()


@pytest.fixture
def discord(monkeypatch):
    server = Receiver()
    monkeypatch.setattr(NotifyDiscord, "notify_url", f"http://127.0.0.1:{server.port}/api/webhooks")
    yield server
    server.close()


@pytest.fixture
def teams(tmp_path, monkeypatch):
    """An HTTPS receiver with a certificate for 127.0.0.1 made for the test, which requests (under Apprise) is
    told to trust: the certificate is checked as it would be for a real Teams host."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "cert.pem"))
    server = Receiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    yield server
    server.close()


def _incident(app, clock, **kwargs):
    with app.app_context():
        return make_incident("Paiements en panne", body="Nous **analysons** le problème.", now=clock.now(),
                             **kwargs).id


def test_slack_gets_an_attachment_with_the_title_a_colour_mrkdwn_links_and_the_site_in_the_footer(
        app, admin, clock, slack):
    assert add_chat(admin, "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7", lang="fr").status_code == 201
    incident_id = _incident(app, clock, impact="critical")
    assert deliver(app, clock).sent == 1
    [request] = slack.received
    assert request.path == "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
    payload = request.json()
    [attachment] = payload.pop("attachments")
    assert payload == {"mrkdwn": True}
    link = f"https://status.example.com/incidents/{incident_id}"
    assert attachment["title"] == "[Example Status] Paiements en panne: Enquête en cours"
    assert attachment["color"] == "#A32037"  # Apprise's "failure": a critical outage
    assert attachment["footer"] == "Example Status"
    assert "footer_icon" not in attachment and "icon_url" not in payload  # no Apprise logo
    text = attachment["text"]
    assert text.startswith("Nous *analysons* le problème.")  # Markdown bold, as Slack's mrkdwn writes it
    assert f"<{link}|Voir l’incident>" in text
    assert re.search(r"<https://status\.example\.com/subscribe/unsubscribe/\S+\|Se désabonner>", text)


def test_discord_gets_an_embed_whose_title_links_to_the_incident(app, admin, clock, discord):
    assert add_chat(admin, "discord://123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_", lang="de"
                    ).status_code == 201
    incident_id = _incident(app, clock, impact="minor")
    assert deliver(app, clock).sent == 1
    [request] = discord.received
    assert request.path.startswith("/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_")
    payload = request.json()
    [embed] = payload["embeds"]
    link = f"https://status.example.com/incidents/{incident_id}"
    assert embed["title"] == "[Example Status] Paiements en panne: Wird untersucht"
    assert embed["url"] == link
    assert embed["author"] == {"name": "Example Status", "url": "https://status.example.com/"}
    assert embed["color"] == int("CACF29", 16)  # Apprise's "warning": a minor incident
    assert embed["description"].startswith("Nous **analysons** le problème.")
    assert f"[Zur Störung]({link})" in embed["description"]
    assert "content" not in payload and "avatar_url" not in payload


def test_a_discord_url_that_asks_for_text_keeps_plain_text(app, admin, clock, discord):
    add_chat(admin, "discord://123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_?format=text")
    _incident(app, clock)
    assert deliver(app, clock).sent == 1
    payload = discord.received[0].json()
    assert "embeds" not in payload and payload["content"].startswith("[Example Status] Paiements en panne")


def test_teams_workflows_get_an_adaptive_card_with_a_heading_and_markdown_links(app, admin, clock, teams):
    url = f"workflows://127.0.0.1:{teams.port}/8ad7c9f4a1b24e0f9c7d/{TEAMS_SIG}"
    assert add_chat(admin, url, lang="en").status_code == 201
    incident_id = _incident(app, clock)
    with app.app_context():
        incidents.resolve_incident(incident_id, "All payments go through again.", by=SYSTEM, now=clock.now())
    sent = deliver(app, clock)
    assert sent.sent >= 1
    requests = [r for r in teams.received if r.path.startswith("/workflows/")]
    assert len(requests) == 2  # the incident, then its resolution
    path, _, query = requests[-1].path.partition("?")
    assert path == "/workflows/8ad7c9f4a1b24e0f9c7d/triggers/manual/paths/invoke"
    assert f"sig={TEAMS_SIG}" in query and "sv=1.0" in query
    card = requests[-1].json()
    assert card["type"] == "message"
    [attachment] = card["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = attachment["content"]
    assert (content["type"], content["version"], content["msteams"]) == ("AdaptiveCard", "1.4", {"width": "full"})
    title, body = content["body"]  # no Apprise icon before them
    assert title == {"type": "TextBlock", "text": "[Example Status] Paiements en panne: Resolved", "style": "heading",
                     "weight": "Bolder", "size": "Large", "id": "title"}
    assert body["type"] == "TextBlock" and body["wrap"] is True
    assert body["text"].startswith("All payments go through again.")
    assert f"[View the incident](https://status.example.com/incidents/{incident_id})" in body["text"]
