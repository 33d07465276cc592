"""Outside text shown in Markdown reads as typed: no links, icons, colours or formulas from a value."""

import html
import re

import pytest
from markdown_it import MarkdownIt

from tl_core.markdown import escape_markdown

RENDER = MarkdownIt("commonmark")  # the CommonMark core Streamlit's renderer shares (links, images, emphasis)
JOINER = "\u2060"


@pytest.mark.parametrize(
    "text",
    [
        "[Log in again](http://example.invalid)",
        "![x](http://example.invalid/a.png)",
        "<a href='//e.vil'>x</a>",
        "**bold** _it_ `code`",
        "# heading",
        "- list\n1. item",
        "<http://example.invalid>",
    ],
)
def test_markup_in_outside_text_is_shown_as_its_characters(text):
    rendered = RENDER.render(escape_markdown(text))
    assert not re.search(r"<(a|img|strong|em|code|h\d|ul|ol|li)\b", rendered), rendered
    visible = html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace(JOINER, "").strip()
    assert visible == " ".join(text.splitlines())


@pytest.mark.parametrize(
    "text", ["http://example.invalid", "HTTPS://EXAMPLE.INVALID/x", "www.example.invalid", "teacher@example.invalid"]
)
def test_bare_addresses_are_broken_by_an_invisible_joiner_so_nothing_links_them(text):
    """Streamlit links bare addresses after escapes are resolved (seen in Chromium); a joiner stops that."""
    escaped = escape_markdown(text)
    assert escaped.replace("\\", "").replace(JOINER, "") == text
    plain = escaped.replace("\\", "")
    assert "://" not in plain and not re.search(r"(?i)www\.", plain) and not re.search(r"\w@", plain)


def test_streamlit_directives_lose_their_meaning_but_not_their_characters():
    for directive in (":material/home:", ":red[alarm]", "$x^2$", ":smile:"):
        escaped = escape_markdown(directive)
        assert escaped.replace("\\", "").replace(JOINER, "") == directive
        assert not re.search(r":[a-z/_]+:", escaped.replace("\\", ""))  # a joiner sits after each colon


def test_long_values_are_shortened_with_an_ellipsis_and_kept_on_one_line():
    assert escape_markdown("x" * 100, max_chars=10) == "x" * 9 + "…"
    assert "\n" not in escape_markdown("a\n# b\r\nc")
