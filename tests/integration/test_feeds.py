"""RSS and Atom feeds, read by feedparser (a real feed reader) and, where a reader could go wrong, by a second
independent parser (fastfeedparser) and by the XML itself; on the default page and on a second page by its
/p/<slug> prefix and by its host (the `place` fixture, tests/conftest.py), whose feeds hold its own incidents
only and link, identify and name themselves under its URL."""
from html.parser import HTMLParser
from xml.etree import ElementTree

import fastfeedparser
import feedparser
import pytest

from statuspage.services.incidents import post_update
from tests.builders import ELSEWHERE, SYSTEM, make_component, make_incident, make_maintenance

FEEDS = ["/feed.rss", "/feed.atom"]


@pytest.fixture
def client(place_client):
    return place_client


@pytest.fixture
def site(app, clock, place):
    with app.app_context():
        make_component("api", "REST API")
        make_component("web", "Website")
        place.show("api", "web")
        outage = make_incident("API errors", components_={"api": "partial_outage"}, body="Looking into it.",
                               now=clock.now())
        post_update(outage.id, status="identified", body="A bad **deploy**. <script>alert(1)</script>",
                    by=SYSTEM, now=clock.advance(minutes=10))
        slow = make_incident("Website slow", components_={"web": "degraded_performance"}, now=clock.advance(minutes=5))
        window = make_maintenance("Upgrade", components_=["web"], now=clock.advance(minutes=1))
    return {"outage": outage, "slow": slow, "window": window}


def read(client, url):
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert ELSEWHERE not in response.get_data(as_text=True)  # another page's incident
    return response, parsed


@pytest.mark.parametrize("url", FEEDS)
def test_a_feed_reader_reads_every_update_newest_first(client, site, url, place):
    response, feed = read(client, url)
    assert response.mimetype in ("application/rss+xml", "application/atom+xml")
    titles = [entry.title for entry in feed.entries]
    assert titles == ["Upgrade: Scheduled (Website)", "Website slow: Investigating (Website)",
                      "API errors: Identified (REST API)", "API errors: Investigating (REST API)"]
    assert feed.feed.title == f"{place.name}: incidents and maintenance"


@pytest.mark.parametrize("url", FEEDS)
def test_entries_link_to_their_permalink_and_keep_their_ids(client, site, url, place):
    _, feed = read(client, url)
    outage = site["outage"]
    identified = feed.entries[2]
    assert identified.link.startswith(f"{place.url}/incidents/{outage.id}#update-")
    assert identified.id == identified.link
    assert feed.entries[0].link.startswith(f"{place.url}/maintenance/{site['window'].id}#update-")
    second = fastfeedparser.parse(client.get(url).data).entries
    assert [entry.id for entry in second] == [entry.id for entry in feed.entries]
    assert [entry.link for entry in second] == [entry.link for entry in feed.entries]


def test_both_formats_give_each_update_the_same_id(client, site):
    ids = [[entry.id for entry in read(client, url)[1].entries] for url in FEEDS]
    assert ids[0] == ids[1] and len(set(ids[0])) == 4


@pytest.mark.parametrize("url", FEEDS)
def test_update_text_is_sanitized_html(client, site, url):
    _, feed = read(client, url)
    content = feed.entries[2].content[0].value if "content" in feed.entries[2] else feed.entries[2].summary
    assert "<strong>deploy</strong>" in content
    assert "<script" not in content


@pytest.mark.parametrize("url", ["/components/api/feed.rss", "/components/api/feed.atom"])
def test_a_component_feed_holds_only_what_touches_it(client, site, url):
    _, feed = read(client, url)
    assert [entry.title for entry in feed.entries] == ["API errors: Identified (REST API)",
                                                      "API errors: Investigating (REST API)"]


@pytest.mark.parametrize("url", FEEDS + ["/components/api/feed.atom"])
def test_conditional_requests_get_304(client, site, url):
    response = client.get(url)
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": response.headers["Last-Modified"]}).status_code == 304


def test_a_new_update_changes_the_etag(app, client, site, clock):
    etag = client.get("/feed.atom").headers["ETag"]
    with app.app_context():
        post_update(site["outage"].id, status="monitoring", body="Recovering.", by=SYSTEM,
                    now=clock.advance(minutes=30))
    response = client.get("/feed.atom", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert feedparser.parse(response.data).entries[0].title == "API errors: Monitoring (REST API)"


def test_an_empty_site_has_a_valid_empty_feed(client):
    for url in FEEDS:
        assert read(client, url)[1].entries == []


def test_the_pages_announce_their_feeds(client, site, place):
    page = client.get("/").get_data(as_text=True)
    assert 'rel="alternate" type="application/rss+xml"' in page and f'href="{place.prefix}/feed.atom"' in page
    component = client.get("/components/api").get_data(as_text=True)
    assert f'href="{place.prefix}/components/api/feed.rss"' in component


def test_feeds_speak_the_readers_language(client, site):
    _, feed = read(client, "/feed.atom?lang=de")
    assert feed.entries[1].title == "Website slow: Wird untersucht (Website)"


def test_an_unknown_component_has_no_feed(client):
    assert client.get("/components/nope/feed.rss").status_code == 404


HOSTILE_NAME = "<script>alert(1)</script>&"


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def _tags(html: str) -> list[str]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


@pytest.mark.parametrize("url", ["/feed.rss", "/feed.atom", "/components/evil/feed.rss", "/components/evil/feed.atom"])
def test_names_in_entry_html_are_escaped_as_the_pages_escape_them(app, client, clock, url, place):
    """An update without text shows its title as HTML: the incident's and components' names are text in it,
    never markup (read without feedparser's own sanitizing, as a reader that trusts the feed would)."""
    with app.app_context():
        make_component("evil", HOSTILE_NAME)
        place.show("evil")
        make_incident(HOSTILE_NAME, components_={"evil": "major_outage"}, body="", now=clock.now())
    response = client.get(url)
    feed = feedparser.parse(response.data, sanitize_html=False)
    assert not feed.bozo, feed.get("bozo_exception")
    entry = feed.entries[0]
    html = entry.content[0].value if "content" in entry else entry.description
    assert _tags(html) == ["p"], html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in html
    assert entry.summary == html or _tags(entry.summary) == ["p"]
    details = [feed.feed.get("title_detail"), feed.feed.get("subtitle_detail"), entry.get("title_detail")]
    for detail in details:  # what a reader shows as HTML (the RSS channel description) holds no tag
        if detail and detail["type"] == "text/html":
            assert _tags(detail["value"]) == [], detail


ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("url", ["/feed.atom", "/components/api/feed.atom"])
def test_atom_content_says_it_is_html_so_readers_render_it_rather_than_show_tags(client, site, url):
    """RFC 4287 3.1.1: a <content> without type is text, which readers show as it is, tags and all."""
    raw = client.get(url).data
    contents = ElementTree.fromstring(raw).findall(f"{ATOM}entry/{ATOM}content")
    assert contents and [c.get("type") for c in contents] == ["html"] * len(contents)
    identified = next(e for e in feedparser.parse(raw).entries if e.title.startswith("API errors: Identified"))
    assert identified.content[0].type == "text/html" and "<strong>deploy</strong>" in identified.content[0].value
    second = next(e for e in fastfeedparser.parse(raw).entries if e.title.startswith("API errors: Identified"))
    assert second.content[0]["type"] == "html" and "<strong>deploy</strong>" in second.content[0]["value"]
    assert "<script" not in second.content[0]["value"]


@pytest.mark.parametrize("url, page", [("/feed.rss", "/"), ("/components/api/feed.rss", "/components/api")])
def test_rss_channel_link_is_the_page_the_feed_is_about(client, site, url, page, place):
    """RSS 2.0: the channel's <link> is "the URL to the HTML website"; the feed's own URL is atom:link rel=self."""
    raw = client.get(url).data
    page = place.url + page
    channel = ElementTree.fromstring(raw).find("channel")
    assert channel.find("link").text == page
    assert channel.find(f"{ATOM}link[@rel='self']").get("href") == f"{place.url}{url}"
    assert feedparser.parse(raw).feed.link == page
    assert fastfeedparser.parse(raw).feed.link == page


@pytest.mark.parametrize("url, page", [("/feed.atom", "/"), ("/components/api/feed.atom", "/components/api")])
def test_an_atom_feed_is_identified_by_its_page_and_links_itself_under_the_page_s_url(client, site, url, page,
                                                                                        place):
    """The feed's id and alternate link are the page's own URL, its self link the feed's: a reader that
    follows both pages keeps them apart, and refreshes each from where it read it."""
    raw = client.get(url).data
    for feed in (feedparser.parse(raw).feed, fastfeedparser.parse(raw).feed):
        assert feed.id == place.url + page
        assert feed.link == place.url + page
    links = {link.get("rel"): link.get("href") for link in ElementTree.fromstring(raw).findall(f"{ATOM}link")}
    assert links == {"self": place.url + url, "alternate": place.url + page}
