"""Japanese text on a machine with no Japanese font: the app's own font draws it (a real Chromium that sees
only Latin system fonts, through a fontconfig file of its own, as on a fresh Linux image or a lab PC)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path, wait_until_idle

pytestmark = pytest.mark.browser

SHIPPED_FAMILY = "Noto Sans CJK JP"  # the name inside static/fonts/NotoSansJP-*.woff2


@pytest.fixture(scope="module")
def bare_browser(playwright_driver, tmp_path_factory):
    """Chromium that sees only DejaVu and Liberation (Latin, Greek, Cyrillic): no system font has kana.

    Not *no* font at all: Chromium with an empty fontconfig rejects every CFF web font (Noto CJK is CFF)."""
    folder = tmp_path_factory.mktemp("latin-fonts")
    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
        "<dir>/usr/share/fonts/truetype/dejavu</dir><dir>/usr/share/fonts/truetype/liberation</dir>"
        f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>\n"
    )
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS, env={"FONTCONFIG_FILE": str(config)}
    )
    yield browser
    browser.close()


def rendered_fonts(page, selector: str) -> list[dict]:
    """The fonts Chromium really used for the text of the first element matching `selector` (through
    shadow roots), with how many glyphs each drew (CDP `CSS.getPlatformFontsForNode`)."""
    handle = page.locator(selector).first.element_handle()
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})
    page.evaluate("element => { window.__probe = element; }", handle)
    remote = cdp.send("Runtime.evaluate", {"expression": "window.__probe"})
    node = cdp.send("DOM.requestNode", {"objectId": remote["result"]["objectId"]})
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    cdp.detach()
    return fonts


def wait_for_shipped_font(page) -> None:
    page.wait_for_function(
        "() => [...document.fonts].some(f => f.family.replaceAll('\"', '') === 'Noto Sans JP'"
        " && f.status === 'loaded')",
        timeout=30_000,
    )
    page.wait_for_timeout(300)  # a frame to redraw with it


def test_hiragana_render_in_the_shipped_font(bare_browser, app_url, trained_workspace):
    page = bare_browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app_url}/collect?workspace={trained_workspace}")
    wait_until_idle(page)
    button = page.get_by_role("button", name="Add as あ")
    button.wait_for(timeout=60_000)

    # The control: this browser has no font of its own for hiragana.
    page.evaluate(
        "() => { const s = document.createElement('span'); s.id = 'control'; s.textContent = 'あいう';"
        " s.style.fontFamily = 'serif'; document.body.appendChild(s); }"
    )
    control = rendered_fonts(page, "#control")
    assert all(SHIPPED_FAMILY not in font["familyName"] for font in control), control

    # A button label and a chart's legend with hiragana, once the page's fonts have loaded.
    wait_for_shipped_font(page)
    for selector in ('button:has-text("Add as あ") p',):
        fonts = rendered_fonts(page, selector)
        assert any(font["familyName"] == SHIPPED_FAMILY and font["isCustomFont"] for font in fonts), (selector, fonts)
        assert all(font["isCustomFont"] for font in fonts), (selector, fonts)  # no glyph from anywhere else

    page.goto(f"{app_url}/inside?workspace={trained_workspace}")
    wait_until_idle(page)
    legend = page.locator(".js-plotly-plot .legendtext").first
    legend.wait_for(timeout=60_000)
    wait_for_shipped_font(page)
    fonts = rendered_fonts(page, ".js-plotly-plot .legendtext")
    assert any(font["familyName"] == SHIPPED_FAMILY for font in fonts), fonts
    page.close()
