"""When an offer must be answered: the kabupaten's SLA in hours, in its own time zone (pure).

Indonesia has three time zones and no daylight saving. Where weekends do not count, the hours
run only from Monday 00:00 to Saturday 00:00 local time: an offer made on Friday evening with
a 48-hour SLA is due on Tuesday evening.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sprpa_shared.zones import zone_of

SATURDAY = 5


def deadline(start: datetime, hours: int, *, weekends_count: bool, place_code: str) -> datetime:
    """`hours` of SLA from `start`, skipping Saturdays and Sundays unless they count; UTC out."""
    if weekends_count:
        return start + timedelta(hours=hours)
    zone = zone_of(place_code)
    at = start.astimezone(zone)
    left = timedelta(hours=hours)
    while True:
        if at.weekday() >= SATURDAY:  # jump to Monday 00:00
            at = (at + timedelta(days=7 - at.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        week_end = (at + timedelta(days=SATURDAY - at.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        if left <= week_end - at:
            return (at + left).astimezone(start.tzinfo)
        left -= week_end - at
        at = week_end
