"""Property-based fuzzing of the lesson link parser (issue 13): whatever an address carries, `lesson_from_query`
gives a valid lesson inside every limit and a short message per value it did not take as it was, never an
exception; it does not touch its input, and it is quick. The Train page's reading (`keys=RUN_KEYS`) too."""

import copy
import math
import re
import time
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from tl_core.classroom.lesson import QUERY_KEYS, RUN_KEYS, SHOTS_LIMITS, Lesson, lesson_from_query, lesson_to_query
from tl_core.data.charsets import CHARSETS
from tl_core.markdown import escape_markdown
from tl_core.models.architectures import ARCHITECTURES
from tl_core.training.settings import LIMITS
from tl_core.training.transfer import STRATEGIES

FUZZ = settings(max_examples=400, deadline=500, derandomize=True, database=None)  # under a second each
MAX_MESSAGE_CHARS = 200  # the longest: 40 quoted characters and the list of character sets
MARKDOWN = r"\`*_{}[]()<>#+-.!|~:$&"  # what escape_markdown escapes: none may be left bare

NUMBERS = st.one_of(
    st.integers(-(10**400), 10**400).map(str),  # huge: beyond a float, beyond a C long
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: f"{x:.3e}"),
    st.sampled_from(
        [
            "nan",
            "-nan",
            "NaN",
            "inf",
            "-Infinity",
            "1e309",
            "-1e309",
            "1e-400",
            "0x10",
            "1_000",
            " 7 ",
            "５",
            "١٢",
            "+3",
            "-0",
            "2.5",
            "1e2",
            "",
            " ",
            "0.",
            ".5",
        ]
    ),
)
WORDS = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "[Log in again](http://example.invalid)",
            ":red[alarm]",
            "$x$",
            "**b**",
            "<b>x</b>",
            "a\nb",
            "\u202eevil",
            "\x00",
            "\U0001f642",
            "../../etc/passwd",
            "%00",
            "ws-abc",
        ]
    ),
    st.builds(lambda char, n: char * n, st.sampled_from("9a[\u202e\n"), st.integers(1000, 100_000)),  # very long
    st.sampled_from([*ARCHITECTURES, *CHARSETS, *STRATEGIES]),  # valid somewhere, maybe not under this key
)
VALUES = st.one_of(NUMBERS, WORDS)
KEYS = st.one_of(st.sampled_from([*QUERY_KEYS, "workspace", "present"]), st.text(max_size=12))


def lessons():
    """Any valid lesson, as a link would carry it."""
    numbers = {"shots": st.integers(*SHOTS_LIMITS)}
    for key, (where, declared) in QUERY_KEYS.items():
        if declared.choices is None and where.startswith("train."):
            low, high = declared.low, declared.high
            numbers[key] = st.integers(low, high) if declared.whole else st.floats(low, high)
    return st.builds(
        lambda model, charset, strategy, values: lesson_from_query(
            {"model": model, "set": charset, "strategy": strategy, **{k: str(v) for k, v in values.items()}}
        )[0],
        st.sampled_from(list(ARCHITECTURES)),
        st.sampled_from(list(CHARSETS)),
        st.sampled_from(list(STRATEGIES)),
        st.fixed_dictionaries(numbers),
    )


@st.composite
def mutated_links(draw):
    """A real lesson link with some values replaced, some removed and some keys added."""
    query = lesson_to_query(draw(lessons()))
    for key in draw(st.lists(st.sampled_from(list(QUERY_KEYS)), max_size=4)):
        query[key] = draw(VALUES)
    for key in draw(st.lists(st.sampled_from(list(QUERY_KEYS)), max_size=3)):
        query.pop(key, None)
    query.update(draw(st.dictionaries(KEYS, VALUES, max_size=3)))
    return query


QUERIES = st.one_of(st.dictionaries(KEYS, VALUES, max_size=12), mutated_links())


def check_outcome(query: dict[str, str], keys=None) -> tuple[Lesson, list[str]]:
    """The documented outcome of reading `query`, whatever it holds; returns it for further checks."""
    before = copy.deepcopy(query)
    started = time.perf_counter()
    lesson, problems = lesson_from_query(query, keys)
    assert time.perf_counter() - started < 0.05  # bounded: no value costs more than a glance
    assert query == before  # no state change: the address is only read
    assert isinstance(lesson, Lesson) and isinstance(problems, list)
    # a valid lesson, every number inside its limits and of its type
    assert lesson.model in ARCHITECTURES and lesson.charset in CHARSETS and lesson.train.strategy in STRATEGIES
    assert type(lesson.shots) is int and SHOTS_LIMITS[0] <= lesson.shots <= SHOTS_LIMITS[1]
    for name, (low, high) in LIMITS.items():
        value = getattr(lesson.train, name)
        assert type(value) is type(getattr(Lesson().train, name)) and math.isfinite(value) and low <= value <= high
    assert lesson_from_query(lesson_to_query(lesson)) == (lesson, [])  # what the page writes back is a clean link
    # one short, one-line message per value not taken as it was, naming its key; Markdown-safe once escaped
    read = [key for key in QUERY_KEYS if key in query and (keys is None or key in keys)]
    named = [problem.split("=", 1)[0].removeprefix("'") for problem in problems]
    assert len(set(named)) == len(named) and set(named) <= set(read)
    for problem in problems:
        assert isinstance(problem, str) and len(problem) <= MAX_MESSAGE_CHARS and problem.isprintable()
        bare = re.sub(r"\\.", "", escape_markdown(problem))
        assert not set(bare) & set(MARKDOWN), bare
    # a value without a message was used as it was
    used = lesson_to_query(lesson)
    for key in set(read) - set(named):
        where, declared = QUERY_KEYS[key]
        if declared.choices is None:
            assert float(query[key]) == float(used[key]), key
        else:
            assert query[key] == used[key], key
    # keys not read keep their defaults
    for key in set(QUERY_KEYS) - set(read):
        assert used[key] == lesson_to_query(Lesson())[key], key
    return lesson, problems


@FUZZ
@given(QUERIES)
def test_any_address_gives_a_valid_lesson_and_short_messages(query):
    check_outcome(query)


@FUZZ
@given(QUERIES)
def test_the_train_page_reads_only_its_own_keys(query):
    lesson, _ = check_outcome(query, RUN_KEYS)
    assert (lesson.charset, lesson.shots) == (Lesson().charset, Lesson().shots)


@FUZZ
@given(lessons())
def test_every_valid_lesson_survives_its_link(lesson):
    assert lesson_from_query(lesson_to_query(lesson)) == (lesson, [])
    assert lesson == replace(lesson, train=lesson.train.clamped())
