"""Times as people read them: local date-time with the zone, then the raw unix time."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flexunity.cli.timefmt import duration, when


def test_a_unix_time_reads_as_a_local_time_with_its_zone_and_the_raw_value() -> None:
    assert when(1796132116, ZoneInfo("Europe/Madrid")) == "2026-12-01 14:35:16 CET (unix 1796132116)"
    assert when(1781000000, ZoneInfo("Europe/London")) == "2026-06-09 11:13:20 BST (unix 1781000000)"


def test_durations_read_in_the_largest_sensible_units() -> None:
    assert [duration(s) for s in (0, 12.4, 250, 3900)] == ["0 s", "12 s", "4 min 10 s", "1 h 05 min"]
