"""In a real Chromium: a teacher creates a class on the lesson page and opens its class page; three students open
the share link, join with a name and train; the teacher's page, never reloaded, shows them join, wait and train,
then their three rows and the class's summary."""

import itertools
import re
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PUBLIC_URL, wait_until_idle
from tl_core.classroom.lesson import Lesson, lesson_to_query
from tl_core.storage.school_classes import SchoolClasses
from tl_core.storage.workspace import DB_FILE, WorkspaceStore
from tl_core.training.settings import TrainSettings

pytestmark = pytest.mark.browser

TEACHER = "class-browser-teacher"
CLASS_NAME = "Period 3"
STUDENTS = ("Ana", "Bo", "Zoë")  # the names they pick; their workspaces are class-browser-student-N
LESSON = Lesson(shots=1, train=TrainSettings(epochs=3))  # the default model and characters: seconds per training
STATES = ("collecting", "waiting", "training", "done", "stopped")
COUNTS = re.compile(rf"^\d+ ({'|'.join(STATES)})( · \d+ ({'|'.join(STATES)}))*$", re.MULTILINE)  # "**1** waiting · …"
WHERE = re.compile(  # every status the teacher may see while the students train this lesson, and nothing else
    r"collecting: nothing trained yet|waiting: number \d+ in line|waiting: paused for a shorter job"
    r"|training (transfer|scratch): epoch [0-3]/3|done \(1 run\)"
)
SUMMARY = re.compile(r"Transfer beat scratch in \d of 3 runs; median gain [+-]\d\.\d\d")
NO_RELOAD = "window.__classPageNeverReloaded"  # set on the teacher's page once open: a reload would drop it

# The teacher's page, read in one go: its text, and the cells of each table's accessible copy (st.dataframe draws
# on a canvas; glide data grid keeps an off-screen <table> of the visible cells for screen readers).
SNAPSHOT = """() => ({
    text: document.querySelector('[data-testid="stMain"]').innerText,
    tables: [...document.querySelectorAll('[data-testid="stDataFrame"] canvas table')].map(
        table => [...table.querySelectorAll('tr')].map(
            row => [...row.querySelectorAll('th, td')].map(cell => cell.textContent)
        )
    ),
    exceptions: document.querySelectorAll('[data-testid="stException"]').length,
})"""


def teacher_view(page) -> dict:
    """What the class page shows now: students, counts, each student's status, results, their rows, summary."""
    shown = page.evaluate(SNAPSHOT)
    text = shown["text"]
    students = re.search(r"Students \((\d+)\)", text)
    results = re.search(r"Results \((\d+) finished runs?\)", text)
    counts = COUNTS.search(text)
    summary = SUMMARY.search(text)
    tables = {table[0][1]: table[1:] for table in shown["tables"] if table and len(table[0]) > 1}  # by 2nd column
    return {
        "students": int(students.group(1)) if students else None,
        "counts": counts.group(0) if counts else None,
        "where": {row[0]: row[1] for row in tables.get("where", [])},  # the statuses: student, where
        "results": int(results.group(1)) if results else None,
        "rows": sorted(row[0] for row in tables.get("model", [])),  # the results: student, model, ...
        "summary": summary.group(0) if summary else None,
        "exceptions": shown["exceptions"] + text.count("Traceback"),
    }


def watch(page, until, what: str, seconds: float = 30) -> list[dict]:
    """Every different view of the teacher's page (never reloaded: its live part refreshes itself every 2 s), from
    now until `until(view)` holds."""
    seen = [teacher_view(page)]
    deadline = time.monotonic() + seconds
    while not until(seen[-1]):
        assert time.monotonic() < deadline, f"the teacher's page never showed {what}: {seen[-1]}"
        page.wait_for_timeout(250)
        view = teacher_view(page)
        if view != seen[-1]:
            seen.append(view)
    assert not any(view["exceptions"] for view in seen), seen
    return seen


def create_the_class(page, app_url) -> tuple[str, str]:
    """The teacher creates the class at the foot of the lesson page and opens its class page: (code, share link)."""
    page.goto(f"{app_url}/lesson?{urlencode(lesson_to_query(LESSON) | {'workspace': TEACHER})}")
    name = page.get_by_label("Teach it as a class: the class's name")
    name.wait_for(timeout=120_000)
    wait_until_idle(page)
    name.fill(CLASS_NAME)
    page.get_by_role("button", name="Create the class").click()
    open_class = page.get_by_role("link", name=f"Open the class page of {CLASS_NAME}")
    open_class.wait_for(timeout=60_000)
    wait_until_idle(page)
    link = page.locator(f'a[href^="{PUBLIC_URL}/lesson?"]').last.get_attribute("href")
    code = dict(parse_qsl(urlsplit(link).query)).get("class")
    assert code and "workspace" not in link, link  # the class travels in the link, the teacher's workspace not
    open_class.click()
    expect(page.get_by_role("heading", name=f"Class: {CLASS_NAME}")).to_be_visible(timeout=60_000)
    return code, link


def open_as_student(browser, app_url, link: str, index: int):
    """A student's own browser on the share link, with a seed of their own (the same lesson would be one training
    shared by the three)."""
    query = dict(parse_qsl(urlsplit(link).query)) | {
        "seed": str(index + 1),
        "workspace": f"class-browser-student-{index}",
    }
    student = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    student.goto(f"{app_url}/lesson?{urlencode(query)}")
    return student


def test_the_teacher_sees_three_students_join_train_and_finish_without_reloading(browser, page, app_url, app_data_dir):
    code, link = create_the_class(page, app_url)
    assert f"class={code}" in page.url and f"workspace={TEACHER}" in page.url, page.url
    (made,) = SchoolClasses(WorkspaceStore(app_data_dir / DB_FILE)).of_teacher(TEACHER)
    assert (made.code, made.name) == (code, CLASS_NAME)
    expect(page.get_by_text("Manage the class")).to_be_visible()  # the teacher's rights came along
    watch(page, lambda view: view["students"] == 0 and view["results"] == 0, "an empty class")
    expect(page.get_by_text("Nobody yet.")).to_be_visible()
    page.evaluate(f"{NO_RELOAD} = true")

    students = [open_as_student(browser, app_url, link, index) for index in range(len(STUDENTS))]
    try:
        for index, (student, name) in enumerate(zip(students, STUDENTS, strict=True)):
            field = student.get_by_label("Your name in the class")
            field.wait_for(timeout=120_000)
            wait_until_idle(student)
            field.fill(name)
            student.get_by_role("button", name="Join the class").click()
            expect(student.get_by_text(f"You are in {CLASS_NAME} as {name}.")).to_be_visible(timeout=60_000)
            joined = STUDENTS[: index + 1]
            watch(
                page,
                lambda view, joined=joined: view["students"] == len(joined) and sorted(view["where"]) == sorted(joined),
                f"Students ({len(joined)})",
            )
        collecting = dict.fromkeys(STUDENTS, "collecting: nothing trained yet")
        watch(page, lambda view: view["counts"] == "3 collecting" and view["where"] == collecting, "3 collecting")

        for student in students:
            wait_until_idle(student)
        for student in students:  # as close together as three students can click: one trains, the others wait
            student.get_by_role("button", name="Train both models").click()
        seen = watch(
            page,
            lambda view: (
                view["counts"] == "3 done"
                and set(view["where"].values()) == {"done (1 run)"}
                and view["results"] == 3
                and len(view["rows"]) == 3
                and view["summary"]
            ),
            "3 finished runs",
            seconds=240,
        )
    finally:
        for student in students:
            student.context.close()

    assert page.evaluate(NO_RELOAD) is True  # everything arrived on the page the teacher opened at the start
    states = {state for view in seen for state in STATES if re.search(rf"\d {state}", view["counts"] or "")}
    assert {"waiting", "training", "done"} <= states and "stopped" not in states, seen
    for name in STUDENTS:  # each student's status as the teacher saw it change
        changes = [
            where for where, _ in itertools.groupby(view["where"][name] for view in seen if name in view["where"])
        ]
        assert all(WHERE.fullmatch(where) for where in changes), (name, changes)
        assert changes[0] == "collecting: nothing trained yet" and changes[-1] == "done (1 run)", (name, changes)
        assert "collecting: nothing trained yet" not in changes[1:] and "done (1 run)" not in changes[:-1], (
            name,
            changes,
        )
    results = [count for count, _ in itertools.groupby(view["results"] for view in seen if view["results"] is not None)]
    assert results[0] == 0 and results[-1] == 3 and results == sorted(results), results  # rows came as they finished
    view = seen[-1]
    assert view["where"] == dict.fromkeys(STUDENTS, "done (1 run)"), view
    assert view["rows"] == sorted(STUDENTS), view  # one row per student's run
    assert view["summary"], view
    expect(page.get_by_role("heading", name="Results (3 finished runs)")).to_be_visible()
    expect(page.get_by_text(SUMMARY)).to_be_visible()
    expect(page.get_by_role("heading", name="Students (3)")).to_be_visible()
    counts = page.locator('[data-testid="stMain"] p').filter(has_text=re.compile(r"^3 done$"))
    expect(counts.locator("strong")).to_have_text("3")  # "**3** done": the number in bold
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
