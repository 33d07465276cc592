"""In a real Chromium: two app servers share one PostgreSQL database and one Ray cluster (issue 16), as a school
runs them behind a proxy with sticky sessions. Student A on server 1 and student B on server 2 press Train on
the same lesson and join one training; server 1 is stopped mid-training, and A, reloading on server 2, finds
their workspace (made on server 1), their running training and then its curves. Both are in one class, whose
page a teacher watches on server 2 (issue 17): it sees both join, train and finish, whatever server they are on."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import running_app, wait_until_idle
from tl_core.classroom.local_ray import LOOPBACK_ONLY, ray_cluster
from tl_core.storage.school_classes import SchoolClasses
from tl_core.storage.workspace import WorkspaceStore
from tl_core.training.results import ComparisonSummary

pytestmark = pytest.mark.browser

# The default lesson with more epochs, so that a server can be stopped while it trains (~20 s here).
LESSON = "set=hiragana&shots=5&strategy=feature-extraction&epochs=60&seed=4"
VERDICT = re.compile(r"^Transfer (helped|bought no accuracy|hurt)")
SHARED = re.compile(r"shared with 1 other who asked for the same lesson")
TRAINING = re.compile(r"(transfer|scratch): epoch \d+/60")


@pytest.fixture
def school(postgres_server, tmp_path):
    """Two app servers on one database and one Ray cluster; yields their URLs and the database's."""
    database = postgres_server.new_database()
    with ray_cluster(cpus=2) as cluster:
        settings = {"TL_DATABASE_URL": database, "TL_RAY_ADDRESS": cluster.address, **LOOPBACK_ONLY}
        (tmp_path / "one").mkdir()
        (tmp_path / "two").mkdir()  # each server its own TL_DATA_DIR: the workspaces are in neither
        with running_app(tmp_path / "two", settings) as second:
            first = running_app(tmp_path / "one", settings)
            yield first, second, database


def test_students_on_two_servers_share_a_training_and_one_survives_their_server_stopping(browser, school):
    first_server, second, database = school
    code = SchoolClasses(WorkspaceStore(database)).create("school-teacher", "School class").code
    contexts = [browser.new_context(viewport={"width": 1300, "height": 900}) for _ in range(3)]
    alice, bob, teacher = (context.new_page() for context in contexts)
    teacher.goto(f"{second}/class?class={code}&workspace=school-teacher")
    counts = teacher.locator('[data-testid="stMain"] p')  # "**2** training": the class's counts line
    try:
        with first_server as first:
            alice.goto(f"{first}/lesson?workspace=school-alice&class={code}&{LESSON}")
            bob.goto(f"{second}/lesson?workspace=school-bob&class={code}&{LESSON}")
            for student, name in ((alice, "Alice"), (bob, "Bob")):
                expect(student.get_by_label("Epochs", exact=True)).to_have_value("60", timeout=120_000)
                wait_until_idle(student)
                student.get_by_label("Your name in the class").fill(name)
                student.get_by_role("button", name="Join the class").click()
                expect(student.get_by_text(f"You are in School class as {name}.")).to_be_visible(timeout=60_000)
                wait_until_idle(student)
            expect(teacher.get_by_role("heading", name="Students (2)")).to_be_visible(timeout=30_000)
            alice.get_by_role("button", name="Train both models").click()
            expect(alice.get_by_text(TRAINING).first).to_be_visible(timeout=180_000)
            bob.get_by_role("button", name="Train both models").click()  # on the other server: joins
            for student in (alice, bob):
                expect(student.get_by_text(SHARED)).to_be_visible(timeout=60_000)
            assert not alice.get_by_text(VERDICT).count()  # still training when its server goes
            # The teacher's page on server 2 sees the training Alice started on server 1, and Bob in it.
            expect(counts.filter(has_text=re.compile(r"^2 training$"))).to_be_visible(timeout=30_000)
        # Server 1 is gone; A reloads on server 2 (the proxy's next choice) with the same address.
        alice.goto(f"{second}/lesson?workspace=school-alice&{LESSON}")
        expect(alice.get_by_text(TRAINING).or_(alice.get_by_text(VERDICT)).first).to_be_visible(timeout=60_000)
        for student in (alice, bob):
            expect(student.get_by_text(VERDICT).first).to_be_visible(timeout=240_000)
            curves = student.locator(".js-plotly-plot .legendtext")  # the learning curves' legends
            expect(curves.filter(has_text="transfer").first).to_be_visible()
            expect(curves.filter(has_text="scratch").first).to_be_visible()
        expect(teacher.get_by_role("heading", name="Results (2 finished runs)")).to_be_visible(timeout=30_000)
        expect(counts.filter(has_text=re.compile(r"^2 done$"))).to_be_visible()
    finally:
        for context in contexts:
            context.close()

    store = WorkspaceStore(database)
    kept = [
        store.workspace(name).latest_run("lesson", ComparisonSummary.from_json)
        for name in ("school-alice", "school-bob")
    ]
    assert kept[0].summary == kept[1].summary  # one training, kept by both
