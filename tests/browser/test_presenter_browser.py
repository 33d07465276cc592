"""The lesson on a projector (1920x1080, presenter view), in a real Chromium: a share link students can open,
with a QR code that decodes to it, and text readable from the back of the room."""

from __future__ import annotations

import re

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from tests.browser.conftest import PUBLIC_URL, wait_until_idle

pytestmark = pytest.mark.browser

MIN_CONTRAST = 4.5  # WCAG AA for text


def contrast_on_white(colour: str) -> float:
    """WCAG contrast ratio of an `rgb(r, g, b)` colour against white."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_presenter_view_shares_a_scannable_public_link(browser, app_url, tmp_path):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(f"{app_url}/lesson?present=1")
    wait_until_idle(page)
    qr = page.locator('[data-testid="stImage"]', has_text="Scan to open the lesson").locator("img")
    qr.wait_for(timeout=60_000)
    qr.scroll_into_view_if_needed()
    wait_until_idle(page)

    shot = tmp_path / "qr.png"
    qr.screenshot(path=str(shot))
    decoded = [code.text for code in zxingcpp.read_barcodes(np.asarray(Image.open(shot).convert("L")))]
    assert len(decoded) == 1 and decoded[0].startswith(f"{PUBLIC_URL}/lesson?"), decoded
    assert "model=compact-gap" in decoded[0] and "workspace=" not in decoded[0]  # students get workspaces of their own
    link = page.locator(f'a[href="{decoded[0]}"]')
    assert link.inner_text() == decoded[0]
    assert float(link.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 30  # 14 px before

    # Picture captions, read from the back of the room (16 px before).
    captions = page.locator('[data-testid="stImageCaption"]')
    assert captions.count() > 0
    sizes = captions.evaluate_all("es => es.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= 20, sizes

    # Grey captions too (they carry results such as "Transfer reached scratch's final 76% after 0.4 s").
    small = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').evaluate_all(
        "es => es.map(e => [parseFloat(getComputedStyle(e.querySelector('p') || e).fontSize), e.innerText])"
        ".filter(([size]) => size < 18)"
    )
    assert small == [], small

    # Chart text on white: at least WCAG's 4.5:1 (Streamlit's theme draws it #808495, 3.7:1).
    colours = page.locator(".js-plotly-plot .xtick text, .js-plotly-plot .ytick text, .js-plotly-plot .legendtext")
    assert colours.count() > 0
    fills = set(colours.evaluate_all("es => es.map(e => getComputedStyle(e).fill)"))
    assert all(contrast_on_white(fill) >= MIN_CONTRAST for fill in fills), fills
    context.close()
