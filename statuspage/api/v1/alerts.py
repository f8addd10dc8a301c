"""Alerts in: Prometheus Alertmanager's webhook_config and Grafana's webhook contact point.

Both need an API token with the alerts role (or admin), sent as `Authorization: Bearer <token>` (Alertmanager:
http_config.authorization; Grafana: the contact point's Authorization header). Grafana's requests must also
carry its HMAC-SHA256 signature when STATUSPAGE_GRAFANA_SECRET is set. A body that is not what the sender
documents is 4xx (the sender does not retry it); 5xx only when trying again can help (the database is away,
concurrent changes kept winning), and both senders retry those.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
from datetime import datetime

from flask import current_app, request

from ... import clock
from ...errors import Unauthorized
from ...models import AlertSource, Role
from ...monitoring import alerts
from . import blp
from .alert_schemas import AlertmanagerIn, AlertsOut, GrafanaIn
from .auth import requires
from .schemas import ErrorSchema

# Grafana's documented default header, and the one its code falls back to when the field is left empty.
GRAFANA_SIGNATURE_HEADERS = ("X-Grafana-Alerting-Signature", "X-Grafana-Alert-Signature")
GRAFANA_TIMESTAMP_HEADER = "X-Grafana-Alerting-Timestamp"  # the name to enter as the contact point's Timestamp Header
SIGNATURE_TOLERANCE_S = 300


def grafana_signature(secret: str, body: bytes, timestamp: str | None = None) -> str:
    """Grafana's signature: hex HMAC-SHA256 of the body, or of "<unix time>:<body>" with a timestamp header."""
    signed = body if timestamp is None else timestamp.encode() + b":" + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def grafana_signature_ok(secret: str, body: bytes, signature: str | None, timestamp: str | None, *,
                         now: datetime) -> bool:
    """Whether the signature matches, and its timestamp (when Grafana sends one) is within five minutes."""
    if not signature:
        return False
    if timestamp is not None:
        if not timestamp.isascii() or not timestamp.isdigit() or \
                abs(now.timestamp() - int(timestamp)) > SIGNATURE_TOLERANCE_S:
            return False
    expected = grafana_signature(secret, body, timestamp)
    return hmac.compare_digest(expected, signature.strip().lower())


def grafana_signed(view):
    """With STATUSPAGE_GRAFANA_SECRET set, only requests Grafana signed with it get through (after the token)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        secret = current_app.config["SETTINGS"].grafana_secret
        if secret:
            signature = next((request.headers[name] for name in GRAFANA_SIGNATURE_HEADERS if name in request.headers),
                             None)
            if not grafana_signature_ok(secret, request.get_data(cache=True), signature,
                                        request.headers.get(GRAFANA_TIMESTAMP_HEADER), now=clock.now()):
                raise Unauthorized("bad_signature", "The X-Grafana-Alerting-Signature header is missing or does "
                                   "not match (or its timestamp is more than five minutes off).")
        return view(*args, **kwargs)
    return wrapper


def _alerts(payload: dict) -> list[alerts.AlertIn]:
    return [alerts.AlertIn(fingerprint=item["fingerprint"], starts_at=item["startsAt"], ends_at=item["endsAt"],
                           is_firing=item["status"] == "firing", labels=item["labels"],
                           annotations=item["annotations"], generator_url=item["generatorURL"])
            for item in payload["alerts"]]


def _receive(source: AlertSource, payload: dict) -> dict:
    outcomes = alerts.receive(source, _alerts(payload), publish=current_app.config["SETTINGS"].alerts_publish,
                              now=clock.now())
    return {"received": len(outcomes), "alerts": [outcome.as_json() for outcome in outcomes]}


@blp.post("/alerts/alertmanager")
@requires(Role.ALERTS)
@blp.arguments(AlertmanagerIn)
@blp.response(200, AlertsOut)
@blp.alt_response(503, schema=ErrorSchema, description="Concurrent changes kept winning: Alertmanager sends again.")
def receive_alertmanager(payload):
    """Prometheus Alertmanager's webhook (webhook_config, payload version 4).

    Each alert counts on its own: a firing alert labelled `statuspage_component=<slug>` opens or joins an
    incident on that component, with `statuspage_status` (default partial_outage); a resolved one gives the
    component back. Resends change nothing (alerts are kept by fingerprint and startsAt)."""
    return _receive(AlertSource.ALERTMANAGER, payload)


@blp.post("/alerts/grafana")
@blp.doc(parameters=[
    {"in": "header", "name": GRAFANA_SIGNATURE_HEADERS[0], "required": False, "schema": {"type": "string"},
     "description": "Hex HMAC-SHA256 of the body (or of `<timestamp>:<body>`) with STATUSPAGE_GRAFANA_SECRET; "
                    "required when that is set."},
    {"in": "header", "name": GRAFANA_TIMESTAMP_HEADER, "required": False, "schema": {"type": "string"},
     "description": "Unix time the signature includes (Grafana's Timestamp Header); at most 5 minutes off."}])
@requires(Role.ALERTS)
@grafana_signed
@blp.arguments(GrafanaIn)
@blp.response(200, AlertsOut)
@blp.alt_response(503, schema=ErrorSchema, description="Concurrent changes kept winning: Grafana sends again.")
def receive_grafana(payload):
    """Grafana's webhook contact point (unified alerting, payload version 1).

    Read as the Alertmanager one. With STATUSPAGE_GRAFANA_SECRET set, `X-Grafana-Alerting-Signature` must
    be the hex HMAC-SHA256 of the body, or of `<timestamp>:<body>` when `X-Grafana-Alerting-Timestamp` is
    sent (then at most 5 minutes off)."""
    return _receive(AlertSource.GRAFANA, payload)
