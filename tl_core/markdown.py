"""Text from outside (the address, a label a student typed, an uploaded file) shown inside Markdown.

Streamlit renders Markdown in messages, captions and widget labels: `[Log in again](http://...)` from a
link would become a real link, `:red[...]` colour and `$...$` a formula. Every echoed value goes through
`escape_markdown` so it reads exactly as it was typed.

Backslashes are not enough: Streamlit turns bare addresses (`http://`, `www.`, `name@host`) into links and
`:material/...:` into icons *after* the escapes are resolved (measured in Chromium). An invisible word joiner
(U+2060) after every colon, after `www` and before `@` breaks those patterns without changing what is seen.
"""

from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be escaped with a backslash; these are the ones Markdown, GitHub
# extensions and Streamlit's own directives (":red[...]", ":material/...:", "$...$") give a meaning to.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&])")
_JOINER = "\u2060"
_LINK_STARTS = re.compile(r"(?i)(:|www(?=\\\.)|(?=@))")


def escape_markdown(text: object, max_chars: int | None = None) -> str:
    """`text` as literal Markdown (shortened to `max_chars` with an ellipsis first, when given)."""
    text = str(text)
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    text = " ".join(text.splitlines())  # a newline could start a heading or a list
    return _LINK_STARTS.sub(lambda match: match.group(1) + _JOINER, _SPECIAL.sub(r"\\\1", text))
