"""The lesson's share link: built on TL_PUBLIC_URL, loopback addresses flagged, the QR code decodes to it."""

from __future__ import annotations

import io

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from tl_core.markdown import escape_markdown
from ui.share import is_loopback, lesson_address, public_base, qr_png

QUERY = {"model": "compact-gap", "set": "hiragana", "shots": "5"}


def test_public_url_replaces_the_address_the_teacher_opened():
    address = lesson_address(QUERY, "http://192.168.1.20:8501/", "http://localhost:8501/lesson")
    assert address.url == "http://192.168.1.20:8501/lesson?model=compact-gap&set=hiragana&shots=5"
    assert address.problem is None


def test_public_url_under_a_path_prefix_keeps_it():
    address = lesson_address(QUERY, "https://school.example/studio", None)
    assert address.url.startswith("https://school.example/studio/lesson?")


@pytest.mark.parametrize(
    "opened",
    [
        "http://localhost:8501/lesson",
        "http://127.0.0.1:8501/lesson",
        "http://[::1]:8501/lesson",
        "http://0.0.0.0:8501/lesson",
        "http://127.1.2.3/lesson",
    ],
)
def test_a_loopback_address_is_kept_but_flagged(opened):
    address = lesson_address(QUERY, None, opened)
    assert address.url.startswith(opened + "?")
    assert address.problem is not None and "TL_PUBLIC_URL" in address.problem


def test_a_network_address_is_not_flagged():
    address = lesson_address(QUERY, None, "http://192.168.1.20:8501/lesson?workspace=mine")
    assert address.url == "http://192.168.1.20:8501/lesson?model=compact-gap&set=hiragana&shots=5"
    assert address.problem is None  # and this tab's own workspace is not in the link
    assert not is_loopback("https://lessons.school.example/lesson")
    assert not is_loopback("http://[not an address/lesson")  # unreadable: not known to be this computer


@pytest.mark.parametrize(
    "value",
    [
        "192.168.1.20:8501",
        "javascript:alert(1)",
        "ftp://host/",
        "http://",
        "http://host:port/",
        "http://host/?a=1",
        "http://host/#x",
        "http://[bad",
        "http://[Log in]/",
    ],
)
def test_a_malformed_public_url_is_ignored_with_a_reason(value):
    base, problem = public_base(value)
    assert base is None and "TL_PUBLIC_URL" in problem
    address = lesson_address(QUERY, value, "http://localhost:8501/lesson")
    assert address.url.startswith("http://localhost:8501/lesson?")
    assert "TL_PUBLIC_URL" in address.problem


def test_addresses_quoted_in_a_problem_read_literally():
    """The problem is shown as Markdown: an address with `[text](link)` in it must not become a link there."""
    crafted = "[Log in](http://ex.invalid)"
    ignored = lesson_address(QUERY, f"javascript:{crafted}", "http://192.168.1.20:8501/lesson").problem
    assert escape_markdown(repr(f"javascript:{crafted}")) in ignored and crafted not in ignored
    crafted = "**Log**in"  # in the address' user part (brackets there are not even a valid address)
    loopback = lesson_address(QUERY, None, f"http://{crafted}@localhost:8501/lesson").problem
    assert escape_markdown(f"{crafted}@localhost:8501") in loopback and crafted not in loopback


def test_qr_code_decodes_to_the_link():
    url = lesson_address(QUERY, "http://192.168.1.20:8501", None).url
    image = np.asarray(Image.open(io.BytesIO(qr_png(url))).convert("L"))
    decoded = zxingcpp.read_barcodes(image)
    assert [code.text for code in decoded] == [url]
