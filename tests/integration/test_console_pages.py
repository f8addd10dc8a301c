"""The console's Pages section (admins only): list, create with the component picker, edit, delete with a
confirmation that says where the subscribers go."""
import pytest
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import AuditEntry, ComponentGroup, Page, Subscriber
from statuspage.services.pages import default_page
from tests.builders import START, csrf_token, form_post, make_component, make_group, make_user, sign_in


@pytest.fixture
def admin(app, client):
    with app.app_context():
        make_user("root@example.com", "admin")
        shop = make_group("Shop")
        make_component("checkout", "Checkout", group=shop)
        make_component("basket", "Basket", group=shop)
        make_component("api", "API")
    sign_in(client, "root@example.com")
    return client


def page(app, slug):
    with app.app_context():
        found = db.session.scalar(select(Page).where(Page.slug == slug))
        return None if found is None else {
            "name": found.name, "host": found.host, "languages": found.languages,
            "default_language": found.default_language, "time_zone": found.time_zone,
            "accent_color": found.accent_color, "logo_url": found.logo_url,
            "components": [c.slug for c in found.components], "shows_all": found.shows_all_components}


def test_an_admin_adds_a_page_with_a_group_of_components(app, admin):
    listed = admin.get("/admin/pages")
    assert listed.status_code == 200
    assert "default page" in listed.get_data(as_text=True)
    form = admin.get("/admin/pages/new").get_data(as_text=True)
    assert 'name="group"' in form and 'value="checkout"' in form and '<datalist id="time-zones">' in form
    with app.app_context():
        group_id = db.session.scalar(select(ComponentGroup.id))
    response = form_post(admin, "/admin/pages/new", {
        "name": "Shop status", "slug": "", "host": "Status.Shop.Example", "languages": ["de", "en"],
        "default_language": "de", "time_zone": "Europe/Vienna", "logo_url": "https://shop.example/logo.svg",
        "accent_color": "#0B5FFF", "visibility": "public", "group": [str(group_id)]})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert page(app, "shop-status") == {  # the group's box took both its components
        "name": "Shop status", "host": "status.shop.example", "languages": "de,en", "default_language": "de",
        "time_zone": "Europe/Vienna", "accent_color": "#0b5fff", "logo_url": "https://shop.example/logo.svg",
        "components": ["checkout", "basket"], "shows_all": False}
    shown = admin.get("/admin/pages").get_data(as_text=True)
    assert "Shop status" in shown and 'href="https://status.shop.example"' in shown
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_type == "pages")) == "page.create"
    assert "root@example.com added page “Shop status”" in admin.get("/admin/audit").get_data(as_text=True)


def test_all_languages_ticked_means_the_installs_list_and_a_page_without_host_opens_at_p_slug(app, admin):
    response = form_post(admin, "/admin/pages/new", {
        "name": "Docs", "slug": "docs", "languages": ["en", "de", "fr"], "visibility": "public",
        "components": ["api"]})
    assert response.status_code == 302
    assert page(app, "docs")["languages"] is None and page(app, "docs")["components"] == ["api"]
    edit = admin.get("/admin/pages/docs/edit").get_data(as_text=True)
    assert 'href="https://status.example.com/p/docs"' in edit
    assert 'value="api" checked' in edit


def test_mistakes_are_shown_at_the_form_and_nothing_is_stored(app, admin):
    for data, words in (
            ({"name": "Docs", "slug": "docs", "time_zone": "Europe/Nowhere"}, "IANA time zone"),
            ({"name": "Docs", "slug": "Docs!"}, "Use lowercase letters, digits and dashes."),
            ({"name": "Docs", "slug": "docs", "accent_color": "blue"}, "#rrggbb"),
            ({"name": "Docs", "slug": "docs", "host": "https://docs.example/"}, "host name"),
            ({"name": "Docs", "slug": "docs", "logo_url": "javascript:alert(1)"}, "http or https"),
            ({"name": "Docs", "slug": "docs", "components": ["nope"]}, "Choose components from the list."),
            ({"name": "", "slug": "docs"}, "Give the page a name."),
            ({"name": "Docs", "slug": "docs", "languages": ["de"], "default_language": "en"}, "languages"),
            ({"name": "Docs", "slug": "default"}, "already exists")):
        response = form_post(admin, "/admin/pages/new", {"visibility": "public", **data})
        assert response.status_code == 400, data
        assert words in response.get_data(as_text=True), (data, words)
    assert page(app, "docs") is None


def test_the_default_page_is_edited_but_keeps_its_slug_and_cannot_be_deleted(app, admin):
    admin.get("/admin/pages")
    edit = admin.get("/admin/pages/default/edit").get_data(as_text=True)
    assert "readonly" in edit and "Delete" not in edit.split("<main", 1)[1].split("</form>")[0].split(
        'type="submit"')[-1]
    response = form_post(admin, "/admin/pages/default/edit", {
        "name": "", "slug": "changed", "languages": ["en", "de", "fr"], "visibility": "public",
        "shows_all_components": "y", "accent_color": "#123456"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert default_page().slug == "default" and default_page().accent_color == "#123456"
    refused = admin.get("/admin/pages/default/delete")
    assert "cannot be deleted" in refused.get_data(as_text=True)
    token = csrf_token(admin.get("/admin/pages"))
    assert admin.post("/admin/pages/default/delete", data={"csrf_token": token}).status_code == 400
    assert page(app, "default") is not None


def test_deleting_a_page_asks_first_and_moves_its_subscribers(app, admin):
    form_post(admin, "/admin/pages/new", {"name": "Shop", "slug": "shop", "visibility": "public"})
    with app.app_context():
        shop = db.session.scalar(select(Page).where(Page.slug == "shop"))
        db.session.add(Subscriber(channel="email", address="ana@example.com", language="en", secret="s" * 32,
                                  created_at=START, page_id=shop.id))
        db.session.commit()
    confirm = admin.get("/admin/pages/shop/delete").get_data(as_text=True)
    assert "1 subscriber belongs to it" in confirm and 'name="move_subscribers_to"' in confirm
    response = form_post(admin, "/admin/pages/shop/delete", {"move_subscribers_to": "default"})
    assert response.status_code == 302
    assert page(app, "shop") is None
    with app.app_context():
        subscriber = db.session.scalar(select(Subscriber))
        assert subscriber.page_id is None  # the default page (migration 0023)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ("/admin/pages", "/admin/pages/new", "/admin/pages/default/edit", "/admin/pages/default/delete"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login"), url


@pytest.mark.parametrize("role", ["viewer", "responder"])
def test_only_admins_see_and_manage_pages(app, client, role):
    with app.app_context():
        make_user("ana@example.com", role)
        default_page()
    sign_in(client)
    assert 'href="/admin/pages"' not in client.get("/admin/").get_data(as_text=True)
    for url in ("/admin/pages", "/admin/pages/new", "/admin/pages/default/edit", "/admin/pages/default/delete"):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client.get("/admin/"))
    assert client.post("/admin/pages/new", data={"csrf_token": token, "name": "X", "slug": "x"}).status_code == 403
    assert page(app, "x") is None


def test_the_section_speaks_german_and_french(app, admin):
    german = admin.get("/admin/pages/new?lang=de").get_data(as_text=True)
    assert "Neue Seite" in german and "Zeitzone" in german
    french = admin.get("/admin/pages/new?lang=fr").get_data(as_text=True)
    assert "Nouvelle page" in french and "Fuseau horaire" in french
