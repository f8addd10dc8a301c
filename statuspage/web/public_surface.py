"""What the public sees, declared once: which views are public reads (cached and exported), which are per
page but never cached, and which paths are not per page at all.

Read by the page cache (web/cache.py: its fast path and Flask's hooks store and answer only CACHED views),
the page choice (web/page_choice.py: NOT_PER_PAGE is served as before, never under /p/<slug>) and the
static export (export.py: it writes CACHED views, one kind of file each). Every route of the app is in
exactly one of the three (tests/unit/test_public_surface.py), so a new view has to be placed here.
"""
from __future__ import annotations

PAGE, FEED, BADGE, JSON = "page", "feed", "badge", "json"
PER_LANGUAGE = frozenset({PAGE, FEED, BADGE})  # rendered per language (their titles are translated); JSON is not

# Public reads: the same bytes for everyone on a page in a language, so kept by the page cache, served by its
# fast path, and written by the static export (as the kind of file said here).
CACHED: dict[str, str] = {
    "public.index": PAGE, "public.history": PAGE, "public.incident": PAGE, "public.maintenance": PAGE,
    "public.component": PAGE,
    "feeds.site_feed": FEED, "feeds.component_feed": FEED, "feeds.maintenance_calendar": FEED,
    "feeds.component_maintenance_calendar": FEED, "feeds.maintenance_event": FEED,
    "badges.page_badge": BADGE, "badges.component_badge": BADGE,
}
CACHED_BLUEPRINTS: dict[str, str] = {"api_v2": JSON}  # every view of these: the v2 JSON
# Per page but never cached nor exported: forms with a CSRF token, links from mail that change something.
UNCACHED = frozenset({"subscribe.form", "subscribe.create", "subscribe.confirm", "subscribe.manage",
                      "subscribe.unsubscribe",
                      # a private or password page's sign-in (web/access.py)
                      "access.sign_in", "access.password", "access.email_link", "access.link", "access.redeem",
                      "access.sign_out", "access.sso_start", "access.sso_callback"})
# Not per page: the console, the v1 API, health, static files, ticket links. Served as they were before pages,
# never under /p/<slug>, without reading the change counter.
NOT_PER_PAGE = ("/admin", "/api/v1", "/healthz", "/readyz", "/ping", "/static", "/tickets")
HISTORY_PATH = "/history"  # the one cached view that takes a query argument (?page=)


def cached_kind(endpoint: str | None) -> str | None:
    """What kind of public read an endpoint is (PAGE, FEED, BADGE, JSON), or None when it is not cached."""
    if not endpoint:
        return None
    return CACHED.get(endpoint) or CACHED_BLUEPRINTS.get(endpoint.partition(".")[0] if "." in endpoint else "")


def not_per_page(path: str) -> bool:
    """Whether a path (as routed, without a /p/<slug> prefix) is outside every page."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in NOT_PER_PAGE)


def unclassified(rules) -> list[str]:
    """The routes (werkzeug Rules) declared nowhere above, or in more than one place: each needs a decision."""
    wrong = []
    for rule in rules:
        places = (cached_kind(rule.endpoint) is not None) + (rule.endpoint in UNCACHED) + not_per_page(rule.rule)
        if places != 1:
            wrong.append(f"{rule.rule} ({rule.endpoint}): in {places} places")
    return wrong
