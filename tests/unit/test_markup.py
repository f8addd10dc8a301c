"""Markdown in update bodies: rendered, and never a way to run script."""
from html.parser import HTMLParser

import pytest

from statuspage.markup import plain_text, render_markdown


class Elements(HTMLParser):
    """Every element and its attributes, as a browser would build them."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def test_markdown_renders_emphasis_links_and_lists():
    html = render_markdown("**Fixed** see [the post](https://example.com/x)\n\n- one\n- two")
    assert "<strong>Fixed</strong>" in html
    assert 'href="https://example.com/x"' in html and 'rel="nofollow noopener noreferrer"' in html
    assert "<li>one</li>" in html


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "<img src=x onerror=alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    '<a href="javascript:alert(1)">x</a>',
    "![img](javascript:alert(1))",
    "<iframe src=https://evil.example></iframe>",
])
def test_no_script_ever_passes(source):
    for tag, attributes in Elements(render_markdown(source)).found:
        assert tag not in ("script", "iframe", "object", "embed", "img", "style")
        assert not any(name.startswith("on") for name in attributes)
        for name in ("href", "src"):
            assert not attributes.get(name, "").strip().lower().startswith(("javascript:", "data:", "vbscript:"))


def test_top_level_headings_are_shifted_below_the_page_headings():
    html = render_markdown("# Big\n\n## Smaller")
    assert "<h1>" not in html and "<h2>" not in html
    assert "<h3>Big</h3>" in html


def test_plain_text_drops_markup_and_keeps_what_was_typed():
    assert plain_text("**bold** and <b>raw</b> & more") == "bold and <b>raw</b> & more"
