"""Choosing the page (web/page_choice.py): by Host, else /p/<slug>, else the default page; what is not per
page stays where it was; a page that is not public is not there; the cache keeps pages apart."""
import pytest

from statuspage.extensions import db
from tests.builders import make_component, make_incident, make_page, statements_sent

SHOP_HOST = "status.shop.example"


@pytest.fixture
def two_pages(app, clock):
    """The default page (every component) and `brand` (by path only) and `shop` (by host), each with one."""
    with app.app_context():
        make_component("api", "API")
        make_component("checkout", "Checkout")
        make_component("widgets", "Widgets")
        make_page("brand", ["widgets"], name="Brand Status")
        make_page("shop", ["checkout"], name="Shop Status", host=SHOP_HOST)
        make_incident("Checkout is down", components_={"checkout": "major_outage"}, now=clock.now())
        db.session.remove()


def test_a_path_page_keeps_its_links_inside_the_page(client, two_pages):
    response = client.get("/p/brand")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'href="/p/brand/history"' in body and 'href="/p/brand/subscribe"' in body
    assert 'href="/p/brand/feed.rss"' in body
    assert 'href="/static/style.css"' in body and 'href="/admin/"' in body  # not per page: as they were
    assert client.get("/p/brand/history").status_code == 200
    assert client.get("/p/brand/components/widgets").status_code == 200


@pytest.mark.parametrize("path", ["/p/nothing", "/p/nothing/history", "/p/", "/p/brand/admin/",
                                  "/p/brand/static/style.css", "/p/brand/healthz", "/p/brand/api/v1/components",
                                  "/p/default", "/p/shop", "/p/shop/history"])
def test_what_is_not_a_page_under_p_is_404(client, two_pages, path):
    assert client.get(path).status_code == 404


def test_a_page_is_chosen_by_its_host_with_any_case_and_port(client, two_pages):
    for host in (SHOP_HOST, "Status.Shop.Example:8443"):
        body = client.get("/", headers={"Host": host}).get_data(as_text=True)
        assert 'href="/history"' in body  # at the root of its own host
    assert client.get("/p/brand", headers={"Host": SHOP_HOST}).status_code == 404  # not another page's
    assert client.get("/healthz", headers={"Host": SHOP_HOST}).status_code == 200  # not per page: as it was
    with client.get("/static/style.css", headers={"Host": SHOP_HOST}) as response:
        assert response.status_code == 200


def test_a_page_that_is_not_public_asks_the_public_to_sign_in(app, client, clock):
    # Before private pages were served these answered 404; now the sign-in page or a bare 401
    # (tests/integration/test_private_pages.py walks what they must never show).
    with app.app_context():
        make_component("api", "API")
        make_page("secret", ["api"], visibility="private")
        make_page("hidden", ["api"], visibility="password", host="hidden.example")
        db.session.remove()
    for path, host in (("/p/secret", None), ("/p/secret/feed.rss", None), ("/p/secret/api/v2/summary.json", None),
                       ("/", "hidden.example"), ("/badge.svg", "hidden.example"), ("/api/v2/status.json",
                                                                                     "hidden.example")):
        headers = {"Host": host} if host else {}
        response = client.get(path, headers=headers)
        assert response.status_code == 401, (path, host)
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow" and "API" not in response.get_data(as_text=True)
    assert client.get("/p/nope").status_code == 404
    assert client.get("/").status_code == 200


def test_a_new_page_is_there_on_the_next_request(app, client, two_pages):
    assert client.get("/p/later").status_code == 404
    with app.app_context():
        make_page("later", ["api"])
        db.session.remove()
    assert client.get("/p/later").status_code == 200


def test_the_cache_keeps_pages_apart_and_a_host_page_hit_asks_the_database_nothing(app, two_pages):
    browser = app.test_client(use_cookies=False)
    default = browser.get("/").get_data()
    shop = browser.get("/", headers={"Host": SHOP_HOST}).get_data()
    brand = browser.get("/p/brand").get_data()
    assert len({default, shop, brand}) == 3  # the links differ (what each shows: tests/integration/test_pages_public.py)
    reader = app.extensions["statuspage.site_version_reader"]
    reads = reader.reads
    with statements_sent(app) as statements:  # three entries: each page's `/` answered from its own
        assert browser.get("/", headers={"Host": SHOP_HOST}).get_data() == shop
        assert browser.get("/p/brand").get_data() == brand
        assert browser.get("/").get_data() == default
    assert statements == [] and reader.reads == reads + 3  # the change counter, once per request
