"""Workspace names and class labels: what is accepted, and why.

A workspace name is how a student reaches their work (it is in the URL), so it is short, safe in a URL and never
a path. A label is data a student typed: any characters people write (emoji too), but nothing that makes two
labels look alike or a label look empty.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from tl_core.storage.errors import WorkspaceError

WORKSPACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")  # whole name (fullmatch): safe in a URL, never a path
MAX_LABEL_CHARS = 32  # a word or a short phrase; labels are data, never file names
GENERATED_NAME_BYTES = 12  # 96 random bits: 30 classes a day for a century never draw the same name twice


def validate_workspace_name(name: str) -> str:
    if not isinstance(name, str) or not WORKSPACE_NAME.fullmatch(name):  # "$" alone would let "a\n" through
        raise WorkspaceError("A workspace name is 1-40 letters, digits, '-' or '_', starting with a letter or digit.")
    return name


def new_workspace_name() -> str:
    return f"ws-{secrets.token_urlsafe(GENERATED_NAME_BYTES)}"


def validate_label(label: str, what: str = "A label", max_chars: int = MAX_LABEL_CHARS) -> str:
    """A clean class label: any characters people write (emoji too), no control characters, not too long.

    The same rules hold for what else people name (`what`, the start of each message): a student's display name,
    a class's name."""
    if not isinstance(label, str):
        raise WorkspaceError(f"{what} must be text.")
    label = unicodedata.normalize("NFC", label).strip()
    if not label:
        raise WorkspaceError(f"{what} cannot be empty.")
    if len(label) > max_chars:
        raise WorkspaceError(f"{what} has at most {max_chars} characters.")
    if any(unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") for char in label):
        raise WorkspaceError(f"{what} cannot contain control characters or line breaks.")
    # Invisible characters make two labels that look alike ("cat" and "cat" + zero-width space), a label that
    # looks empty (a Hangul filler alone) or one that reads backwards (a right-to-left override). Refused:
    # format characters (Unicode Cf) and the other default-ignorable or blank-looking code points, except a
    # joiner or an emoji presentation selector inside an emoji (👩‍💻, ❤️).
    if any(_invisible(char) and not _part_of_emoji(label, at) for at, char in enumerate(label)):
        raise WorkspaceError(f"{what} cannot contain invisible characters (such as zero-width spaces).")
    return label


_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")  # fillers, blank braille, CGJ
_VARIATION_SELECTORS = frozenset(chr(code) for code in [*range(0xFE00, 0xFE10), *range(0x180B, 0x1810)])


def _invisible(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) == "Cf"
        or char in _BLANK_LOOKING
        or char in _VARIATION_SELECTORS
        or 0xE0000 <= code <= 0xE0FFF  # tags and supplementary variation selectors
    )


def _part_of_emoji(label: str, at: int) -> bool:
    """Is label[at] a zero-width joiner between two pictographs, or a variation selector right after one?"""
    char, before = label[at], label[:at].rstrip("\ufe0f")[-1:]
    if char in ("\ufe0e", "\ufe0f"):
        return at > 0 and unicodedata.category(label[at - 1]) == "So"
    after = label[at + 1 : at + 2]
    return char == "\u200d" and unicodedata.category(before or "a") == "So" == unicodedata.category(after or "a")
