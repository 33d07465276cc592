"""The frame's CSS: what makes every page usable on a phone, a tablet in portrait and a projector.

Streamlit lays pages out for a desktop; these rules fix what a class's devices showed (issue 12), for every
page at once, so pages stay plain Streamlit:

- a column that holds a drawing canvas is never narrower than the canvas (280 px): its row wraps instead,
  so a tablet with the sidebar open shows the whole canvas and no stroke starts in a hidden half;
- likewise, where columns sit side by side, a column holding a segmented control (a row of options) is never
  narrower than the whole row (on a tablet the Train page's third strategy was cut to "fine-tune-al"); on a
  phone, where columns stack, and wherever a line is too narrow, the options wrap onto a second line;
- nothing makes the page scroll sideways;
- plotly's mode bar is hidden on touch screens, where it has no hover to hide behind and covers the top
  bar of a chart and its title;
- on a phone, where the page links live in a sidebar drawer, tapping a link closes the drawer (it stayed
  open over the new page);
- chart text is dark enough to read on a projector (Streamlit's chart theme draws it in #808495 on white,
  3.7:1; WCAG asks 4.5:1 for text).
"""

from __future__ import annotations

import streamlit as st

from ui.canvas import CANVAS_KEY_PREFIX, CANVAS_SIDE

# A row of options whose widget key starts so may wrap onto more lines and never widens its column (the zoo's
# ten digits under an answer: kept whole, they pushed a phone's answer column past the screen).
WRAPPING_OPTIONS_KEY_PREFIX = "wrapping-options-"
# Streamlit stacks columns (each full width) on screens narrower than this; there a row of options wraps rather
# than hold its column wider than the phone (the lesson's strategies were 442 px on a 390 px screen).
COLUMNS_STACK_BELOW_PX = 640

CHART_TEXT_COLOUR = "#4b4e5a"  # 8.3:1 on white; Streamlit's text is #31333F, the axes stay a little lighter
CANVAS_COLUMN_MIN_PX = CANVAS_SIDE + 4  # the canvas and its 2 px border on each side

_FRAME_CSS = f"""
<style>
/* A canvas' column wraps to its own line rather than clip the canvas. */
[data-testid="stHorizontalBlock"]:has(.stElementContainer[class*="st-key-{CANVAS_KEY_PREFIX}"]) {{
  flex-wrap: wrap;
}}
[data-testid="stColumn"]:has(.stElementContainer[class*="st-key-{CANVAS_KEY_PREFIX}"]) {{
  min-width: {CANVAS_COLUMN_MIN_PX}px;
}}
[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stButtonGroup"]) {{
  flex-wrap: wrap;
}}
@media (min-width: {COLUMNS_STACK_BELOW_PX}px) {{  /* below, Streamlit stacks columns full width: wrap instead */
  [data-testid="stColumn"]:has([data-testid="stButtonGroup"]):not(:has([class*="st-key-{WRAPPING_OPTIONS_KEY_PREFIX}"]))
  {{ min-width: max-content; }}
}}
[data-testid="stButtonGroup"] div:has(> button) {{ flex-wrap: wrap; }}  /* and on a phone, onto two lines */
@media (hover: none) {{ .js-plotly-plot .modebar-container {{ display: none !important; }} }}
.js-plotly-plot .xtick text, .js-plotly-plot .ytick text, .js-plotly-plot .g-xtitle text,
.js-plotly-plot .g-ytitle text, .js-plotly-plot .legendtext, .js-plotly-plot .gtitle,
.js-plotly-plot .cbtitle text, .js-plotly-plot .cbaxis text {{
  fill: {CHART_TEXT_COLOUR} !important;
}}
</style>
"""

# Only a phone shows the page links in the sidebar (app.py puts them at the top); a tap on one closes it.
# Constant code, no user input in it; registered once per browser tab.
_CLOSE_DRAWER_ON_NAVIGATION = """
<script>
if (!window.tlClosesDrawerOnNavigation) {
  window.tlClosesDrawerOnNavigation = true;
  document.addEventListener("click", (event) => {
    if (!event.target.closest('[data-testid="stSidebarNavLink"]')) return;
    setTimeout(() => {
      const close = document.querySelector('[data-testid="stSidebarHeader"] button');
      if (close) close.click();
    }, 100);
  }, true);
}
</script>
"""


def responsive_frame() -> None:
    """Add the frame's CSS and behaviour to this run's page (called by the entry point, before the page)."""
    st.html(_FRAME_CSS + _CLOSE_DRAWER_ON_NAVIGATION, unsafe_allow_javascript=True)
