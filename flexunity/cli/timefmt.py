"""Times as people read them: a local date-time with its zone, next to the raw unix time."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def when(unix_time: int, tz: tzinfo | None = None) -> str:
    """``2026-12-01 16:05:00 CET (unix 1796137500)``: local time (or ``tz``) with the zone, then raw."""
    moment = datetime.fromtimestamp(int(unix_time), UTC).astimezone(tz)
    zone = moment.tzname() or moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone} (unix {int(unix_time)})"


def duration(seconds: float) -> str:
    """``1 h 05 min``, ``4 min 10 s``, ``12 s``."""
    s = max(0, round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"
