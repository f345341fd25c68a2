"""The parsing context of a scenario document: round size, unit factors and CSV profiles read with pandas.

CSV profiles are ordered by their ``interval`` or ``timestamp`` column and checked to hold every
interval once; a cell that is not a number is named by file, row and column (docs/scenario-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flexunity.data import validation as v
from flexunity.errors import InputError


@dataclass
class Reader:
    """Parsing context: round size, units, where CSV files live, and a cache of read CSVs."""

    source: str
    intervals: int
    interval_minutes: int
    start: str
    base_dir: Path | None
    power: float = 1.0
    price: float = 1.0
    csvs: dict[str, pd.DataFrame] = field(default_factory=dict)

    def where(self, what: str) -> str:
        return f"{self.source}: {what}"

    def profile(self, value: Any, what: str, factor: float = 1.0) -> np.ndarray:
        """A Profile (list, number or CSV reference) as a validated array, times ``factor``."""
        if isinstance(value, dict):
            value = self._csv_column(value, what)
        return v.check_profile(value, self.intervals, self.where(what)) * factor

    def _csv_column(self, ref: dict[str, Any], what: str) -> np.ndarray:
        if self.base_dir is None or "csv" not in ref or "column" not in ref:
            raise InputError(
                "CSV references need a folder scenario and keys csv, column", where=self.where(what)
            )
        frame = self._frame(str(ref["csv"]))
        if ref["column"] not in frame.columns:
            raise InputError(f"no column {ref['column']!r} in {ref['csv']}", where=self.where(what))
        column = frame[ref["column"]]
        values = pd.to_numeric(column, errors="coerce")
        # a cell that is text, not a number (an empty cell is NaN: the profile check names its interval)
        bad = [
            i
            for i, (x, raw) in enumerate(zip(values, column, strict=True))
            if np.isnan(x) and not pd.isna(raw)
        ]
        if bad:
            row = int(frame["_row"].iloc[bad[0]]) if "_row" in frame.columns else bad[0] + 2
            raise InputError(
                f"row {row}, column {ref['column']!r}: {column.iloc[bad[0]]!r} is not a number",
                where=str((self.base_dir or Path(".")) / str(ref["csv"])),
            )
        return values.to_numpy(dtype=float)

    def _frame(self, name: str) -> pd.DataFrame:
        if name not in self.csvs:
            path = (self.base_dir or Path(".")) / name
            try:
                frame = pd.read_csv(path)
            except (OSError, pd.errors.ParserError) as exc:
                raise InputError(f"cannot read CSV: {exc}", where=str(path)) from None
            self.csvs[name] = self._ordered(frame, str(path))
        return self.csvs[name]

    def _ordered(self, frame: pd.DataFrame, where: str) -> pd.DataFrame:
        """Rows sorted by interval (from an ``interval`` or a ``timestamp`` column), every interval once."""
        if "interval" in frame.columns:
            idx = pd.to_numeric(frame["interval"], errors="coerce").to_numpy()
        elif "timestamp" in frame.columns:
            stamps = pd.to_datetime(frame["timestamp"], utc=True)
            offset = (stamps - pd.Timestamp(self.start)).dt.total_seconds() / 60 / self.interval_minutes
            idx = offset.to_numpy()
        else:
            raise InputError("needs an 'interval' or a 'timestamp' column", where=where)
        if np.any(~np.isfinite(idx)) or np.any(idx != np.round(idx)):
            raise InputError("interval/timestamp column has values off the interval grid", where=where)
        v.check_intervals_column(idx.astype(int), self.intervals, where)
        rows = np.arange(len(frame)) + 2  # the file's line numbers (line 1 is the header)
        ordered = frame.assign(_order=idx.astype(int), _row=rows).sort_values("_order")
        return ordered.reset_index(drop=True)


def need(doc: dict[str, Any], key: str, where: str) -> Any:
    if key not in doc:
        raise InputError(f"missing required key {key!r}", where=where)
    return doc[key]
