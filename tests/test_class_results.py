"""The class's result, computed from its rows: the summary in words, the CSV, the data-efficiency curve, statuses."""

import csv
import io
import threading
import time

from tests.summaries import comparison, curves
from tl_core.classroom.class_results import (
    ClassRow,
    class_row,
    data_efficiency,
    one_page_summary,
    rows_csv,
    student_status,
    summary_in_words,
)
from tl_core.classroom.jobs import RUNNING, JobDetails, JobQueue
from tl_core.storage.school_classes import MemberRun


def row(student, transfer, scratch, model="LeNet-5", shots=5, strategy="fine-tune-top", run_id=1, seed=None):
    return ClassRow(student, model, "Katakana", shots, strategy, 30, transfer, scratch, 3.0, 9.0, run_id, seed)


def test_a_row_reads_a_kept_lesson_run():
    summary = comparison(
        curves([0.3, 0.6, 0.9], [1.0, 2.0, 3.0]),
        curves([0.2, 0.4, 0.6], [1.5, 3.0, 4.5]),
        model="lenet5",
        model_title="LeNet-5",
        charset="katakana",
        shots=5,
    )
    made = class_row(MemberRun("Ana", "ws-a", 7, "lesson", 0.0, summary.to_json()))
    assert (made.student, made.model, made.charset, made.shots, made.run_id) == ("Ana", "LeNet-5", made.charset, 5, 7)
    assert made.charset.startswith("Katakana")
    assert (made.transfer_accuracy, made.scratch_accuracy) == (0.9, 0.6)
    assert made.transfer_seconds_to_match == 2.0 and made.scratch_seconds == 4.5  # 0.6 reached at its second epoch
    own = comparison(curves([0.5], [1.0]), curves([0.5], [1.0]), train_size=12, labels=("a", "b", "c"))
    assert class_row(MemberRun("Bo", "ws-b", 8, "comparison", 0.0, own.to_json())).shots == 4  # 12 / 3 classes


def test_the_summary_counts_wins_with_the_tie_rule_and_says_what_the_others_share():
    rows = [row(f"s{i}", 0.8, 0.6) for i in range(27)] + [
        row("mo", 0.5, 0.6, model="MLP"),
        row("jo", 0.6, 0.61, model="MLP"),
    ]
    assert summary_in_words(rows) == (
        "Transfer beat scratch in 27 of 29 runs; median gain +0.20 (+20 percentage points). "
        "The two where it did not used the MLP."
    )
    mixed = [row("a", 0.8, 0.6), row("b", 0.5, 0.6, strategy="feature-extraction"), row("c", 0.6, 0.6)]
    assert summary_in_words(mixed).endswith("The two where it did not: b, c.")
    assert summary_in_words([row("a", 0.61, 0.6)]).startswith("Transfer beat scratch in 0 of 1 run;")
    assert summary_in_words([]).startswith("No finished runs yet")


def test_the_csv_has_every_row_and_a_name_never_runs_as_a_formula():
    rows = [row('=HYPERLINK("http://e.vil")', 0.8, 0.6), row('Ana, "the" artist', 0.7, 0.7, run_id=2)]
    read = list(csv.DictReader(io.StringIO(rows_csv(rows))))
    assert [line["student"] for line in read] == ['\'=HYPERLINK("http://e.vil")', 'Ana, "the" artist']
    assert read[0]["transfer_accuracy"] == "0.8" and read[1]["run_id"] == "2"
    page = one_page_summary("<b>Year 9</b>", rows, "today")
    assert "<b>Year 9</b>" not in page and "&lt;b&gt;Year 9&lt;/b&gt;" in page and page.count("<tr>") == 3


def test_the_efficiency_curve_has_the_median_and_spread_per_shots_for_both_models():
    rows = [row("a", 0.5, 0.2, shots=1), row("b", 0.7, 0.4, shots=1), row("c", 0.9, 0.3, shots=1)]
    rows += [row("a", 0.95, 0.8, shots=10), row("d", 0.9, 0.6, shots=None)]
    points = {(p.shots, p.model): p for p in data_efficiency(rows)}
    assert set(points) == {(1, "transfer"), (1, "scratch"), (10, "transfer"), (10, "scratch")}
    one = points[(1, "transfer")]
    assert (one.median, one.low, one.high, one.runs) == (0.7, 0.5, 0.9, 3)
    assert points[(10, "scratch")].runs == 1


def test_a_student_status_follows_their_job_in_the_real_queue():
    queue = JobQueue(max_concurrent=1)
    release = threading.Event()
    first = queue.submit(
        "ws-a", "lesson", lambda job: release.wait(5), estimate_seconds=8, details=JobDetails(epochs=30)
    )
    second = queue.submit("ws-b", "lesson", lambda job: None, estimate_seconds=8)
    deadline = time.monotonic() + 5
    while first.status != RUNNING and time.monotonic() < deadline:
        time.sleep(0.01)

    def where(name, workspace, runs=0):
        return student_status(name, queue.whereabouts(["ws-a", "ws-b", "ws-c"]).get(workspace), runs)

    assert where("Ana", "ws-a").words == "training transfer: epoch 0/30"
    first.events.append(("transfer", None))
    assert where("Ana", "ws-a").words == "training transfer: epoch 1/30"
    first.events.extend([("transfer", None), ("scratch", None)])
    assert where("Ana", "ws-a").words == "training scratch: epoch 1/30"
    waiting = where("Bo", "ws-b")
    assert (waiting.state, waiting.words) == ("waiting", "waiting: number 1 in line")
    assert where("Cy", "ws-c").state == "collecting" and "ws-c" not in queue.whereabouts(["ws-c"])
    release.set()
    while second.status != "done" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert where("Bo", "ws-b", runs=1).words == "done (1 run)"


def test_the_rows_reader_parses_each_run_once_and_follows_renames_and_removals(tmp_path):
    from tl_core.classroom.class_results import ClassRowsReader
    from tl_core.storage.school_classes import SchoolClasses
    from tl_core.storage.workspace import WorkspaceStore

    store = WorkspaceStore(tmp_path / "w.sqlite3")
    classes = SchoolClasses(store)
    teacher = store.new_workspace().name
    code = classes.create(teacher, "C").code
    summary = comparison(curves([0.9], [1.0]), curves([0.5], [1.0]))
    ana, bo = store.new_workspace(), store.new_workspace()
    classes.join(code, ana.name, "Ana")
    classes.join(code, bo.name, "Bo")
    ana.save_run("lesson", summary)
    reader = ClassRowsReader()
    assert [row.student for row in reader.rows(classes, code)] == ["Ana"]
    parsed = []
    classes_runs = classes.runs
    classes.runs = lambda *args, **kwargs: parsed.append(args) or classes_runs(*args, **kwargs)
    assert [row.student for row in reader.rows(classes, code)] == ["Ana"] and not parsed  # nothing new: no summary read
    bo.save_run("lesson", summary)
    classes.rename(code, teacher, "Ana", "Anna")
    assert [row.student for row in reader.rows(classes, code)] == ["Anna", "Bo"] and len(parsed) == 1
    classes.remove(code, teacher, "Bo")
    assert [row.student for row in reader.rows(classes, code)] == ["Anna"]


def test_runs_that_repeat_another_s_settings_and_seed_are_not_counted_as_new_measurements():
    from tl_core.classroom.class_results import repeats_in_words

    same = [row(name, 0.8, 0.5, seed=0) for name in ("a", "b", "c")]
    assert repeats_in_words(same).startswith("2 of these runs repeat another's settings and seed exactly")
    assert "1 independent measurement." in repeats_in_words(same)
    assert repeats_in_words([row("a", 0.8, 0.5, seed=1), row("b", 0.8, 0.5, seed=2)]) is None
    assert repeats_in_words([row("a", 0.8, 0.5), row("b", 0.8, 0.5)]) is None  # seeds not recorded: unknown
