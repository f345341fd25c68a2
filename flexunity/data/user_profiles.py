"""A user's own profile CSV (metered load or PV) read onto a round's intervals.

The CSV has a timestamp column and one or more value columns, in kW (mean power over the row's
interval) or kWh (energy in the row's interval), at any regular resolution (1 minute to 1 day).
Each row covers ``[timestamp, next timestamp)``. Timestamps either all carry a UTC offset
(``2025-10-26T01:30:00+01:00``, safe on clock-change days) or none does, and are then read as
local time in ``timezone`` (default: the round's); a local time that does not exist or occurs twice
on a clock-change day is an error that says so, because only an offset can tell the two 01:30s
of a clock-back day apart.

Resampling conserves energy exactly: the cumulative energy of the file is interpolated at the
round's interval boundaries (coarser files spread evenly, finer files are averaged). Every problem
is an ``InputError`` naming the file, column, row and timestamp: unreadable values, missing values,
negative values, duplicates, rows out of order, gaps, irregular steps, and a file that does not
cover the round.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from flexunity.errors import InputError

_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_NS_PER_MIN = 60_000_000_000


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("file not found", where=str(path))
    try:
        frame = pd.read_csv(path, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV ({exc})", where=str(path)) from None
    if frame.empty:
        raise InputError("no data rows", where=str(path))
    return frame


def _unit_of(column: str, unit: str | None, where: str) -> str:
    if unit is not None:
        if unit not in ("kW", "kWh"):
            raise InputError(f"unit must be 'kW' or 'kWh', got {unit!r}", where=where)
        return unit
    name = column.lower().strip()
    if re.search(r"kwh\b|kwh\]|kwh\)|_kwh$", name):
        return "kWh"
    if re.search(r"kw\b|kw\]|kw\)|_kw$", name):
        return "kW"
    raise InputError(
        f"column {column!r}: cannot tell kW from kWh; name it e.g. 'load_kw' or pass unit", where=where
    )


def _localize(naive: pd.DatetimeIndex, raw: pd.Series, timezone: str, where: str) -> pd.DatetimeIndex:
    try:
        return naive.tz_localize(timezone, ambiguous="raise", nonexistent="raise")
    except Exception:  # pandas raises AmbiguousTimeError / NonExistentTimeError
        pass
    for row, stamp in enumerate(naive):
        try:
            pd.DatetimeIndex([stamp]).tz_localize(timezone, ambiguous="raise", nonexistent="raise")
        except Exception as exc:
            problem = (
                "occurs twice (clock-back day)"
                if "mbiguous" in f"{type(exc).__name__} {exc}"
                else "does not exist (clock-forward day)"
            )
            raise InputError(
                f"row {row + 2}: local time {raw.iloc[row]} {problem} in {timezone}; "
                "write timestamps with a UTC offset, e.g. 2025-10-26T01:30:00+01:00",
                where=where,
            ) from None
    raise InputError(f"timestamps cannot be read as local times in {timezone}", where=where)


def parse_timestamps(raw: pd.Series, timezone: str, where: str) -> pd.DatetimeIndex:
    """Timestamps of a CSV column as tz-aware times in ``timezone`` (see the module docstring)."""
    text = raw.astype(str).str.strip()
    has_offset = text.str.contains(_OFFSET)
    if has_offset.any() and not has_offset.all():
        row = int(np.flatnonzero(~has_offset.to_numpy() if has_offset.iloc[0] else has_offset.to_numpy())[0])
        raise InputError(
            f"row {row + 2}: timestamp {text.iloc[row]!r} mixes local times and UTC offsets in one column",
            where=where,
        )
    try:
        if has_offset.all():
            return pd.DatetimeIndex(pd.to_datetime(text, utc=True, format="ISO8601")).tz_convert(timezone)
        naive = pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601"))
    except (ValueError, TypeError):
        bad = next(i for i, t in enumerate(text) if pd.isna(pd.to_datetime(t, errors="coerce")))
        raise InputError(f"row {bad + 2}: cannot read timestamp {text.iloc[bad]!r}", where=where) from None
    return _localize(naive, text, timezone, where)


def _values(raw: pd.Series, times: pd.DatetimeIndex, allow_negative: bool, where: str) -> np.ndarray:
    values = pd.to_numeric(raw.str.strip(), errors="coerce").to_numpy(dtype=float)
    for row in np.flatnonzero(np.isnan(values))[:1]:
        text = raw.iloc[row]
        what = "missing value" if pd.isna(text) or not str(text).strip() else f"not a number: {text!r}"
        raise InputError(f"row {row + 2} ({times[row].isoformat()}): {what}", where=where)
    if not allow_negative and (values < 0).any():
        row = int(np.flatnonzero(values < 0)[0])
        raise InputError(
            f"row {row + 2} ({times[row].isoformat()}): negative value {values[row]}", where=where
        )
    return values


def _step_minutes(times: pd.DatetimeIndex, where: str) -> int:
    """The file's regular step; duplicates, disorder, gaps and irregular steps are errors."""
    if len(times) < 2:
        raise InputError("need at least two rows to know the resolution", where=where)
    diffs = np.diff(times.asi8)
    for row in np.flatnonzero(diffs == 0)[:1]:
        raise InputError(
            f"rows {row + 2} and {row + 3}: duplicate timestamp {times[row].isoformat()}", where=where
        )
    for row in np.flatnonzero(diffs < 0)[:1]:
        raise InputError(
            f"row {row + 3}: timestamp {times[row + 1].isoformat()} is earlier than the row "
            "before; sort the file",
            where=where,
        )
    step = int(diffs.min())
    if step % _NS_PER_MIN:
        raise InputError(f"resolution {step / 1e9:g} s is not a whole number of minutes", where=where)
    for row in np.flatnonzero(diffs != step)[:1]:
        kind = "gap" if diffs[row] % step == 0 else "irregular step"
        raise InputError(
            f"{kind} between {times[row].isoformat()} and {times[row + 1].isoformat()} "
            f"(the file's resolution is {step // _NS_PER_MIN} min)",
            where=where,
        )
    return step // _NS_PER_MIN


def resample_kw(
    times: pd.DatetimeIndex,
    kw: np.ndarray,
    step_minutes: int,
    index: pd.DatetimeIndex,
    where: str = "profile",
) -> np.ndarray:
    """Mean kW over each interval of ``index`` from a regular kW series, conserving energy."""
    minutes = int((index[1] - index[0]).total_seconds() // 60)
    edges = np.concatenate([times.asi8, [times.asi8[-1] + step_minutes * _NS_PER_MIN]])
    targets = np.concatenate([index.asi8, [index.asi8[-1] + minutes * _NS_PER_MIN]])
    if targets[0] < edges[0] or targets[-1] > edges[-1]:
        first, last = pd.Timestamp(edges[0], tz="UTC"), pd.Timestamp(edges[-1], tz="UTC")
        tz = index.tz
        raise InputError(
            f"covers {first.tz_convert(tz).isoformat()} to {last.tz_convert(tz).isoformat()}, but the round "
            f"needs {index[0].isoformat()} to {(index[-1] + (index[1] - index[0])).isoformat()}",
            where=where,
        )
    cumulative = np.concatenate([[0.0], np.cumsum(kw * step_minutes / 60)])
    energy = np.interp(targets.astype(float), edges.astype(float), cumulative)
    return np.diff(energy) * 60 / minutes  # type: ignore[no-any-return]


def read_user_profiles(
    path: str | Path,
    index: pd.DatetimeIndex,
    *,
    columns: list[str] | None = None,
    unit: str | None = None,
    timezone: str | None = None,
    timestamp_column: str = "timestamp",
    allow_negative: bool = False,
) -> pd.DataFrame:
    """Every value column (or ``columns``) of a user CSV in kW over the round's ``index``."""
    path = Path(path)
    where = str(path)
    frame = _read(path)
    if timestamp_column not in frame.columns:
        raise InputError(
            f"no {timestamp_column!r} column; columns are {', '.join(frame.columns)}", where=where
        )
    wanted = columns or [c for c in frame.columns if c != timestamp_column]
    missing = [c for c in wanted if c not in frame.columns]
    if missing or not wanted:
        raise InputError(
            f"no column {missing[0] if missing else '(values)'!r}; columns are {', '.join(frame.columns)}",
            where=where,
        )
    tz = timezone or str(index.tz)
    times = parse_timestamps(frame[timestamp_column], tz, where)
    step = _step_minutes(times, where)
    out = {}
    for column in wanted:
        here = f"{where}, column {column!r}"
        values = _values(frame[column], times, allow_negative, here)
        kw = values * 60 / step if _unit_of(column, unit, here) == "kWh" else values
        out[column] = resample_kw(times, kw, step, index, here)
    return pd.DataFrame(out, index=index)


def read_user_profile(
    path: str | Path,
    index: pd.DatetimeIndex,
    *,
    column: str | None = None,
    unit: str | None = None,
    timezone: str | None = None,
    timestamp_column: str = "timestamp",
    allow_negative: bool = False,
) -> pd.Series:
    """One column of a user CSV in kW over ``index``; ``column`` may be omitted if there is only one."""
    frame = read_user_profiles(
        path,
        index,
        columns=[column] if column else None,
        unit=unit,
        timezone=timezone,
        timestamp_column=timestamp_column,
        allow_negative=allow_negative,
    )
    if frame.shape[1] != 1:
        raise InputError(f"several value columns ({', '.join(frame.columns)}); name one", where=str(path))
    return frame.iloc[:, 0]
