"""Pagination links and optimistic concurrency (ETag / If-Match) for the management API."""
from __future__ import annotations

import hashlib
from urllib.parse import quote, urlencode

from flask import current_app, request

from ...errors import PreconditionFailed


def page_headers(total: int, page: int, per_page: int) -> dict[str, str]:
    """RFC 8288 Link header (first, prev, next, last) and X-Total-Count for a paginated list."""
    last = max(1, -(-total // per_page))
    links = {"first": 1, "last": last}
    if page > 1:
        links["prev"] = min(page - 1, last)
    if page < last:
        links["next"] = page + 1
    args = request.args.to_dict()
    # Absolute links from STATUSPAGE_BASE_URL: the request's Host (or X-Forwarded-Host) is the client's word.
    here = current_app.config["SETTINGS"].base_url + quote(request.path)
    parts = [f'<{here}?{urlencode({**args, "page": number, "per_page": per_page})}>; rel="{rel}"'
             for rel, number in links.items()]
    return {"Link": ", ".join(parts), "X-Total-Count": str(total)}


def etag_of(*parts) -> str:
    """A strong validator for a stored object's version: changes whenever the object does."""
    return '"' + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24] + '"'


def check_if_match(current: str) -> None:
    """Honour If-Match when sent: a stale ETag means someone else changed the object first (412).

    Without If-Match the write goes ahead, as the contract's plain PATCH calls expect.
    """
    wanted = request.headers.get("If-Match")
    if wanted is None or wanted.strip() == "*":
        return
    if current not in [tag.strip().removeprefix("W/") for tag in wanted.split(",")]:
        raise PreconditionFailed(message="The object changed since you read it; fetch it again and retry.")
