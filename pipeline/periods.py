"""Report periods: ISO weeks (Monday..Sunday) and calendar months, as half-open date windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    grain: str          # weekly | monthly
    start: date         # inclusive
    end: date           # exclusive

    @property
    def key(self) -> str:
        """Folder/partition key: the ISO week's Monday or the month's first day (YYYY-MM-DD)."""
        return self.start.isoformat()

    @property
    def label(self) -> str:
        if self.grain == "weekly":
            y, w, _ = self.start.isocalendar()
            return f"{y}-W{w:02d}"
        return self.start.strftime("%Y-%m")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> "Period":
        if self.grain == "weekly":
            return Period("weekly", self.start - timedelta(days=7), self.start)
        prev_start = (self.start - timedelta(days=1)).replace(day=1)
        return Period("monthly", prev_start, self.start)

    def next(self) -> "Period":
        return period_containing(self.grain, self.end)


def period_containing(grain: str, d: date) -> Period:
    if grain == "weekly":
        start = d - timedelta(days=d.weekday())
        return Period("weekly", start, start + timedelta(days=7))
    if grain == "monthly":
        start = d.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return Period("monthly", start, end)
    raise ValueError(f"unknown grain {grain!r}")


def periods_between(grain: str, first: date, last: date, complete_only: bool = False) -> list[Period]:
    """Every period overlapping [first, last]; with complete_only, only those ending by last."""
    out = []
    p = period_containing(grain, first)
    while p.start <= last:
        if not complete_only or p.last_day <= last:
            out.append(p)
        p = p.next()
    return out
