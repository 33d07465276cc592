"""Every page on the devices a class brings: a phone, a tablet in portrait, a desktop, in a real Chromium.

On each page at each size: no sideways scrolling, every canvas fully visible inside its column, and a drawing
made with real touch events (CDP `Input.dispatchTouchEvent`, as a finger sends them) reaches the app. The
tablet keeps the sidebar as it opens by default. On failure a screenshot of the whole page is kept in
`test-artifacts/devices/` (gitignored), named after the page and the size.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, wait_until_idle

pytestmark = pytest.mark.browser

ARTEFACTS = ROOT / "test-artifacts" / "devices"
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "tablet": {"viewport": {"width": 820, "height": 1180}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1400, "height": 1000}, "has_touch": True},
}
KA = [[(60, 110), (200, 100), (180, 230)], [(110, 50), (70, 240)], [(230, 80), (250, 170)]]  # roughly か
SEVEN = [[(60, 50), (220, 50), (120, 240)]]


def _reached_zoo(page) -> None:
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot .modebar-container").first.wait_for(state="attached")  # the probability chart


def _reached_collect(page) -> None:
    expect(page.get_by_role("button", name=re.compile(r"^Add as "))).to_be_enabled(timeout=30_000)


def _reached_train(page) -> None:
    page.locator('[data-testid="stMetric"]', has_text="Transfer").wait_for(timeout=60_000)


def _reached_star(page) -> None:
    page.locator(".js-plotly-plot .annotation-text", has_text="your drawing").first.wait_for(timeout=60_000)


# page -> (what to draw, how to tell that the drawing reached the app)
PAGES = {
    "zoo": (SEVEN, _reached_zoo),
    "collect": (KA, _reached_collect),
    "train": (KA, _reached_train),
    "inside": (KA, _reached_star),
    "lesson": (KA, _reached_star),
}


def touch_strokes(page, canvas, strokes) -> None:
    """Draw with a finger: real touch events at the canvas' place on the screen."""
    cdp = page.context.new_cdp_session(page)
    box = canvas.bounding_box()
    for stroke in strokes:
        points = [{"x": box["x"] + x, "y": box["y"] + y} for x, y in stroke]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]})
        for start, end in zip(points, points[1:], strict=False):
            for step in range(1, 7):
                x = start["x"] + (end["x"] - start["x"]) * step / 6
                y = start["y"] + (end["y"] - start["y"]) * step / 6
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def canvas_problems(page) -> list[str]:
    """Every canvas that is not wholly inside its column and the screen's width."""
    canvases = page.locator("canvas.upper-canvas")  # inside the component's shadow root: locators pierce it
    if canvases.count() == 0:
        return ["no canvas on the page"]
    return canvases.evaluate_all(
        """canvases => canvases.flatMap((canvas, index) => {
        const up = e => e.parentElement || (e.getRootNode() && e.getRootNode().host);
        let column = canvas;
        const isColumn = e => e.dataset && ["stColumn", "stMain"].includes(e.dataset.testid);
        while (column && !isColumn(column)) column = up(column);
        const box = canvas.getBoundingClientRect(), own = column.getBoundingClientRect();
        const problems = [];
        if (box.left < own.left - 0.5 || box.right > own.right + 0.5)
            problems.push(`canvas ${index} at ${box.left}-${box.right} overflows its column ${own.left}-${own.right}`);
        if (box.left < 0 || box.right > window.innerWidth)
            problems.push(`canvas ${index} at ${box.left}-${box.right} is partly off screen`);
        let clip = up(canvas);
        while (clip && clip !== column) {
            const style = getComputedStyle(clip), rect = clip.getBoundingClientRect();
            if (style.overflowX !== "visible" && (box.left < rect.left - 0.5 || box.right > rect.right + 0.5))
                problems.push(`canvas ${index} is clipped by a ${rect.width}px ${clip.className || clip.tagName}`);
            clip = up(clip);
        }
        return problems;
    })"""
    )


def cut_off_controls(page) -> list[str]:
    """Rows of options (segmented controls) wider than what shows of them, or than their column."""
    return page.locator('[data-testid="stButtonGroup"]').evaluate_all(
        """groups => groups.flatMap((group, index) => {
        const box = group.getBoundingClientRect();
        const column = group.closest('[data-testid="stColumn"]') || group.closest('[data-testid="stMain"]');
        const own = column.getBoundingClientRect();
        const widest = Math.max(...[...group.querySelectorAll('button')].map(b => b.getBoundingClientRect().right));
        return widest > own.right + 0.5 || group.scrollWidth > group.clientWidth + 0.5 || box.right > window.innerWidth
            ? [`options ${index} (${group.innerText.replaceAll('\\n', ' ')}) end at ${widest}, column at ${own.right}`]
            : [];
    })"""
    )


def wider_than_screen(page) -> list[str]:
    """Columns reaching past the screen's right edge (the main area clips them, so the page does not scroll)."""
    return page.locator('[data-testid="stColumn"]').evaluate_all(
        """columns => columns.flatMap(column => {
        const box = column.getBoundingClientRect();
        return box.width > 0 && box.right > window.innerWidth + 0.5
            ? [`a column ends at ${Math.round(box.right)} px: ${column.innerText.slice(0, 40)}`]
            : [];
    })"""
    )


@pytest.fixture
def device(browser, request):
    size = request.param
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    yield size, page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTEFACTS / f"{request.node.callspec.params['page_name']}-{size}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failed page: {shot}")
    context.close()


@pytest.mark.parametrize("device", list(SIZES), indirect=True)
@pytest.mark.parametrize("page_name", list(PAGES))
def test_canvas_fits_and_touch_drawing_arrives(device, page_name, app_url, trained_workspace):
    size, page = device
    strokes, reached = PAGES[page_name]
    path = "" if page_name == "zoo" else page_name  # the zoo is the default page, at the root
    page.goto(f"{app_url}/{path}?workspace={trained_workspace}")
    wait_until_idle(page)
    page.locator("canvas.upper-canvas").first.wait_for(timeout=60_000)
    wait_until_idle(page)

    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page_name} scrolls sideways at {size}: {width[0]} px of {width[1]}"
    assert canvas_problems(page) == [], f"{page_name} at {size}"
    assert cut_off_controls(page) == [], f"{page_name} at {size}"

    canvas = page.locator("canvas.upper-canvas").first
    canvas.scroll_into_view_if_needed()
    touch_strokes(page, canvas, strokes)
    reached(page)
    wait_until_idle(page)  # what the drawing brought (an answer, its options) must fit as well
    assert wider_than_screen(page) == [], f"{page_name} at {size}, after drawing"
    assert cut_off_controls(page) == [], f"{page_name} at {size}, after drawing"
    if size != "desktop":  # no hover on a touch screen: plotly's mode bar would sit over the charts for good
        wait_until_idle(page)  # the frame's CSS is re-sent with every run
        bars = page.locator(".js-plotly-plot .modebar-container")
        page.wait_for_function(
            """() => [...document.querySelectorAll('.js-plotly-plot .modebar-container')]
                .every(bar => getComputedStyle(bar).display === 'none')""",
            timeout=15_000,
        )
        assert page_name != "zoo" or bars.count() > 0  # the zoo's prediction chart has one


def test_sample_gallery_reads_in_label_order_on_a_phone(browser, app_url, trained_workspace):
    context = browser.new_context(**SIZES["phone"])
    page = context.new_page()
    page.goto(f"{app_url}/collect?workspace={trained_workspace}")
    page.get_by_text("Your samples").wait_for(timeout=60_000)
    wait_until_idle(page)
    cells = page.locator('[data-testid="stMarkdownContainer"] p').filter(has_text=re.compile(r"^\S+ · \d+$"))
    placed = cells.evaluate_all(
        "ps => ps.map(p => { const r = p.getBoundingClientRect(); return [Math.round(r.top), r.left, p.innerText]; })"
    )
    reading_order = [text.split(" · ")[0] for _, _, text in sorted(placed)]
    assert reading_order[:12] == list("あいうえおかきくけこさし"), reading_order[:12]
    assert len({left for _, left, _ in placed}) >= 2  # two cells across, not one long column
    context.close()


def test_phone_menu_closes_after_tapping_a_page(browser, app_url):
    context = browser.new_context(**SIZES["phone"])
    page = context.new_page()
    page.goto(f"{app_url}/?workspace=browser-phone-menu")
    wait_until_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    page.locator('[data-testid="stExpandSidebarButton"]').tap()
    expect(sidebar).to_have_js_property("offsetLeft", 0, timeout=10_000)  # the drawer is open over the page
    page.get_by_role("link", name="Collect samples").tap()
    page.get_by_role("heading", name="Collect samples").wait_for(timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().right <= 0",
        timeout=10_000,
    )
    assert "workspace=browser-phone-menu" in page.url
    context.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_zoo_canvas_comes_before_the_model_cards(browser, app_url, size):
    """The first thing to do is draw: the canvas starts on the first screen, not after the cards."""
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    page.goto(app_url)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    wait_until_idle(page)
    box, height = canvas.bounding_box(), SIZES[size]["viewport"]["height"]
    if size == "desktop":
        assert box["y"] + box["height"] <= height, box  # wholly above the fold
    else:
        assert box["y"] < height * 0.8, box  # begins on the first screen
    context.close()


def test_on_a_phone_the_presenter_view_keeps_the_page_links(browser, app_url):
    """On a phone the page links live in the sidebar drawer; the presenter view once hid the sidebar, and with it
    the only way to another page."""
    context = browser.new_context(**SIZES["phone"])
    page = context.new_page()
    page.goto(f"{app_url}/lesson?workspace=browser-phone-presenter&present=1")
    wait_until_idle(page)
    page.locator('[data-testid="stExpandSidebarButton"]').tap()
    link = page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Look inside")
    expect(link).to_be_visible(timeout=10_000)  # a hidden sidebar (display: none) fails here
    link.tap()
    page.get_by_role("heading", name="Look inside").wait_for(timeout=30_000)
    context.close()
