"""/api/v1/pages and the rules behind it (services/page_admin.py): what a script does to add a page for a
second brand, and the answers it gets for everything a page's fields must not be."""
import pytest
from sqlalchemy import func, select

from statuspage.extensions import db
from statuspage.models import AuditEntry, Page, Subscriber
from statuspage.services import accounts, page_admin, site_version
from statuspage.services.pages import default_page
from tests.builders import SYSTEM, START, make_component, make_group

SHOP = {"name": "Shop status", "slug": "shop", "host": "status.shop.example", "languages": ["de", "en"],
        "default_language": "de", "time_zone": "Europe/Vienna", "logo_url": "https://shop.example/logo.svg",
        "accent_color": "#0B5FFF", "components": ["checkout"]}


def _client_with(app, client, role):
    with app.app_context():
        _, plain = accounts.create_token(role=role, label=role, by=SYSTEM, now=START)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {plain}"
    return client


@pytest.fixture
def admin(app, client):
    return _client_with(app, client, "admin")


@pytest.fixture
def shop_components(app):
    with app.app_context():
        group = make_group("Shop")
        make_component("checkout", group=group)
        make_component("api")


def pages_added(app) -> int:
    """Pages besides the default one."""
    with app.app_context():
        return db.session.scalar(select(func.count(Page.id)).where(Page.is_default.is_(False)))


def test_a_page_is_created_read_listed_changed_and_deleted(app, admin, shop_components):
    created = admin.post("/api/v1/pages", json=SHOP)
    assert created.status_code == 201, created.get_json()
    page = created.get_json()
    assert {key: page[key] for key in SHOP} == {**SHOP, "accent_color": "#0b5fff"}
    assert page["url"] == "https://status.shop.example" and page["is_default"] is False
    assert page["visibility"] == "public" and page["shows_all_components"] is False
    assert created.headers["ETag"]
    listed = admin.get("/api/v1/pages").get_json()
    assert [p["slug"] for p in listed] == ["default", "shop"]
    assert listed[0]["is_default"] is True and listed[0]["url"] == "https://status.example.com"
    assert admin.get("/api/v1/pages/shop").get_json() == page
    changed = admin.patch("/api/v1/pages/shop", json={"host": None, "components": ["api", "checkout"],
                                                      "languages": None, "default_language": None})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["url"] == "https://status.example.com/p/shop"
    assert changed.get_json()["components"] == ["checkout", "api"]  # in the components' order
    assert changed.get_json()["languages"] is None
    assert admin.delete("/api/v1/pages/shop").status_code == 204
    assert admin.get("/api/v1/pages/shop").status_code == 404
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "pages")
                                          .order_by(AuditEntry.id)))
    assert actions == ["page.create", "page.update", "page.delete"]


def test_components_are_named_by_slug_or_by_their_v2_id(app, admin, shop_components):
    api_id = admin.get("/api/v1/components/api").get_json()["id"]
    created = admin.post("/api/v1/pages", json={"name": "API", "slug": "api", "components": [api_id, "checkout"]})
    assert created.get_json()["components"] == ["checkout", "api"]


def test_every_write_moves_the_change_counter_so_cached_pages_change(app, admin, shop_components):
    def counter():
        with app.app_context():
            return site_version.current()

    before = counter()
    admin.post("/api/v1/pages", json=SHOP)
    after_create = counter()
    admin.patch("/api/v1/pages/shop", json={"components": ["checkout", "api"]})  # the component list alone
    after_list = counter()
    admin.patch("/api/v1/pages/shop", json={"accent_color": "#112233"})
    after_colour = counter()
    admin.delete("/api/v1/pages/shop")
    assert before < after_create < after_list < after_colour < counter()


@pytest.mark.parametrize("change, field, code", [
    ({"slug": "Shop"}, "slug", "invalid"),
    ({"slug": "-shop"}, "slug", "invalid"),
    ({"slug": "x" * 61}, "slug", "invalid"),
    ({"name": ""}, "name", "invalid"),
    ({"host": "https://status.shop.example/"}, "host", "invalid_host"),
    ({"host": "status.shop.example:8443"}, "host", "invalid_host"),
    ({"host": "203.0.113.7"}, "host", "invalid_host"),
    ({"host": "bad_host.example"}, "host", "invalid_host"),
    ({"host": "-bad.example"}, "host", "invalid_host"),
    ({"host": "a" * 64 + ".example"}, "host", "invalid_host"),
    ({"host": "status.example.com"}, "host", "host_is_base_url"),
    ({"languages": ["en", "it"]}, "languages", "unknown_language"),
    ({"languages": "en"}, "languages", "invalid"),
    ({"languages": ["de"], "default_language": "en"}, "default_language", "default_language_not_offered"),
    ({"default_language": "xx"}, "default_language", "default_language_not_offered"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "invalid_time_zone"),
    ({"time_zone": "../../etc/passwd"}, "time_zone", "invalid_time_zone"),
    ({"time_zone": "localtime"}, "time_zone", "invalid_time_zone"),
    ({"accent_color": "blue"}, "accent_color", "invalid"),
    ({"accent_color": "#12345"}, "accent_color", "invalid"),
    ({"logo_url": "javascript:alert(1)"}, "logo_url", "invalid_logo_url"),
    ({"logo_url": "ftp://example.com/logo.png"}, "logo_url", "invalid_logo_url"),
    ({"logo_url": "/static/logo.svg"}, "logo_url", "invalid_logo_url"),
    ({"logo_url": "https://exa mple.com/logo.png"}, "logo_url", "invalid_logo_url"),
    ({"logo_url": "http://[::1/logo.png"}, "logo_url", "invalid_logo_url"),
    ({"visibility": "secret"}, "visibility", "invalid"),
    ({"shows_all_components": "yes"}, "shows_all_components", "invalid"),
    ({"components": ["nope"]}, "components", "unknown_component"),
    ({"components": "checkout"}, "components", "invalid"),
    ({"components": [1]}, "components.0", "invalid"),
    ({"components": ["9" * 40]}, "components", "unknown_component"),
    ({"is_default": True}, "is_default", "invalid"),
    ({"host": "x\u0000.example"}, "host", "invalid_character"),
])
def test_bad_fields_are_422_naming_the_field_and_store_nothing(app, admin, shop_components, change, field, code):
    response = admin.post("/api/v1/pages", json={**SHOP, **change})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert (error["field"], error["code"]) == (field, code)
    assert pages_added(app) == 0


def test_bad_changes_are_422_too_and_change_nothing(app, admin, shop_components):
    admin.post("/api/v1/pages", json=SHOP)
    for change in ({"time_zone": "Europe/Nowhere"}, {"languages": ["en"]}, {"name": ""}, {"host": "a..b"},
                   {"components": ["checkout", "gone"]}):
        response = admin.patch("/api/v1/pages/shop", json=change)
        assert response.status_code == 422, (change, response.get_json())
    page = admin.get("/api/v1/pages/shop").get_json()
    assert (page["time_zone"], page["languages"], page["name"], page["host"], page["components"]) == (
        "Europe/Vienna", ["de", "en"], "Shop status", "status.shop.example", ["checkout"])


def test_hosts_are_kept_as_browsers_send_them(app, admin):
    created = admin.post("/api/v1/pages", json={"name": "Bücher", "slug": "buecher", "host": "Status.Bücher.Example."})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["host"] == "status.xn--bcher-kva.example"


@pytest.mark.parametrize("change, code", [
    ({"slug": "default"}, "page_slug_taken"),
    ({"host": "status.shop.example"}, "page_host_taken"),
    ({"host": "STATUS.shop.example"}, "page_host_taken"),
])
def test_a_taken_slug_or_host_is_a_conflict(app, admin, change, code):
    assert admin.post("/api/v1/pages", json={"name": "Shop", "slug": "shop", "host": "status.shop.example"}
                      ).status_code == 201
    response = admin.post("/api/v1/pages", json={"name": "Other", "slug": "other", **change})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == code
    assert pages_added(app) == 1
    renamed = admin.patch("/api/v1/pages/shop", json={"slug": "default"})
    assert renamed.status_code == 409


def test_the_default_page_keeps_its_slug_and_cannot_be_deleted(app, admin):
    admin.get("/api/v1/pages")
    refused = admin.delete("/api/v1/pages/default")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "default_page"
    renamed = admin.patch("/api/v1/pages/default", json={"slug": "main"})
    assert renamed.status_code == 422 and renamed.get_json()["error"]["field"] == "slug"
    # Its name may be emptied: it then carries the install's name, as before pages existed.
    assert admin.patch("/api/v1/pages/default", json={"name": "Acme"}).get_json()["name"] == "Acme"
    assert admin.patch("/api/v1/pages/default", json={"name": ""}).get_json()["name"] == ""
    assert admin.get("/api/v1/pages/default").status_code == 200


def test_a_page_with_subscribers_is_deleted_only_when_they_move(app, admin):
    admin.post("/api/v1/pages", json={"name": "Shop", "slug": "shop"})
    admin.post("/api/v1/pages", json={"name": "Docs", "slug": "docs"})
    with app.app_context():
        shop = db.session.scalar(select(Page).where(Page.slug == "shop"))
        for address in ("ana@example.com", "ben@example.com"):
            db.session.add(Subscriber(channel="email", address=address, language="en", secret="s" * 32,
                                      created_at=START, page_id=shop.id))
        db.session.commit()
    assert admin.get("/api/v1/pages/shop").get_json()["subscribers"] == 2
    refused = admin.delete("/api/v1/pages/shop")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "page_has_subscribers"
    assert "2 subscriber" in refused.get_json()["error"]["message"]
    assert admin.delete("/api/v1/pages/shop?move_subscribers_to=shop").status_code == 422
    assert admin.delete("/api/v1/pages/shop?move_subscribers_to=nope").status_code == 404
    assert admin.delete("/api/v1/pages/shop?move_subscribers_to=Not%20a%20slug").status_code == 422
    assert admin.delete("/api/v1/pages/shop?move_subscribers_to=docs").status_code == 204
    assert admin.get("/api/v1/pages/docs").get_json()["subscribers"] == 2
    with app.app_context():
        assert db.session.scalar(select(func.count(Subscriber.id))) == 2


def test_a_stale_if_match_is_refused(app, admin):
    etag = admin.post("/api/v1/pages", json={"name": "Shop", "slug": "shop"}).headers["ETag"]
    assert admin.patch("/api/v1/pages/shop", json={"name": "Shop (EU)"}, headers={"If-Match": etag}).status_code == 200
    # The clock stands still in tests: the ETag still moves, because it is made from what the page holds.
    stale = admin.patch("/api/v1/pages/shop", json={"name": "Shop (US)"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert admin.get("/api/v1/pages/shop").get_json()["name"] == "Shop (EU)"


@pytest.mark.parametrize("role, reads, writes", [("viewer", 200, 403), ("responder", 200, 403),
                                                 ("intake", 403, 403), ("admin", 200, 201)])
def test_viewers_read_pages_and_only_admins_change_them(app, client, role, reads, writes):
    caller = _client_with(app, client, role)
    assert caller.get("/api/v1/pages").status_code == reads
    assert caller.post("/api/v1/pages", json={"name": "Shop", "slug": "shop"}).status_code == writes


def test_without_a_token_nothing_is_said(client):
    assert client.get("/api/v1/pages").status_code == 401
    assert client.post("/api/v1/pages", json={"slug": "Bad slug"}).status_code == 401


@pytest.mark.parametrize("body, content_type", [
    ("{not json", "application/json"), ("name=x", "application/x-www-form-urlencoded"), ("[1, 2]", "application/json"),
    ('{"name": ["x"], "slug": {"a": 1}}', "application/json"), ('{"name": "x", "slug": "x", "languages": [1]}',
                                                                 "application/json"),
    ('{"name": "x", "slug": "x", "host": 5}', "application/json"), ("null", "application/json"),
    ('{"name": "x", "slug": "x", "time_zone": "' + "A/" * 40 + '"}', "application/json"),
    ('{"name": "x", "slug": "x", "host": "' + "a." * 130 + 'com"}', "application/json"),
    ('{"name": "x", "slug": "x", "time_zone": "\\ud800"}', "application/json"),
])
def test_bad_input_is_a_4xx_never_a_500(app, admin, body, content_type):
    for method, url in (("post", "/api/v1/pages"), ("patch", "/api/v1/pages/default")):
        response = getattr(admin, method)(url, data=body, content_type=content_type)
        assert 400 <= response.status_code < 500, (method, body, response.status_code)
        assert response.get_json()["error"]["code"]
    assert pages_added(app) == 0


def test_unknown_pages_are_404(admin):
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        response = getattr(admin, method)("/api/v1/pages/nope", **kwargs)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "page_not_found"


def test_the_openapi_document_has_every_page_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(spec["paths"]["/api/v1/pages"]) >= {"get", "post"}
    assert set(spec["paths"]["/api/v1/pages/{slug}"]) >= {"get", "patch", "delete"}
    page_in = spec["components"]["schemas"]["PageIn"]
    assert {"name", "slug", "host", "languages", "default_language", "time_zone", "logo_url", "accent_color",
            "visibility", "shows_all_components", "components"} <= set(page_in["properties"])
    assert "is_default" in spec["components"]["schemas"]["PageOut"]["properties"]


def test_the_service_refuses_what_the_api_never_sends(app, ctx):
    """The console and the CLI call the service directly: it checks types itself."""
    settings = app.config["SETTINGS"]
    default_page()
    for fields, field in (({"slug": 5, "name": "x"}, "slug"), ({"slug": "x", "name": ["x"]}, "name"),
                          ({"slug": "x", "name": "x", "visibility": None}, "visibility"),
                          ({"slug": "x", "name": "x", "components": [True]}, "components"),
                          ({"slug": "x", "name": "x", "languages": 3}, "languages"),
                          ({"slug": "x", "name": "x", "is_default": True}, "is_default")):
        with pytest.raises(Exception) as raised:
            page_admin.create_page(**fields, settings=settings, by=SYSTEM, now=START)
        assert getattr(raised.value, "field", None) == field, fields
        db.session.rollback()


def test_a_page_made_through_the_api_is_served_and_follows_each_change(app, admin, shop_components):
    """The page cache and the page choice's maps follow the change counter: every write is seen at once."""
    reader = app.test_client(use_cookies=False)
    assert reader.get("/p/shop").status_code == 404
    admin.post("/api/v1/pages", json={"name": "Shop status", "slug": "shop", "components": ["checkout"]})
    assert reader.get("/p/shop").status_code == 200
    assert reader.get("/p/shop").status_code == 200  # from the cache
    admin.patch("/api/v1/pages/shop", json={"host": "status.shop.example"})
    assert reader.get("/p/shop").status_code == 404  # a page with a domain answers there only
    assert reader.get("/", headers={"Host": "status.shop.example"}).status_code == 200
    admin.patch("/api/v1/pages/shop", json={"visibility": "private"})
    assert reader.get("/", headers={"Host": "status.shop.example"}).status_code == 401  # the sign-in page (was 404)
    admin.patch("/api/v1/pages/shop", json={"visibility": "public"})
    assert reader.get("/", headers={"Host": "status.shop.example"}).status_code == 200
    admin.patch("/api/v1/pages/shop", json={"host": None})
    assert reader.get("/p/shop").status_code == 200
    admin.delete("/api/v1/pages/shop")
    assert reader.get("/p/shop").status_code == 404


def test_moving_subscribers_keeps_one_subscription_of_an_address_on_the_page_they_move_to(app, admin):
    """An address on both pages keeps the subscription it had where the others move to; moved to the default
    page, they are the default page's (page_id None), as if they had subscribed there."""
    admin.post("/api/v1/pages", json={"name": "Shop", "slug": "shop"})
    assert admin.post("/api/v1/subscribers", json={"email": "ana@example.com", "confirmed": True}).status_code == 201
    for address in ("ana@example.com", "ben@example.com"):
        made = admin.post("/api/v1/subscribers", json={"email": address, "confirmed": True, "page": "shop"})
        assert made.status_code == 201 and made.get_json()["page"] == "shop"
    assert admin.delete("/api/v1/pages/shop?move_subscribers_to=default").status_code == 204
    with app.app_context():
        rows = db.session.execute(select(Subscriber.address, Subscriber.page_id).order_by(Subscriber.address)).all()
    assert [tuple(row) for row in rows] == [("ana@example.com", None), ("ben@example.com", None)]
    listed = admin.get("/api/v1/subscribers").get_json()
    assert sorted((s["email"], s["page"]) for s in listed) == [("ana@example.com", "default"),
                                                               ("ben@example.com", "default")]


def test_a_subscriber_made_through_the_api_names_a_page_that_exists(admin):
    refused = admin.post("/api/v1/subscribers", json={"email": "ana@example.com", "page": "nope"})
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "page"
    assert admin.get("/api/v1/subscribers").get_json() == []


@pytest.mark.parametrize("url", [
    "https://cdn.example;sandbox/logo.png",           # would start a directive in the CSP header
    "https://cdn.example,evil.example/logo.png",
    "https://cdn.exa'mple/logo.png",
    "https://cdn.example%3bsandbox/logo.png",
    "https://cdn.example:443;sandbox/logo.png",
    "https://a;b@cdn.example:8443x/logo.png",
])
def test_a_logo_url_whose_host_is_not_a_host_name_is_refused(app, admin, shop_components, url):
    response = admin.post("/api/v1/pages", json={**SHOP, "logo_url": url})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == "logo_url" and error["code"] in ("invalid_logo_host", "invalid_logo_url")
    assert pages_added(app) == 0
    assert admin.post("/api/v1/pages", json=SHOP).status_code == 201
    assert admin.patch("/api/v1/pages/shop", json={"logo_url": url}).status_code == 422
    assert admin.get("/api/v1/pages/shop").get_json()["logo_url"] == SHOP["logo_url"]


def _csp(client, host: str) -> str:
    return client.get("/", headers={"Host": host}).headers["Content-Security-Policy"]


def test_the_csp_names_the_logo_by_scheme_host_and_port_only(app, admin, shop_components):
    admin.post("/api/v1/pages", json={**SHOP, "logo_url": "https://user;sandbox:pw@CDN.example:8443/a;b/logo.png"})
    policy = _csp(admin, SHOP["host"])
    assert "img-src 'self' data: https://cdn.example:8443; " in policy
    assert "sandbox" not in policy and "user" not in policy and "a;b" not in policy


def test_a_logo_url_stored_before_the_check_never_reaches_the_csp(app, admin, shop_components):
    admin.post("/api/v1/pages", json=SHOP)
    with app.app_context():  # as an older version let it be stored
        db.session.scalar(select(Page).where(Page.slug == "shop")).logo_url = "https://cdn.example;sandbox/logo.png"
        db.session.commit()
    policy = _csp(admin, SHOP["host"])
    assert "sandbox" not in policy and "img-src 'self' data:; " in policy
