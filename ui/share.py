"""The lesson's share link, made for a projector: large, with a QR code, and an address students can open.

A teacher often opens the app as `http://localhost:8501`: a link built from that reaches no student. So the
link is built from `TL_PUBLIC_URL` when the server sets it (the address students use, e.g.
`http://192.168.1.20:8501` or `https://lessons.school.example`), and otherwise from the address this browser
opened, with a warning when that address is a loopback one.
"""

from __future__ import annotations

import io
import ipaddress
import os
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode, urlsplit

import streamlit as st

from tl_core.markdown import escape_markdown

PUBLIC_URL_VARIABLE = "TL_PUBLIC_URL"
LESSON_PATH = "lesson"  # the lesson page's url_path (app.py)
QR_SCALE = 8  # px per QR module: about 300 px for a lesson link, readable by a phone across a classroom
QR_BORDER = 4  # modules of quiet zone, as the QR standard asks
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


@dataclass(frozen=True)
class ShareAddress:
    url: str  # the whole link students open
    problem: str | None = None  # why students may not reach it, for the teacher (Markdown); None when fine


def public_base(value: str | None) -> tuple[str | None, str | None]:
    """`TL_PUBLIC_URL` checked: (base without a trailing slash, None) or (None, why it was ignored)."""
    if not value:
        return None, None
    try:
        parts = urlsplit(value.strip())
        hostname = parts.hostname  # raises on a malformed bracketed host ("http://[bad")
    except ValueError:
        parts, hostname = None, None
    if parts is None or parts.scheme not in ("http", "https") or not hostname or parts.query or parts.fragment:
        return None, f"{PUBLIC_URL_VARIABLE}={_quoted(value)} is not an http(s) address like http://192.168.1.20:8501"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return None, f"{PUBLIC_URL_VARIABLE}={_quoted(value)} has an invalid port"
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}", None


def _quoted(value: str) -> str:
    """A value quoted in a problem, which is Markdown: it reads as typed (`[a](b)` is not a link)."""
    return escape_markdown(repr(value))


def is_loopback(url: str) -> bool:
    """True when `url` points at the computer it is opened on (localhost, 127.x, ::1, 0.0.0.0)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:  # a malformed bracketed host: not known to be this computer
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def lesson_address(query: dict[str, str], public_url: str | None, opened_url: str | None) -> ShareAddress:
    """The lesson link for `query`: on `public_url` when it is valid, else on the address this tab opened."""
    base, problem = public_base(public_url)
    if base is not None:
        return ShareAddress(f"{base}/{LESSON_PATH}?{urlencode(query)}")
    opened = (opened_url or "").split("?")[0]
    url = f"{opened}?{urlencode(query)}"
    if opened and is_loopback(opened):
        problem = (
            f"This link uses {escape_markdown(urlsplit(opened).netloc)}, which means *this computer*: students' "
            "devices cannot open it. Open the app by this computer's network address instead, or start the server "
            f"with `{PUBLIC_URL_VARIABLE}=http://ADDRESS:PORT` (the address students use)."
        )
    return ShareAddress(url, problem)


def qr_png(url: str) -> bytes:
    """The QR code of `url` as a PNG (segno: error correction level M, the library's default)."""
    import segno

    buffer = io.BytesIO()
    segno.make_qr(url).save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def share_block(query: dict[str, str], present: bool) -> ShareAddress:
    """Show the lesson link large, with its QR code, and say when students could not open it."""
    address = lesson_address(query, os.environ.get(PUBLIC_URL_VARIABLE), st.context.url)
    if address.problem:
        st.warning(address.problem, icon=":material/wifi_off:")
    size = "2.1rem" if present else "1.25rem"
    link, code = st.columns([3, 2], vertical_alignment="center")
    link.html(
        f'<a href="{escape(address.url)}" style="font-size:{size};font-weight:600;overflow-wrap:anywhere;'
        f'line-height:1.35">{escape(address.url)}</a>'
    )
    code.image(qr_png(address.url), caption="Scan to open the lesson", width=360 if present else 240)
    return address
