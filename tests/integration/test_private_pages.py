"""Private and password pages: nothing of theirs shows anywhere else (the leak walk), and their readers
get in by the password, a one-time sign-in link or a member's token, and see only what they may."""
import re

import pytest
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import Component, Incident, PageComponent, Subscriber
from statuspage.services import components, incidents, page_members, pages
from statuspage.services.audit import CLI
from tests.builders import SYSTEM, body_of, csrf_token, deliver, make_component, make_incident, make_maintenance, \
    make_page, statements_sent
from tests.integration.test_pages_public import SHOP_HEADERS, SHOP_HOST, SURFACES

VAULT = "/p/vault"  # the private page, by path
BUNKER = {"Host": "bunker.example"}  # the password page, by host
PASSWORD = "correct horse battery"
# What only the private pages show: their incidents' titles and update texts, their components' names.
PRIVATE_WORDS = ("Vault Secrets", "Vault leak", "XYZZY", "Vault rekeying", "Bunker Gate", "Bunker breach", "FROBOZZ",
                 "Vault EU")


@pytest.fixture
def world(app, clock):
    """The default page shows `api`; `shop` (by host) `payments`; the private `vault` (/p/vault) shows
    `vault` and `vault-eu` and `api`; the password page `bunker` (by host) shows `bunker`. Each has an
    incident on a component only it shows, and one incident touches both `api` and `vault-eu`."""
    with app.app_context():
        default = pages.default_page()
        default.shows_all_components = False
        db.session.commit()
        api = make_component("api", "Public API")
        make_component("payments", "Payments")
        make_component("vault", "Vault Secrets")
        make_component("vault-eu", "Vault EU")
        make_component("bunker", "Bunker Gate")
        db.session.add(PageComponent(page_id=default.id, component_id=api.id))
        db.session.commit()
        make_page("shop", ["payments"], name="Shop Status", host=SHOP_HOST)
        vault = make_page("vault", ["vault", "vault-eu", "api"], name="Customer Status", visibility="private")
        bunker = make_page("bunker", ["bunker"], name="Partner Status", visibility="password", host="bunker.example")
        page_members.set_password("bunker", PASSWORD, by=CLI, now=clock.now())
        ids = {
            "api": make_incident("API errors", components_={"api": "degraded_performance"}, impact="minor",
                                 now=clock.now()).id,
            "payments": make_incident("Payments are failing", components_={"payments": "major_outage"},
                                      now=clock.now()).id,
            "vault": make_incident("Vault leak", components_={"vault": "major_outage"}, now=clock.now()).id,
            "vault_eu": make_incident("Vault EU slow", components_={"vault-eu": "degraded_performance"},
                                      now=clock.now()).id,
            "vault_window": make_maintenance("Vault rekeying", components_=("vault",), now=clock.now()).id,
            "bunker": make_incident("Bunker breach", components_={"bunker": "major_outage"}, now=clock.now()).id,
            # vault-eu goes from operational: the update's component changes name it (v2 affected_components)
            "both": make_incident("Everything is slow", components_={"api": "major_outage",
                                                                    "vault-eu": "partial_outage"},
                                  impact="minor", now=clock.now()).id,
            "vault_page": vault.id, "bunker_page": bunker.id,
        }
        for key, text in (("vault", "XYZZY rotated"), ("bunker", "FROBOZZ sealed")):
            incidents.post_update(ids[key], status="identified", body=text, by=SYSTEM, now=clock.advance(minutes=1))
        db.session.remove()
    return ids


def leaks(text: str) -> list[str]:
    return [word for word in PRIVATE_WORDS if word in text]


def public_urls(world) -> list[str]:
    """Every surface of a public page, and every component and incident URL there is (of any page)."""
    urls = list(SURFACES)
    for slug in ("api", "payments", "vault", "vault-eu", "bunker"):
        urls += [f"/components/{slug}", f"/components/{slug}/feed.rss", f"/components/{slug}/feed.atom",
                 f"/components/{slug}/badge.svg", f"/components/{slug}/maintenance.ics"]
    for key, value in world.items():
        if not key.endswith("_page"):
            urls += [f"/incidents/{value}", f"/maintenance/{value}", f"/maintenance/{value}.ics",
                     f"/api/v2/incidents/{value}.json"]
    return urls + ["/history?page=2", "/nothing-here", "/p/vault-not"]


def test_no_public_surface_export_or_error_shows_a_private_page(app, client, world, tmp_path):
    walked = 0
    for headers in ({}, SHOP_HEADERS):
        for url in public_urls(world):
            response = client.get(url, headers=headers)
            assert response.status_code in (200, 404), (url, headers, response.status_code)
            assert not leaks(response.get_data(as_text=True)), (url, headers)
            walked += 1
    # The private pages themselves, to someone without a credential: the sign-in page or a bare 401.
    for prefix, headers in ((VAULT, {}), ("", BUNKER)):
        for url in public_urls(world):
            response = client.get(prefix + url, headers=headers)
            assert response.status_code == 401, (prefix + url, response.status_code)
            assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
            assert not leaks(response.get_data(as_text=True)), (prefix + url, headers)
            walked += 1
    assert walked > 200
    from statuspage.export import export_site

    export_site(app, tmp_path)
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert files and not (tmp_path / "p" / "vault").exists()
    for path in files:
        assert not leaks(path.read_text(errors="replace")), path


def test_public_subscribers_mail_names_no_private_incident_or_component(app, client, clock, world, inbox):
    with app.app_context():
        for address, page_id in (("all@example.com", None), ("shopper@example.com", 2)):
            db.session.add(Subscriber(channel="email", address=address, secret="s" * 32, created_at=clock.now(),
                                      confirmed_at=clock.now(), page_id=page_id))  # None: the default page
        db.session.commit()
        for key in ("api", "payments", "vault", "vault_eu", "bunker", "both"):
            incidents.post_update(world[key], status="monitoring", body=f"Watching {key} XYZZY-free",
                                  by=SYSTEM, now=clock.advance(minutes=1))
        db.session.remove()
    deliver(app, clock)
    mails = {m["To"]: [] for m in inbox.messages}
    for message in inbox.messages:
        mails[message["To"]].append(message["Subject"] + "\n" + body_of(message))
    assert len(mails["all@example.com"]) == 2  # API errors, and the shared incident
    shared = next(text for text in mails["all@example.com"] if "Everything is slow" in text)
    assert "Public API" in shared and "Vault Secrets" not in shared
    for texts in mails.values():
        for text in texts:
            assert not leaks(text.replace("XYZZY-free", "")), text


def test_the_password_form_lets_in_whoever_knows_the_password(app, client, clock, world):
    form = client.get("/", headers=BUNKER)
    assert form.status_code == 401 and 'name="password"' in form.get_data(as_text=True)
    assert '<meta name="robots" content="noindex,nofollow">' in form.get_data(as_text=True)
    wrong = client.post("/access/password", headers=BUNKER,
                        data={"csrf_token": csrf_token(form), "password": "not it at all", "next": "/"})
    assert wrong.status_code == 400 and not leaks(wrong.get_data(as_text=True))
    assert "This password is not right." in wrong.get_data(as_text=True)
    no_csrf = client.post("/access/password", headers=BUNKER, data={"password": PASSWORD})
    assert no_csrf.status_code == 400
    right = client.post("/access/password", headers=BUNKER, data={
        "csrf_token": csrf_token(form), "password": PASSWORD, "next": f"/incidents/{world['bunker']}"})
    assert right.status_code == 303 and right.headers["Location"].endswith(f"/incidents/{world['bunker']}")
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/;" in cookie
    page = client.get("/", headers=BUNKER)
    assert page.status_code == 200 and "Bunker breach" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store" and page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert client.get("/feed.rss", headers=BUNKER).status_code == 200
    # The cookie is this page's only: the private page does not take it, even under its own cookie's name.
    assert client.get(VAULT + "/").status_code == 401
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    thief = app.test_client()
    thief.set_cookie(f"sp_page_{world['vault_page']}", value, path="/p/vault")
    assert thief.get(VAULT + "/").status_code == 401
    thief.set_cookie(f"sp_page_{world['bunker_page']}", value, domain="bunker.example")
    assert thief.get("/", headers=BUNKER).status_code == 200  # (the same value where it belongs)
    # A new password (even the same one set again) ends every password cookie.
    with app.app_context():
        page_members.set_password("bunker", PASSWORD, by=CLI, now=clock.now())
    assert client.get("/", headers=BUNKER).status_code == 401


def test_a_wrong_next_target_stays_on_the_page(client, world):
    form = client.get("/", headers=BUNKER)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        right = client.post("/access/password", headers=BUNKER,
                            data={"csrf_token": csrf_token(form), "password": PASSWORD, "next": target})
        assert right.headers["Location"] in ("/", "http://bunker.example/"), target


def invite(app, clock, email="kim@example.com", components=()):
    with app.app_context():
        member = page_members.invite_member("vault", email, components=list(components), by=CLI, now=clock.now())
        return member.id


def sign_in_with_link(client, url: str):
    path = url.split("https://status.example.com", 1)[1]
    shown = client.get(path)
    assert shown.status_code == 200 and not leaks(shown.get_data(as_text=True))  # a scanner opening it uses nothing
    return client.post(path, data={"csrf_token": csrf_token(shown)})


def link_for(app, clock, member_id, **kwargs) -> str:
    with app.app_context():
        from statuspage.models import PageMember

        return page_members.sign_in_link(db.session.get(PageMember, member_id), now=clock.now(), **kwargs)


def test_a_member_signs_in_by_a_mailed_link_once(app, client, clock, world, inbox):
    invite(app, clock)
    deliver(app, clock)
    url = re.search(r"https://\S+/access/link/\S+", body_of(inbox.messages[-1])).group(0)
    signed_in = sign_in_with_link(client, url)
    assert signed_in.status_code == 303
    assert "Path=/p/vault;" in signed_in.headers["Set-Cookie"]
    home = client.get(VAULT + "/")
    text = home.get_data(as_text=True)
    assert home.status_code == 200 and "Vault leak" in text and "Everything is slow" in text
    assert "Sign out" in text
    # Used once: a second browser with the same link gets nothing.
    other = app.test_client()
    again = sign_in_with_link(other, url)
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
    assert other.get(VAULT + "/").status_code == 401
    # Signing out ends the cookie (a copy of it too).
    out = client.post(VAULT + "/access/sign-out", data={"csrf_token": csrf_token(home)})
    assert out.status_code == 303 and client.get(VAULT + "/").status_code == 401


def test_a_link_expired_revoked_or_for_another_page_lets_nobody_in(app, client, clock, world):
    member_id = invite(app, clock)
    expired = link_for(app, clock, member_id)
    clock.advance(minutes=16)
    assert sign_in_with_link(client, expired).status_code == 400
    with app.app_context():
        make_page("other", ["payments"], visibility="private")
    elsewhere = link_for(app, clock, member_id).replace("/p/vault/", "/p/other/")
    assert sign_in_with_link(client, elsewhere).status_code == 400
    revoked = link_for(app, clock, member_id)
    with app.app_context():
        page_members.revoke_member("vault", member_id, by=CLI, now=clock.now())
    assert sign_in_with_link(client, revoked).status_code == 400
    assert client.get(VAULT + "/").status_code == 401


def test_revoking_a_member_ends_their_session(app, client, clock, world):
    member_id = invite(app, clock)
    assert sign_in_with_link(client, link_for(app, clock, member_id)).status_code == 303
    assert client.get(VAULT + "/").status_code == 200
    with app.app_context():
        page_members.revoke_member("vault", member_id, by=CLI, now=clock.now())
    assert client.get(VAULT + "/").status_code == 401


def test_asking_for_a_link_says_the_same_for_members_and_strangers(app, client, clock, world):
    invite(app, clock)
    form = client.get(VAULT + "/access")
    answers = [client.post(VAULT + "/access/email", data={"csrf_token": csrf_token(form), "email": address})
               for address in ("kim@example.com", "stranger@example.com")]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].get_data() == answers[1].get_data()


def test_a_member_token_opens_feeds_and_v2_until_revoked(app, client, clock, world):
    member_id = invite(app, clock)
    with app.app_context():
        token = page_members.issue_token("vault", member_id, by=CLI, now=clock.now())
    refused = client.get(VAULT + "/api/v2/summary.json")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "sign_in_required"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(VAULT + "/feed.rss").status_code == 401
    preflight = client.options(VAULT + "/api/v2/summary.json")  # a browser's CORS preflight: no content
    assert preflight.status_code == 200 and not leaks(preflight.get_data(as_text=True))
    by_header = client.get(VAULT + "/api/v2/summary.json", headers={"Authorization": f"Bearer {token}"})
    assert by_header.status_code == 200 and "Vault leak" in by_header.get_data(as_text=True)
    assert by_header.headers["Cache-Control"] == "private, no-store"
    by_query = client.get(VAULT + f"/feed.rss?token={token}")
    assert by_query.status_code == 200 and "Vault leak" in by_query.get_data(as_text=True)
    assert client.get(VAULT + "/badge.svg?token=spm_wrong").status_code == 401
    with app.app_context():
        page_members.revoke_token("vault", member_id, by=CLI, now=clock.now())
    assert client.get(VAULT + f"/feed.rss?token={token}").status_code == 401


def test_a_member_limited_to_components_sees_only_those(app, client, clock, world):
    member_id = invite(app, clock, components=["vault-eu"])
    with app.app_context():
        token = page_members.issue_token("vault", member_id, by=CLI, now=clock.now())
    auth = {"Authorization": f"Bearer {token}"}
    for url in ("/", "/history", "/feed.atom", "/api/v2/summary.json", "/api/v2/incidents.json",
                "/api/v2/components.json", "/maintenance.ics", "/subscribe"):
        response = client.get(VAULT + url, headers=auth)
        text = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "Vault leak" not in text and "Vault Secrets" not in text and "Public API" not in text, url
        assert "Vault rekeying" not in text, url
    home = client.get(VAULT + "/", headers=auth).get_data(as_text=True)
    assert "Vault EU slow" in home and "Everything is slow" in home  # the shared one, naming only Vault EU
    for url in (f"/incidents/{world['vault']}", "/components/vault", f"/maintenance/{world['vault_window']}"):
        assert client.get(VAULT + url, headers=auth).status_code == 404, url
    assert client.get(VAULT + f"/incidents/{world['vault_eu']}", headers=auth).status_code == 200


def test_deleting_a_limited_member_s_components_never_widens_what_they_read(app, client, clock, world, inbox):
    """A member limited to `vault-eu` keeps a limit when `vault-eu` is deleted: no component, not all."""
    member_id = invite(app, clock, components=["vault-eu"])
    with app.app_context():
        token = page_members.issue_token("vault", member_id, by=CLI, now=clock.now())
        db.session.add(Subscriber(channel="email", address="kim@example.com", secret="s" * 32, created_at=clock.now(),
                                  confirmed_at=clock.now(), page_id=world["vault_page"], member_id=member_id))
        db.session.commit()
        components.delete_component("vault-eu", by=CLI, now=clock.now())
    deliver(app, clock)  # the invitation
    auth = {"Authorization": f"Bearer {token}"}
    for url in ("/", "/history", "/feed.atom", "/feed.rss", "/maintenance.ics", "/badge.svg", "/api/v2/summary.json",
                "/api/v2/incidents.json", "/api/v2/components.json", "/api/v2/scheduled-maintenances.json"):
        response = client.get(VAULT + url, headers=auth)
        text = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert not [word for word in ("Vault leak", "Vault Secrets", "Public API", "Vault rekeying", "API errors",
                                      "Everything is slow", "XYZZY", "outage", "degraded") if word in text], url
    for url in (f"/incidents/{world['vault']}", f"/incidents/{world['both']}", "/components/vault",
                "/components/api", f"/maintenance/{world['vault_window']}"):
        assert client.get(VAULT + url, headers=auth).status_code == 404, url
    with app.app_context():
        for key in ("vault", "both", "api"):
            incidents.post_update(world[key], status="monitoring", body="Watching.", by=SYSTEM,
                                  now=clock.advance(minutes=1))
    inbox.messages.clear()
    deliver(app, clock)
    assert [m["Subject"] for m in inbox.messages if m["To"] == "kim@example.com"] == []


def test_an_incident_is_read_on_a_public_page_first_else_its_private_one_from_one_look_at_the_pages(app, world):
    settings = app.config["SETTINGS"]
    with app.app_context():
        found = {}
        with statements_sent(app) as statements:
            for key in ("api", "payments", "vault", "both", "bunker"):
                found[key] = pages.reading_page_url(db.session.get(Incident, world[key]), settings)
        pages_read = [statement for statement in statements if re.search(r"FROM pages\b", statement)]
    assert found == {"api": "https://status.example.com", "payments": f"https://{SHOP_HOST}",
                     "vault": "https://status.example.com/p/vault", "both": "https://status.example.com",
                     "bunker": "https://bunker.example"}
    assert len(pages_read) == 5  # once per incident, not once for public pages and again for all


def test_private_responses_never_enter_nor_come_from_the_page_cache(app, client, clock, world):
    cache = app.extensions["statuspage.page_cache"]
    cache.clear()
    assert client.get("/").status_code == 200
    public_keys = set(cache.entries)
    assert public_keys  # a public page is kept
    member_id = invite(app, clock)
    with app.app_context():
        token = page_members.issue_token("vault", member_id, by=CLI, now=clock.now())
    for url in ("/", "/feed.rss", "/api/v2/summary.json", "/badge.svg"):
        assert client.get(VAULT + url + f"?token={token}").status_code == 200
        assert client.get(VAULT + url).status_code == 401  # and asked again without: never a kept copy
    assert client.get("/", headers=BUNKER).status_code == 401
    assert set(cache.entries) == public_keys
    # A public page's key made for the private page's id is never answered for it.
    vault_keys = [key for key in cache.entries if world["vault_page"] in key[3:]]
    assert vault_keys == []
    # The page turns private: its kept public answer is not served any more.
    with app.app_context():
        shop = pages.page_by_slug("shop")
        assert client.get("/", headers=SHOP_HEADERS).status_code == 200
        shop.visibility = "private"
        db.session.commit()
    shut = client.get("/", headers=SHOP_HEADERS)
    assert shut.status_code == 401 and "Payments are failing" not in shut.get_data(as_text=True)


def test_only_a_member_subscribes_on_a_private_page_and_revoking_ends_it(app, client, clock, world):
    form = client.get(VAULT + "/subscribe")
    assert form.status_code == 401
    member_id = invite(app, clock)
    sign_in_with_link(client, link_for(app, clock, member_id))
    form = client.get(VAULT + "/subscribe")
    assert form.status_code == 200
    answer = client.post(VAULT + "/subscribe", data={"csrf_token": csrf_token(form), "lang": "en",
                                                     "email": "kim@example.com"})
    assert answer.status_code == 200
    with app.app_context():
        subscriber = db.session.scalar(select(Subscriber).where(Subscriber.address == "kim@example.com"))
        assert subscriber.member_id == member_id and subscriber.page_id == world["vault_page"]
        page_members.revoke_member("vault", member_id, by=CLI, now=clock.now())
        assert db.session.scalar(select(Subscriber).where(Subscriber.address == "kim@example.com")) is None


def test_a_limited_member_s_subscription_hears_of_their_components_only(app, clock, world, inbox):
    member_id = invite(app, clock, components=["vault-eu"])
    with app.app_context():
        db.session.add(Subscriber(channel="email", address="kim@example.com", secret="s" * 32, created_at=clock.now(),
                                  confirmed_at=clock.now(), page_id=world["vault_page"], member_id=member_id))
        db.session.commit()
        for key in ("vault", "vault_eu", "both"):
            incidents.post_update(world[key], status="monitoring", body="Watching.", by=SYSTEM,
                                  now=clock.advance(minutes=1))
    inbox.messages.clear()
    deliver(app, clock)
    texts = [m["Subject"] + body_of(m) for m in inbox.messages if m["To"] == "kim@example.com"
             and "invited" not in m["Subject"]]
    assert len(texts) == 2 and "Vault EU slow" in texts[0] + texts[1] and "Everything is slow" in texts[0] + texts[1]
    assert not [text for text in texts if "Vault leak" in text or "Public API" in text]


def test_a_member_s_chosen_components_outside_a_narrowed_limit_bring_no_mail(app, clock, world, inbox):
    member_id = invite(app, clock, components=["vault", "vault-eu"])
    with app.app_context():
        subscriber = Subscriber(channel="email", address="kim@example.com", secret="s" * 32, created_at=clock.now(),
                                confirmed_at=clock.now(), page_id=world["vault_page"], member_id=member_id)
        subscriber.components = [db.session.scalar(select(Component).where(Component.slug == "vault"))]
        db.session.add(subscriber)
        db.session.commit()
        page_members.update_member("vault", member_id, components=["vault-eu"], by=CLI, now=clock.now())
        incidents.post_update(world["vault"], status="monitoring", body="Watching.", by=SYSTEM,
                              now=clock.advance(minutes=1))
    deliver(app, clock)
    assert [m["Subject"] for m in inbox.messages if m["To"] == "kim@example.com" and "invited" not in m["Subject"]] == []


def test_an_error_on_a_private_page_says_noindex_too(app, client, clock, world):
    member_id = invite(app, clock)
    sign_in_with_link(client, link_for(app, clock, member_id))
    missing = client.get(VAULT + "/incidents/999999")
    assert missing.status_code == 404 and missing.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex,nofollow">' in missing.get_data(as_text=True)
    assert missing.headers["Cache-Control"] == "private, no-store"
    assert "X-Robots-Tag" not in client.get("/").headers


def test_the_sign_in_link_form_is_rate_limited(app, client, clock, world, monkeypatch):
    from tests.builders import settings_with

    settings_with(app, monkeypatch, login_rate_limit="2 per minute")
    form = client.get(VAULT + "/access")
    codes = [client.post(VAULT + "/access/email", data={"csrf_token": csrf_token(form), "email": "a@example.com"})
             .status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_fast_path_answers_no_private_page_even_when_its_key_is_kept(app, world):
    from dataclasses import replace

    from statuspage.web.cache import Entry, cache_key

    fast_path = app.extensions["statuspage.fast_path"]
    with app.app_context():
        vault = pages.effective(pages.page_by_slug("vault"), app.config["SETTINGS"])
    key = cache_key("/", {}, "en", page_id=vault.key_id)
    fast_path.cache.put(key, Entry(1, 0.0, (), b"Vault leak", None, '"x"', None))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "statuspage.page": vault}
    assert fast_path.key(environ) is None
    assert fast_path.key({**environ, "statuspage.page": replace(vault, visibility="public")}) == key
    fast_path.cache.clear()


def test_a_member_signs_in_by_single_sign_on_with_their_verified_address(app, client, clock, world, monkeypatch):
    import dataclasses
    from urllib.parse import urlsplit

    import requests

    from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OIDCProvider

    callback = "https://status.example.com/p/vault/access/sso/callback"
    provider = OIDCProvider(callback, clock.now).start()
    try:
        monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(
            app.config["SETTINGS"], oidc_discovery_url=provider.discovery_url, oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET))
        invite(app, clock)

        def round_trip(user):
            provider.user = user
            form = client.get(VAULT + "/")
            assert "/p/vault/access/sso" in form.get_data(as_text=True)
            started = client.get(VAULT + "/access/sso")
            assert started.status_code == 302
            back = requests.get(started.headers["Location"], allow_redirects=False, timeout=10).headers["Location"]
            assert back.startswith(callback + "?")
            parts = urlsplit(back)
            return client.get(f"{parts.path}?{parts.query}")

        stranger = round_trip({"sub": "s-1", "email": "stranger@example.com", "email_verified": True})
        assert stranger.status_code == 403 and client.get(VAULT + "/").status_code == 401
        unverified = round_trip({"sub": "k-1", "email": "kim@example.com", "email_verified": False})
        assert unverified.status_code == 403 and client.get(VAULT + "/").status_code == 401
        member = round_trip({"sub": "k-1", "email": "Kim@example.com", "email_verified": True})
        assert member.status_code == 303 and client.get(VAULT + "/").status_code == 200
        assert client.get(member.request.path + "?" + member.request.query_string.decode()).status_code == 400
    finally:
        provider.stop()


def test_a_password_cookie_does_not_survive_a_change_of_visibility(app, client, clock, world):
    from statuspage.services import page_admin

    form = client.get("/", headers=BUNKER)
    client.post("/access/password", headers=BUNKER, data={"csrf_token": csrf_token(form), "password": PASSWORD})
    assert client.get("/", headers=BUNKER).status_code == 200
    with app.app_context():
        for visibility in ("public", "password"):
            page_admin.update_page("bunker", visibility=visibility, settings=app.config["SETTINGS"], by=CLI,
                                   now=clock.now())
    assert client.get("/", headers=BUNKER).status_code == 401


def test_on_the_event_loop_a_private_page_is_never_answered_from_a_worker_s_cache(app, database_url, tmp_path, clock):
    """The production server (two workers, cache hits on their event loops): a page that turns private is
    not served from what the loops kept, and a member's answers are never kept for the next visitor."""
    from tests.integration.test_production_server import get
    from tests.servers import production_server

    with app.app_context():
        make_component("payments", "Payments")
        make_page("shop", ["payments"], name="Shop Status", host="status.shop.example")
        make_incident("Payments are failing", components_={"payments": "major_outage"}, now=clock.now())
    shop = {"Host": "status.shop.example"}
    with production_server(database_url, tmp_path, workers=2) as base:
        for _ in range(20):  # both workers render and keep the public page
            assert "Payments are failing" in get(base + "/", shop)[2].decode()
        with app.app_context():
            pages.page_by_slug("shop").visibility = "private"
            db.session.commit()
            member = page_members.invite_member("shop", "kim@example.com", by=CLI, now=clock.now())
            token = page_members.issue_token("shop", member.id, by=CLI, now=clock.now())
        for _ in range(20):
            for url in ("/", "/api/v2/summary.json", "/feed.rss"):
                status, headers, body = get(base + url + f"?token={token}", shop)
                assert status == 200 and headers["Cache-Control"] == "private, no-store", url
                status, headers, body = get(base + url, shop)
                assert status == 401 and b"Payments are failing" not in body, url
                assert headers["X-Robots-Tag"] == "noindex, nofollow"


def test_a_private_page_named_by_page_slug_is_as_closed_as_under_its_path(client, world):
    """/api/v2/...?page_slug= (for the widget) reaches the same gate as /p/<slug>/api/v2/..."""
    for path in ("/api/v2/summary.json?page_slug=vault", "/api/v2/incidents.json?page_slug=vault"):
        answer = client.get(path)
        assert answer.status_code == 401 and "Bearer" in answer.headers.get("WWW-Authenticate", "")
        assert leaks(answer.get_data(as_text=True)) == []
        assert "noindex" in answer.headers.get("X-Robots-Tag", "")
    assert client.get("/api/v2/summary.json?page_slug=bunker").status_code == 404  # by its host only
