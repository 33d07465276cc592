"""What a whole class measured: one row per finished comparison, the summary in words, the data-efficiency curve.

Everything the class page says is computed here from the rows, never written by hand: "transfer beat scratch in
27 of 29 runs" counts rows with the same tie rule as each student's own verdict (`evaluation.TIE_MARGIN`).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from html import escape

from tl_core.classroom.jobs import FAILED, PAUSED, QUEUED, RUNNING, Whereabouts
from tl_core.classroom.lesson import speed_and_accuracy
from tl_core.data.charsets import CHARSETS
from tl_core.storage.school_classes import MemberRun, SchoolClasses
from tl_core.training.evaluation import better_worse_or_tie
from tl_core.training.results import COMPARISON_MODELS, ComparisonSummary

OWN_CLASSES = "own classes"  # the character set of a run on a student's own labels
MOST_NAMED = 4  # the summary names at most this many students whose runs went the other way


@dataclass(frozen=True)
class ClassRow:
    """One finished comparison of one student, as the class sees it (what the CSV download holds, in order)."""

    student: str
    model: str  # the zoo model's title
    charset: str  # the character set's title, or OWN_CLASSES
    shots: int | None  # samples per class (None: not recorded)
    strategy: str
    epochs: int
    transfer_accuracy: float  # final evaluation accuracy
    scratch_accuracy: float
    transfer_seconds_to_match: float | None  # training seconds transfer needed to reach scratch's final accuracy
    scratch_seconds: float  # scratch's whole training time
    run_id: int  # to tell two runs of one student apart
    seed: int | None = None  # the run's seed (None: rows kept before it was recorded)

    @property
    def gain(self) -> float:
        return self.transfer_accuracy - self.scratch_accuracy

    @property
    def outcome(self) -> str:
        """ "better", "worse" or "tie": transfer against scratch, as each student's verdict says it."""
        return better_worse_or_tie(self.transfer_accuracy, self.scratch_accuracy)


def class_row(run: MemberRun) -> ClassRow:
    summary = ComparisonSummary.from_json(run.summary)
    numbers = speed_and_accuracy(summary)
    shots = summary.shots
    if shots is None and summary.train_size:
        shots = round(summary.train_size / len(summary.labels))
    charset = CHARSETS[summary.charset].title if summary.charset in CHARSETS else OWN_CLASSES
    return ClassRow(
        student=run.student,
        model=summary.model_title or summary.model or "?",
        charset=charset,
        shots=shots,
        strategy=summary.strategy,
        epochs=summary.epochs,
        transfer_accuracy=numbers.transfer_final,
        scratch_accuracy=numbers.scratch_final,
        transfer_seconds_to_match=numbers.transfer_seconds_to_match,
        scratch_seconds=numbers.scratch_seconds,
        run_id=run.run_id,
        seed=summary.seed,
    )


def class_rows(runs: Iterable[MemberRun]) -> list[ClassRow]:
    return [class_row(run) for run in runs]


class ClassRowsReader:
    """A class's rows, re-read every few seconds by its page: a kept run never changes, so each is read and parsed
    once (its summary is tens of kilobytes); the names (a teacher may rename) and who is in are asked each time."""

    def __init__(self, most_kept: int = 100_000) -> None:
        self._rows: dict[int, ClassRow] = {}
        self._most_kept = most_kept  # about 200 bytes each

    def rows(self, classes: SchoolClasses, code: str) -> list[ClassRow]:
        current = classes.run_ids(code)
        missing = [run_id for run_id, _ in current if run_id not in self._rows]
        if missing:
            if len(self._rows) + len(missing) > self._most_kept:
                self._rows.clear()  # a server up for a whole school year: start again rather than grow
            wanted = set(missing)
            for run in classes.runs(code, after_id=min(missing) - 1):
                if run.run_id in wanted:
                    self._rows[run.run_id] = class_row(run)
        return [replace(self._rows[run_id], student=name) for run_id, name in current if run_id in self._rows]


def summary_in_words(rows: list[ClassRow]) -> str:
    """The class's result in one or two sentences, counted from the rows."""
    if not rows:
        return "No finished runs yet: the summary appears as soon as the first student's training finishes."
    better = [row for row in rows if row.outcome == "better"]
    gains = [row.gain for row in rows]
    median = statistics.median(gains)
    text = (
        f"Transfer beat scratch in {len(better)} of {len(rows)} run{'s' if len(rows) != 1 else ''}; median gain "
        f"{median:+.2f} ({median * 100:+.0f} percentage points)."
    )
    others = [row for row in rows if row.outcome != "better"]
    if not others or not better:
        return text
    what = _shared_by(others, rows)
    count = "The one" if len(others) == 1 else f"The {_number_word(len(others))}"
    if what:
        return f"{text} {count} where it did not {what}."
    names = sorted({row.student for row in others})
    listed = ", ".join(names[:MOST_NAMED]) + (f" and {len(names) - MOST_NAMED} more" if len(names) > MOST_NAMED else "")
    return f"{text} {count} where it did not: {listed}."


def repeats_in_words(rows: list[ClassRow]) -> str | None:
    """When runs repeat another's settings and seed exactly, they measured the same thing again: say how many
    independent measurements the class has, and how to get more (None when every run is its own)."""
    setups = {(r.model, r.charset, r.shots, r.strategy, r.epochs, r.seed) for r in rows if r.seed is not None}
    counted = sum(1 for r in rows if r.seed is not None)
    if counted - len(setups) <= 0:
        return None
    return (
        f"{counted - len(setups)} of these runs repeat another's settings and seed exactly, so they measured the same "
        f"thing again: {len(setups)} independent measurement{'s' if len(setups) != 1 else ''}. To replicate the "
        "result, each student changes the seed (step 4 of the lesson) before training."
    )


def _shared_by(others: list[ClassRow], rows: list[ClassRow]) -> str | None:
    """What every run where transfer did not win has in common and the others lack, in words; None if nothing."""
    said = {
        "model": "used the {}",
        "strategy": "used {}",
        "charset": "were on {}",
        "shots": "had {} samples per class",
    }
    for field, words in said.items():
        values = {getattr(row, field) for row in others}
        value = values.pop() if len(values) == 1 else None
        if value is not None and any(getattr(row, field) != value for row in rows):  # a difference that explains
            return words.format(value)
    return None


def _number_word(n: int) -> str:
    return (
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")[n]
        if n <= 10
        else str(n)
    )


def rows_csv(rows: list[ClassRow] | list[dict]) -> str:
    """The class's results as CSV: one line per run, the columns of `ClassRow`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [field.name for field in fields(ClassRow)], extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(_csv_safe(row if isinstance(row, dict) else asdict(row)))
    return buffer.getvalue()


def _csv_safe(values: dict) -> dict:
    """A spreadsheet runs a cell that starts with = + - @ as a formula: a student's name is text, so quote it."""
    return {
        key: f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
        for key, value in values.items()
    }


@dataclass(frozen=True)
class EfficiencyPoint:
    """Final accuracy of one model at one number of samples per class, across the class's runs."""

    shots: int
    model: str  # "transfer" or "scratch"
    median: float
    low: float  # the lowest and highest run: the spread across students
    high: float
    runs: int


def data_efficiency(rows: list[ClassRow]) -> list[EfficiencyPoint]:
    """The class's data-efficiency curve: accuracy against samples per class, for both models, from every run
    that recorded its samples per class."""
    by_shots: dict[int, list[ClassRow]] = {}
    for row in rows:
        if row.shots is not None:
            by_shots.setdefault(row.shots, []).append(row)
    points = []
    for shots in sorted(by_shots):
        for model in COMPARISON_MODELS:
            values = [getattr(row, f"{model}_accuracy") for row in by_shots[shots]]
            points.append(
                EfficiencyPoint(shots, model, statistics.median(values), min(values), max(values), len(values))
            )
    return points


@dataclass(frozen=True)
class StudentStatus:
    """Where a student is, so a teacher sees who is stuck."""

    student: str
    state: str  # one of STATES
    words: str  # what the class page says ("waiting: number 3 in line", "training: epoch 12/30")
    runs: int  # finished runs in the class


STATES = ("collecting", "waiting", "training", "done", "stopped")


def student_status(student: str, place: Whereabouts | None, runs: int) -> StudentStatus:
    """From where the student's latest job is (`JobQueue.whereabouts`; None: none in this server's queue) and how
    many runs they finished in the class."""
    if place is not None and place.status == QUEUED:
        return StudentStatus(student, "waiting", f"waiting: number {place.position} in line", runs)
    if place is not None and place.status == PAUSED:
        return StudentStatus(student, "waiting", "waiting: paused for a shorter job", runs)
    if place is not None and place.status == RUNNING:
        if place.epochs and place.kind in CURVE_KINDS:
            which = place.training or "transfer"  # transfer trains first, then scratch
            done = place.epochs_done if place.training else 0
            return StudentStatus(student, "training", f"training {which}: epoch {done}/{place.epochs}", runs)
        return StudentStatus(student, "training", "training", runs)
    if place is not None and place.status == FAILED and not runs:
        return StudentStatus(student, "stopped", "stopped: the training failed", runs)
    if runs:
        return StudentStatus(student, "done", f"done ({runs} run{'s' if runs != 1 else ''})", runs)
    return StudentStatus(student, "collecting", "collecting: nothing trained yet", runs)


CURVE_KINDS = ("comparison", "lesson", "class-pool")  # jobs that train both models epoch by epoch


def one_page_summary(class_name: str, rows: list[ClassRow], when: str) -> str:
    """The class's result on one printable HTML page: the summary in words, then every run (text escaped)."""
    lines = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(str(cell))}</td>"
            for cell in (
                row.student,
                row.model,
                row.charset,
                row.shots if row.shots is not None else "?",
                row.strategy,
                f"{row.transfer_accuracy:.0%}",
                f"{row.scratch_accuracy:.0%}",
                f"{row.transfer_seconds_to_match:.1f} s" if row.transfer_seconds_to_match is not None else "never",
            )
        )
        + "</tr>"
        for row in rows
    )
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'>"
        f"<title>{escape(class_name)}: transfer against scratch</title>"
        "<style>body{font:14px/1.4 sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}</style>"
        f"<h1>{escape(class_name)}</h1><p>{escape(when)} · {len({row.student for row in rows})} students, "
        f"{len(rows)} runs</p><p><strong>{escape(summary_in_words(rows))}</strong></p>"
        "<table><tr><th>student</th><th>model</th><th>characters</th><th>samples per class</th><th>strategy</th>"
        "<th>transfer</th><th>scratch</th><th>transfer reached scratch's accuracy after</th></tr>"
        f"{lines}</table></html>"
    )
