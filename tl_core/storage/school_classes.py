"""A teacher's class of students: who joined under which name, what they contributed, what the teacher decided.

No accounts: a class is reached by its code (short, unguessable, in the link students open) and moderated only
by the workspace that created it (the teacher's, 96 random bits in the teacher's own address). A student joins
with a display name of their choice, validated like a label and unique in the class regardless of case; nothing
else identifies them. Every question here answers with names, never with another student's workspace: the class
page reads runs by membership, and a student can change only their own entry (the workspace is the key).

Each change is one transaction (store-wide: class writes are rare) that runs its own guards (is the class open? is
this the teacher?), and a unique index decides between two students taking one name at once.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from tl_core.storage.database import Storage
from tl_core.storage.errors import WorkspaceError
from tl_core.storage.names import validate_label

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read off a projector without mistakes
CODE_LENGTH = 10  # 31**10, about 2**50 codes: nobody finds a class by trying codes
MAX_CLASS_NAME_CHARS = 60  # "Year 9 science, Tuesday period 3"
MAX_STUDENTS = 200  # a lecture hall; more is a MOOC, which wants accounts, not a class code
KINDS_IN_CLASS = ("lesson", "comparison")  # the runs that are a class row: both models trained on one task

NOT_FOUND = "There is no class with this code. Check the link your teacher shared."
ONLY_TEACHER = "Only the teacher who created this class can change it."


@dataclass(frozen=True)
class SchoolClass:
    code: str
    name: str
    created: float
    closed: bool  # no new joins
    ended: float | None  # when the teacher ended it; None while it runs
    teacher: str  # the creating workspace: compare with `is_teacher`, never show it

    def is_teacher(self, workspace: str) -> bool:
        return secrets.compare_digest(self.teacher, workspace)


@dataclass(frozen=True)
class Member:
    name: str
    joined: float
    workspace: str  # used to read their status and runs; pages never print it


@dataclass(frozen=True)
class MemberRun:
    student: str
    workspace: str
    run_id: int
    kind: str
    created: float
    summary: dict  # the run's stored JSON (read it with `ComparisonSummary.from_json`)


def validate_class_code(code: object) -> str:
    """A class code as typed or read from a link: upper-cased, then exactly CODE_LENGTH of CODE_ALPHABET."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if len(text) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in text):
        raise WorkspaceError(f"A class code is {CODE_LENGTH} letters and digits, like the one in your teacher's link.")
    return text


def validate_display_name(name: object) -> str:
    """What a student is called in the class: the rules of a label (any script, nothing invisible, short)."""
    return validate_label(name, "A name")


class SchoolClasses:
    """Every class in a store: it holds nothing itself, every call reads or writes the database."""

    def __init__(self, store: Storage) -> None:
        self.store = store

    # --- the teacher ------------------------------------------------------------------------------------
    def create(self, teacher: str, name: str) -> SchoolClass:
        name = validate_label(name, "A class name", MAX_CLASS_NAME_CHARS)
        with self.store.connect(write=True) as connection:
            while True:  # a clash is about one in 2**50 per existing class: this loop runs once
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                created = connection.execute(
                    "INSERT INTO school_classes (code, name, teacher, created) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING RETURNING created",
                    (code, name, teacher, time.time()),
                ).fetchone()
                if created:
                    return SchoolClass(code, name, created[0], False, None, teacher)

    def of_teacher(self, teacher: str) -> list[SchoolClass]:
        """The classes this workspace created, newest first."""
        with self.store.connect() as connection:
            rows = connection.execute(f"{_SELECT_CLASS} WHERE teacher = ? ORDER BY created DESC", (teacher,)).fetchall()
        return [_school_class(row) for row in rows]

    def set_closed(self, code: str, teacher: str, closed: bool) -> None:
        self._teacher_changes(code, teacher, "UPDATE school_classes SET closed = ? WHERE code = ?", (int(closed), code))

    def end(self, code: str, teacher: str, final_rows: list[dict]) -> None:
        """End the class: no joins, no new rows; `final_rows` (its results now) stay for download."""
        self._teacher_changes(
            code,
            teacher,
            "UPDATE school_classes SET ended = ?, closed = 1, final_rows = ? WHERE code = ? AND ended IS NULL",
            (time.time(), json.dumps(final_rows), code),
        )

    def final_rows(self, code: str) -> list[dict] | None:
        """The results kept when the class ended (None while it runs)."""
        with self.store.connect() as connection:
            row = connection.execute("SELECT final_rows FROM school_classes WHERE code = ?", (code,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def rename(self, code: str, teacher: str, old_name: str, new_name: str) -> None:
        new_name = validate_display_name(new_name)
        with self.store.connect(write=True) as connection:
            self._check_teacher(connection, code, teacher)
            taken = connection.execute(
                "SELECT name FROM school_class_members WHERE class_code = ? AND name_key = ? AND name <> ?",
                (code, new_name.casefold(), old_name),
            ).fetchone()
            if taken:
                raise WorkspaceError(f"“{new_name}” is already the name of a student in this class.")
            changed = connection.execute(
                "UPDATE school_class_members SET name = ?, name_key = ? "
                "WHERE class_code = ? AND name = ? AND removed = 0",
                (new_name, new_name.casefold(), code, old_name),
            ).rowcount
            if not changed:
                raise WorkspaceError(f"There is no student called “{old_name}” in this class.")

    def remove(self, code: str, teacher: str, name: str) -> None:
        """Take a student's entry (their rows, their contributed drawings) out of the class; their workspace
        stays theirs, and they cannot join this class again from it."""
        with self.store.connect(write=True) as connection:
            self._check_teacher(connection, code, teacher)
            row = connection.execute(
                "SELECT workspace FROM school_class_members WHERE class_code = ? AND name = ? AND removed = 0",
                (code, name),
            ).fetchone()
            if not row:
                raise WorkspaceError(f"There is no student called “{name}” in this class.")
            connection.execute(  # the name is free again: a key no typed name can be (names hold no control character)
                "UPDATE school_class_members SET removed = 1, name_key = ? WHERE class_code = ? AND workspace = ?",
                (f"\x01removed\x01{row[0]}", code, row[0]),  # not NUL: PostgreSQL text cannot hold it
            )
            connection.execute(
                "DELETE FROM school_class_drawings WHERE class_code = ? AND workspace = ?", (code, row[0])
            )

    # --- a student -----------------------------------------------------------------------------------------
    def get(self, code: str) -> SchoolClass:
        code = validate_class_code(code)
        with self.store.connect() as connection:
            row = connection.execute(f"{_SELECT_CLASS} WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise WorkspaceError(NOT_FOUND)
        return _school_class(row)

    def join(self, code: str, workspace: str, name: str) -> Member:
        """Join as `name`; joining again from the same workspace keeps the first name (a refresh, a second tab)."""
        code, name = validate_class_code(code), validate_display_name(name)
        with self.store.connect(write=True) as connection:
            found = connection.execute(f"{_SELECT_CLASS} WHERE code = ?", (code,)).fetchone()
            if found is None:
                raise WorkspaceError(NOT_FOUND)
            school_class = _school_class(found)
            mine = connection.execute(
                "SELECT name, joined, removed FROM school_class_members WHERE class_code = ? AND workspace = ?",
                (code, workspace),
            ).fetchone()
            if mine and mine[2]:
                raise WorkspaceError("Your teacher removed you from this class; ask them if that was a mistake.")
            if mine:
                return Member(mine[0], mine[1], workspace)
            if school_class.ended is not None:
                raise WorkspaceError("This class has ended: its results are kept, but nobody can join any more.")
            if school_class.closed:
                raise WorkspaceError("This class is closed to new students. Ask your teacher to open it again.")
            count = connection.execute(
                "SELECT COUNT(*) FROM school_class_members WHERE class_code = ?", (code,)
            ).fetchone()[0]
            if count >= MAX_STUDENTS:
                raise WorkspaceError(f"This class is full ({MAX_STUDENTS} students).")
            joined = connection.execute(
                "INSERT INTO school_class_members (class_code, workspace, name, name_key, joined) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING joined",
                (code, workspace, name, name.casefold(), time.time()),
            ).fetchone()
            if not joined:
                raise WorkspaceError(f"“{name}” is already taken in this class: add an initial or pick another name.")
        return Member(name, joined[0], workspace)

    def membership(self, code: str, workspace: str) -> Member | None:
        """This workspace's entry in the class, or None (never joined, or removed)."""
        with self.store.connect() as connection:
            row = connection.execute(
                "SELECT name, joined FROM school_class_members WHERE class_code = ? AND workspace = ? AND removed = 0",
                (code, workspace),
            ).fetchone()
        return Member(row[0], row[1], workspace) if row else None

    def was_removed(self, code: str, workspace: str) -> bool:
        """Whether the teacher removed this workspace's entry (it cannot join again)."""
        with self.store.connect() as connection:
            return bool(
                connection.execute(
                    "SELECT 1 FROM school_class_members WHERE class_code = ? AND workspace = ? AND removed = 1",
                    (code, workspace),
                ).fetchone()
            )

    def classes_of(self, workspace: str) -> list[SchoolClass]:
        """The classes this workspace is a student in, newest join first."""
        with self.store.connect() as connection:
            rows = connection.execute(
                f"{_SELECT_CLASS} WHERE code IN (SELECT class_code FROM school_class_members "
                "WHERE workspace = ? AND removed = 0) ORDER BY created DESC",
                (workspace,),
            ).fetchall()
        return [_school_class(row) for row in rows]

    # --- what the class page reads ---------------------------------------------------------------------
    def members(self, code: str) -> list[Member]:
        with self.store.connect() as connection:
            rows = connection.execute(
                "SELECT name, joined, workspace FROM school_class_members WHERE class_code = ? AND removed = 0",
                (code,),
            ).fetchall()
        return sorted((Member(*row) for row in rows), key=lambda member: member.joined)

    def runs(self, code: str, after_id: int = 0) -> list[MemberRun]:
        """Every comparison and lesson run students trained since they joined, oldest first (id > `after_id`)."""
        with self.store.connect() as connection:
            rows = connection.execute(
                f"SELECT m.name, r.workspace, r.id, r.kind, r.created, r.summary {_CLASS_RUNS} "
                "AND r.id > ? ORDER BY r.id",
                (code, *KINDS_IN_CLASS, after_id),
            ).fetchall()
        return [
            MemberRun(name, ws, run_id, kind, created, json.loads(summary))
            for name, ws, run_id, kind, created, summary in rows
        ]

    def run_ids(self, code: str) -> list[tuple[int, str]]:
        """(run id, student's name now) of the same runs, without their summaries: what changed since last time."""
        with self.store.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(
                    f"SELECT r.id, m.name {_CLASS_RUNS} ORDER BY r.id", (code, *KINDS_IN_CLASS)
                ).fetchall()
            ]

    # --- guards ------------------------------------------------------------------------------------------
    def _teacher_changes(self, code: str, teacher: str, sql: str, parameters: tuple) -> None:
        with self.store.connect(write=True) as connection:
            self._check_teacher(connection, code, teacher)
            connection.execute(sql, parameters)

    @staticmethod
    def _check_teacher(connection, code: str, teacher: str) -> None:
        row = connection.execute("SELECT teacher FROM school_classes WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise WorkspaceError(NOT_FOUND)
        if not secrets.compare_digest(row[0], teacher):
            raise WorkspaceError(ONLY_TEACHER)


_SELECT_CLASS = "SELECT code, name, created, closed, ended, teacher FROM school_classes"
_CLASS_RUNS = (  # the class's rows: runs of its students (not removed) since they joined; parameters: code, kinds
    "FROM school_class_members m JOIN runs r ON r.workspace = m.workspace WHERE m.class_code = ? AND m.removed = 0 "
    f"AND r.created >= m.joined AND r.kind IN ({', '.join('?' for _ in KINDS_IN_CLASS)})"
)


def _school_class(row: tuple) -> SchoolClass:
    code, name, created, closed, ended, teacher = row
    return SchoolClass(code, name, created, bool(closed), ended, teacher)
