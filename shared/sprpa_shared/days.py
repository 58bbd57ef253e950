"""Days a query may name: real calendar days, bounded so that a filter's date arithmetic (the day
after `to`, a period's length) can never overflow into a server error (`to=9999-12-31`)."""

from __future__ import annotations

from datetime import date

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
BOUNDS = {"ge": EARLIEST, "le": LATEST}
