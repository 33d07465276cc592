"""A teacher's class in the store (both databases): joining, names, moderation, the pool, and what a code allows."""

import threading

import numpy as np
import pytest

from tl_core.storage.class_pool import ClassPool
from tl_core.storage.school_classes import (
    CODE_ALPHABET,
    CODE_LENGTH,
    ONLY_TEACHER,
    SchoolClasses,
    validate_class_code,
)
from tl_core.storage.workspace import WorkspaceError, WorkspaceStore


@pytest.fixture
def store(store_location):
    store = WorkspaceStore(store_location)
    yield store
    store.close()


def student_with_runs(store, name: str, accuracies=(0.8, 0.5), kind="lesson") -> str:
    workspace = store.new_workspace()
    workspace.save_run(
        kind, {"transfer": {"eval_accuracy": [accuracies[0]]}, "scratch": {"eval_accuracy": [accuracies[1]]}}
    )
    return workspace.name


def test_a_class_code_is_short_unguessable_and_read_forgivingly():
    assert len(CODE_ALPHABET) ** CODE_LENGTH > 2**49
    assert validate_class_code(" abcdefghjk ") == "ABCDEFGHJK"
    for bad in ("ABCDEFGHJ", "ABCDEFGHJ0", "ABCDEFGHJKL", "'; DROP --", 5, None, "ＡＢＣＤＥＦＧＨＪＫ"):
        with pytest.raises(WorkspaceError):
            validate_class_code(bad)


def test_students_join_with_a_name_unique_in_the_class_whatever_its_case(store):
    classes = SchoolClasses(store)
    teacher = store.new_workspace().name
    made = classes.create(teacher, "  Year 9 science ")
    assert made.name == "Year 9 science" and len(made.code) == CODE_LENGTH and made.is_teacher(teacher)
    ana, other = store.new_workspace().name, store.new_workspace().name
    assert classes.join(made.code.lower(), ana, "Ana 🦊").name == "Ana 🦊"
    with pytest.raises(WorkspaceError, match="already taken"):
        classes.join(made.code, other, "ana 🦊")
    for bad in ("", "a\nb", "x" * 33, "Ana\u200b"):
        with pytest.raises(WorkspaceError, match="A name"):
            classes.join(made.code, other, bad)
    assert classes.join(made.code, ana, "Someone else").name == "Ana 🦊"  # a refresh keeps the first name
    assert [m.name for m in classes.members(made.code)] == ["Ana 🦊"]
    assert [c.code for c in classes.classes_of(ana)] == [made.code]
    with pytest.raises(WorkspaceError, match="no class with this code"):
        classes.join("ABCDEFGHJK" if made.code != "ABCDEFGHJK" else "BCDEFGHJKM", other, "Bo")


def test_thirty_students_joining_at_once_each_get_a_place_and_a_name_is_taken_once(store):
    classes = SchoolClasses(store)
    code = classes.create(store.new_workspace().name, "Rush").code
    students = [store.new_workspace().name for _ in range(30)]
    outcomes = []

    def join(workspace, name):
        try:
            outcomes.append(classes.join(code, workspace, name).name)
        except WorkspaceError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=join, args=(ws, "Sam" if i < 5 else f"S{i}")) for i, ws in enumerate(students)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("Sam") == 1 and sum("already taken" in o for o in outcomes) == 4
    assert len(classes.members(code)) == 26


def test_only_the_teacher_moderates_and_results_stay_after_the_end(store):
    classes = SchoolClasses(store)
    teacher = store.new_workspace().name
    code = classes.create(teacher, "Class").code
    ana, bo = student_with_runs(store, "Ana"), student_with_runs(store, "Bo")
    classes.join(code, ana, "Ana")
    classes.join(code, bo, "Bo")
    student_with_runs(store, "later")  # not in the class: never a row
    for change in (
        lambda who: classes.rename(code, who, "Bo", "Robert"),
        lambda who: classes.remove(code, who, "Bo"),
        lambda who: classes.set_closed(code, who, True),
        lambda who: classes.end(code, who, []),
    ):
        with pytest.raises(WorkspaceError, match=ONLY_TEACHER):
            change(ana)  # a student (or anyone with the code) changes nothing
    assert [m.name for m in classes.members(code)] == ["Ana", "Bo"]

    classes.rename(code, teacher, "Bo", "Robert")
    with pytest.raises(WorkspaceError, match="already the name"):
        classes.rename(code, teacher, "Robert", "ana")
    classes.remove(code, teacher, "Ana")
    assert [m.name for m in classes.members(code)] == ["Robert"]
    with pytest.raises(WorkspaceError, match="removed you"):
        classes.join(code, ana, "Ana again")
    assert classes.was_removed(code, ana) and not classes.was_removed(code, bo)
    newcomer = store.new_workspace().name
    assert classes.join(code, newcomer, "ana").name == "ana"  # a removed student's name is free again
    classes.remove(code, teacher, "ana")
    assert store.workspace(ana).latest_run("lesson") is not None  # the workspace stays the student's

    classes.set_closed(code, teacher, True)
    with pytest.raises(WorkspaceError, match="closed"):
        classes.join(code, store.new_workspace().name, "Cy")
    classes.set_closed(code, teacher, False)
    classes.join(code, store.new_workspace().name, "Cy")
    classes.end(code, teacher, [{"student": "Robert", "transfer": 0.8}])
    assert classes.get(code).ended is not None and classes.final_rows(code) == [{"student": "Robert", "transfer": 0.8}]
    with pytest.raises(WorkspaceError, match="ended"):
        classes.join(code, store.new_workspace().name, "Di")


def test_the_class_reads_runs_of_its_students_since_they_joined_by_name(store):
    classes = SchoolClasses(store)
    code = classes.create(store.new_workspace().name, "Class").code
    ana = student_with_runs(store, "Ana")  # trained before joining: not a class row
    classes.join(code, ana, "Ana")
    workspace = store.workspace(ana)
    first = workspace.save_run("lesson", {"n": 1})
    workspace.save_run("sweep", {"n": 2})  # not a comparison
    second = workspace.save_run("comparison", {"n": 3})
    runs = classes.runs(code)
    assert [(r.student, r.run_id, r.kind, r.summary) for r in runs] == [
        ("Ana", first, "lesson", {"n": 1}),
        ("Ana", second, "comparison", {"n": 3}),
    ]
    assert [r.run_id for r in classes.runs(code, after_id=first)] == [second]


def test_students_contribute_only_their_own_drawings_and_the_pool_follows_removal(store):
    classes, pool = SchoolClasses(store), ClassPool(store)
    teacher = store.new_workspace().name
    code = classes.create(teacher, "Class").code
    ids = {}
    for name in ("Ana", "Bo"):
        workspace = store.new_workspace()
        workspace.start_task(["あ", "い"])
        classes.join(code, workspace.name, name)
        image = np.full((28, 28), 0.5, np.float32)
        ids[name] = (workspace.name, [workspace.add_sample(label, image, b"png") for label in ("あ", "い")])
    ana, ana_ids = ids["Ana"]
    bo, bo_ids = ids["Bo"]
    assert pool.contribute(code, ana, [*ana_ids, *bo_ids]) == 2  # Bo's samples are not Ana's to give
    assert pool.contribute(code, ana, ana_ids) == 0  # once each
    assert pool.contribute(code, bo, bo_ids[:1]) == 1
    assert [(d.student, d.label) for d in pool.pooled(code)] == [("Ana", "あ"), ("Ana", "い"), ("Bo", "あ")]
    assert pool.withdraw(code, ana, [ana_ids[1], bo_ids[0]]) == 1
    assert pool.contributed(code, ana) == {ana_ids[0]}
    store.workspace(bo).delete_sample(bo_ids[0])  # deleting a sample takes it out of the pool too
    classes.remove(code, teacher, "Ana")
    assert pool.pooled(code) == []
    with pytest.raises(WorkspaceError, match="Only a student"):
        pool.contribute(code, ana, ana_ids)
