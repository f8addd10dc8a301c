"""Markdown for update bodies: rendered by markdown-it-py, then sanitized by nh3, so no script ever passes."""
from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is escaped, not passed through; nh3 is the second wall.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> Markup:
    """Safe HTML for a Markdown text; links may only be http, https or mailto.

    Pure, so cached: the same update bodies are shown on every view of the page.
    """
    html = _markdown.render(text or "")
    # Headings from user text must not outrank the page's own; shift h1/h2 down.
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>").replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener noreferrer")
    return Markup(clean)


def plain_text(text: str) -> str:
    """The words of a Markdown text without markup, unescaped: for text/plain mail and titles.

    Put it into HTML only through an autoescaping template.
    """
    return html.unescape(nh3.clean(_markdown.render(text or ""), tags=set())).strip()


_NOT_ON_ONE_LINE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str) -> str:
    """The text on one line, for a mail Subject: every run of white space or control characters (CR, LF,
    tabs, escapes, NUL, Unicode line separators) becomes one space, so nothing can start a header of its own."""
    return _NOT_ON_ONE_LINE.sub(" ", text or "").strip()
