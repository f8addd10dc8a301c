"""Language: ?lang= wins, then the lang cookie, then Accept-Language, then English."""
import pytest


def lang_of(response) -> str:
    return response.get_data(as_text=True).split('<html lang="')[1].split('"')[0]


def test_english_is_the_default(client):
    assert lang_of(client.get("/")) == "en"


@pytest.mark.parametrize("header, expected", [("de-DE,de;q=0.9,en;q=0.5", "de"), ("fr-CH, fr;q=0.9", "fr"),
                                              ("es, it", "en"), ("", "en")])
def test_accept_language_is_honoured(client, header, expected):
    assert lang_of(client.get("/", headers={"Accept-Language": header})) == expected


def test_the_query_wins_and_is_remembered_in_a_cookie(client):
    response = client.get("/?lang=fr", headers={"Accept-Language": "de"})
    assert lang_of(response) == "fr"
    assert "lang=fr" in response.headers["Set-Cookie"]
    assert lang_of(client.get("/history", headers={"Accept-Language": "de"})) == "fr"


def test_an_unknown_language_falls_back_quietly(client):
    response = client.get("/?lang=xx")
    assert response.status_code == 200 and lang_of(response) == "en"


def test_pages_vary_by_language(client):
    vary = client.get("/").headers["Vary"]
    assert "Accept-Language" in vary and "Cookie" in vary


def test_the_page_offers_every_language(client):
    page = client.get("/").get_data(as_text=True)
    for name in ("English", "Deutsch", "Français"):
        assert name in page
