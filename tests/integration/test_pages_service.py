"""services/pages.py, read side: the default page, what a page shows, its settings with the install's filled in."""
import pytest
from sqlalchemy.exc import IntegrityError

from statuspage.config import Settings
from statuspage.extensions import db
from statuspage.models import Page, PageComponent
from statuspage.services import pages

from ..builders import START, make_component, make_incident


def add_page(slug: str, components=(), **fields) -> Page:
    page = Page(slug=slug, name=fields.pop("name", slug.title()), created_at=START, updated_at=START, **fields)
    db.session.add(page)
    db.session.flush()
    for component in components:
        db.session.add(PageComponent(page_id=page.id, component_id=component.id))
    db.session.commit()
    return page


def test_there_is_always_one_default_page_showing_every_component(ctx):
    first = pages.default_page()
    assert (first.slug, first.is_default, first.shows_all_components) == ("default", True, True)
    assert pages.default_page().id == first.id
    api = make_component("api")
    assert pages.page_components(first) == [api]
    with pytest.raises(IntegrityError):
        add_page("other", is_default=True)
    db.session.rollback()


def test_a_page_shows_its_components_and_the_incidents_touching_them(ctx):
    default = pages.default_page()
    make_component("api")
    shop = make_component("shop")
    second = add_page("shop", [shop], host="status.shop.example")
    assert pages.page_components(second) == [shop]
    assert pages.page_by_slug("shop") is second
    assert pages.page_by_host("Status.Shop.Example:8443") is second
    assert pages.page_by_host("other.example") is None
    on_shop = make_incident("Checkout down", components_={"shop": "major_outage"})
    on_api = make_incident("API slow", components_={"api": "degraded_performance"})
    on_nothing = make_incident("Something odd", components_={})
    assert [pages.incident_on_page(i, second) for i in (on_shop, on_api, on_nothing)] == [True, False, False]
    assert [pages.incident_on_page(i, default) for i in (on_shop, on_api, on_nothing)] == [True, True, True]
    from sqlalchemy import select

    from statuspage.models import Incident
    for page, expected in ((second, {on_shop.id}), (default, {on_shop.id, on_api.id, on_nothing.id})):
        found = set(db.session.scalars(select(Incident.id).where(pages.incidents_on_page_clause(page))))
        assert found == expected


def test_a_page_settings_fall_back_to_the_install(ctx):
    settings = Settings(site_name="Example Status", base_url="https://status.example.com", timezone="Europe/Berlin",
                        languages=("en", "de", "fr"), default_language="en")
    default = pages.effective(pages.default_page(), settings)
    assert (default.name, default.languages, default.default_language, default.time_zone, default.url,
            default.path_prefix) == ("Example Status", ("en", "de", "fr"), "en", "Europe/Berlin",
                                     "https://status.example.com", "")
    second = pages.effective(add_page("shop", name="Shop", languages="de,xx", time_zone="America/New_York",
                                      accent_color="#aa3300"), settings)
    assert (second.name, second.languages, second.default_language, second.time_zone, second.accent_color,
            second.url, second.path_prefix) == ("Shop", ("de",), "de", "America/New_York", "#aa3300",
                                                "https://status.example.com/p/shop", "/p/shop")
    hosted = pages.effective(add_page("brand", host="status.brand.example"), settings)
    assert (hosted.url, hosted.path_prefix) == ("https://status.brand.example", "")
