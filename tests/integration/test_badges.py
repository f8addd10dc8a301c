"""Status badges for READMEs and other sites."""
from xml.etree import ElementTree

from tests.builders import make_component, make_incident

SVG = "{http://www.w3.org/2000/svg}"


def words(response) -> str:
    return ElementTree.fromstring(response.data).find(f"{SVG}title").text


def test_the_page_badge_says_the_overall_status_in_words(app, client):
    assert words(client.get("/badge.svg")) == "status: all systems operational"
    with app.app_context():
        make_component("api")
        make_incident(components_={"api": "partial_outage"}, impact="major")
    response = client.get("/badge.svg")
    assert response.mimetype == "image/svg+xml"
    assert words(response) == "status: partial system outage"


def test_a_component_badge_names_the_component_and_its_status(app, client):
    with app.app_context():
        make_component("api", "REST API")
        make_incident(components_={"api": "major_outage"})
    assert words(client.get("/components/api/badge.svg")) == "REST API: major outage"
    assert client.get("/components/nope/badge.svg").status_code == 404


def test_badges_are_cacheable_and_answer_304(client):
    response = client.get("/badge.svg")
    assert "max-age=60" in response.headers["Cache-Control"]
    again = client.get("/badge.svg", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_component_name_cannot_inject_markup_into_the_svg(app, client):
    with app.app_context():
        make_component("x", '<script>alert(1)</script>')
    response = client.get("/components/x/badge.svg")
    assert b"<script>" not in response.data
    assert words(response).startswith("<script>")


def test_badges_keep_german_nouns_capitalised_and_speak_french(app, client):
    with app.app_context():
        make_component("api", "REST API")
        make_incident(components_={"api": "partial_outage"}, impact="major")
    assert words(client.get("/badge.svg?lang=de")) == "Status: teilweiser Systemausfall"
    assert words(client.get("/components/api/badge.svg?lang=de")) == "REST API: Teilausfall"
    assert words(client.get("/badge.svg?lang=fr")) == "statut: panne partielle du système"
    assert words(client.get("/components/api/badge.svg?lang=fr")) == "REST API: panne partielle"
    assert words(client.get("/components/api/badge.svg?lang=en")) == "REST API: partial outage"
