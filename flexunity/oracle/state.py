"""The oracle's persisted state: one row per round in SQLite, advanced one step at a time.

A round goes OPENED → GATE_CLOSED → ORDERS_VERIFIED → CLEARED → DOCUMENT_STORED → POSTED →
WINDOW_PASSED → SETTLED → DONE (or VOIDED: the chain voided the round). Each step's
outputs (hashes, the Merkle root, settled batches, gas,
wall time) are saved in the same SQLite transaction that records the step as done, so a process
killed at any point restarts from the last completed step. Steps themselves check the chain before
sending anything (a result already posted, a leaf already settled), so a step interrupted after its
transaction was mined but before its row was saved does not send twice.

Every write is compare-and-set: a row carries a revision number, and a write names the revision it
read; a row another process changed meanwhile is not overwritten (``StateConflict``). One oracle per
state file and per deployment holds an exclusive lock (flexunity.oracle.lock).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from flexunity.errors import InputError, UserError
from flexunity.oracle.saved import RoundData


class Step(StrEnum):
    OPENED = "OPENED"
    GATE_CLOSED = "GATE_CLOSED"
    ORDERS_VERIFIED = "ORDERS_VERIFIED"
    CLEARED = "CLEARED"
    DOCUMENT_STORED = "DOCUMENT_STORED"
    POSTED = "POSTED"
    WINDOW_PASSED = "WINDOW_PASSED"
    SETTLED = "SETTLED"
    DONE = "DONE"
    VOIDED = "VOIDED"  # terminal: the chain voided the round (no result in time); nothing to settle

    @property
    def next(self) -> Step:
        steps = list(Step)
        return steps[min(steps.index(self) + 1, steps.index(Step.DONE))]

    @property
    def terminal(self) -> bool:
        return self in (Step.DONE, Step.VOIDED)


class StateConflict(UserError):
    """Another process changed a round's row between our read and our write."""

    exit_code = 6


SCHEMA = """
CREATE TABLE IF NOT EXISTS rounds (
    round_id INTEGER PRIMARY KEY,
    step TEXT NOT NULL,
    data TEXT NOT NULL,
    updated REAL NOT NULL,
    rev INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL,
    step TEXT NOT NULL,
    at REAL NOT NULL,
    message TEXT NOT NULL
);
"""


@dataclass
class RoundState:
    round_id: int
    step: Step
    data: dict[str, Any] = field(default_factory=dict)  # the saved JSON object (flexunity.oracle.saved)
    rev: int = 0  # the row's revision when read: a write succeeds only if it is still this one

    @property
    def saved(self) -> RoundData:
        """``data`` with types."""
        return RoundData.of(self.data, self.round_id)


class StateDB:
    """SQLite file of round states; every write is its own committed transaction."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(SCHEMA)
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(rounds)")}
        if "rev" not in columns:  # a state file written before compare-and-set
            self.conn.execute("ALTER TABLE rounds ADD COLUMN rev INTEGER NOT NULL DEFAULT 0")

    def bind(self, deployment: str) -> None:
        """Tie the file to one deployment; a file of another deployment (or another devnet run) is refused."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'deployment'").fetchone()
        if row is None:
            self.conn.execute("INSERT INTO meta (key, value) VALUES ('deployment', ?)", (deployment,))
        elif row[0] != deployment:
            raise InputError(
                f"{self.path} holds the oracle state of another deployment ({row[0]}), not {deployment}: "
                "pass another --state file"
            )

    def close(self) -> None:
        self.conn.close()

    def get(self, round_id: int) -> RoundState | None:
        row = self.conn.execute(
            "SELECT step, data, rev FROM rounds WHERE round_id = ?", (round_id,)
        ).fetchone()
        if row is None:
            return None
        return RoundState(round_id, Step(row[0]), json.loads(row[1]), int(row[2]))

    def ensure(self, round_id: int) -> RoundState:
        state = self.get(round_id)
        if state is not None:
            return state
        self.conn.execute(
            "INSERT OR IGNORE INTO rounds (round_id, step, data, updated) VALUES (?, ?, ?, ?)",
            (round_id, Step.OPENED.value, "{}", time.time()),
        )
        state = self.get(round_id)
        assert state is not None
        return state

    def advance(
        self, state: RoundState, step: Step, updates: dict[str, Any], message: str = ""
    ) -> RoundState:
        """Record ``step`` as reached with ``updates`` merged into the data, atomically, if the row is
        still at the revision ``state`` was read at (compare-and-set); else ``StateConflict``."""
        data = {**state.data, **updates}
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            changed = self.conn.execute(
                "UPDATE rounds SET step = ?, data = ?, updated = ?, rev = rev + 1 "
                "WHERE round_id = ? AND rev = ? AND step = ?",
                (step.value, json.dumps(data), time.time(), state.round_id, state.rev, state.step.value),
            ).rowcount
            if changed != 1:
                now = self.get(state.round_id)
                raise StateConflict(
                    f"round {state.round_id}: the state file changed under this oracle (expected step "
                    f"{state.step.value} rev {state.rev}, found "
                    f"{now.step.value + ' rev ' + str(now.rev) if now else 'no row'}): is another oracle "
                    f"using {self.path}?"
                )
            self.conn.execute(
                "INSERT INTO log (round_id, step, at, message) VALUES (?, ?, ?, ?)",
                (state.round_id, step.value, time.time(), message),
            )
        return RoundState(state.round_id, step, data, state.rev + 1)

    def save_data(self, state: RoundState, updates: dict[str, Any]) -> RoundState:
        """Merge ``updates`` without changing the step (progress inside a step, e.g. batches)."""
        return self.advance(state, state.step, updates, message="progress")

    def rounds(self) -> list[RoundState]:
        rows = self.conn.execute("SELECT round_id, step, data, rev FROM rounds ORDER BY round_id").fetchall()
        return [RoundState(r[0], Step(r[1]), json.loads(r[2]), int(r[3])) for r in rows]

    def log(self, round_id: int) -> list[tuple[str, float, str]]:
        rows = self.conn.execute(
            "SELECT step, at, message FROM log WHERE round_id = ? ORDER BY id", (round_id,)
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]
