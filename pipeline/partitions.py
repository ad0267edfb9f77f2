"""Partition definitions: daily local dates, ISO weeks (Monday start) and calendar months.

They depend on the community (history start, time zone), so they are built from the config.
Weekly partitions use ``day_offset=1``: Dagster's default week starts on Sunday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import dagster as dg

from pipeline.config import CommunityConfig


@dataclass(frozen=True)
class Partitions:
    daily: dg.DailyPartitionsDefinition
    weekly: dg.WeeklyPartitionsDefinition
    monthly: dg.MonthlyPartitionsDefinition

    def for_grain(self, grain: str | None):
        return {"daily": self.daily, "weekly": self.weekly, "monthly": self.monthly, None: None}[grain]


def build_partitions(config: CommunityConfig) -> Partitions:
    start = config.history_start
    monday = start - timedelta(days=start.weekday())
    # end_offset=1: today's (incomplete) day is a partition too, so a daily run can refresh it;
    # weeks and months only exist once they are over.
    return Partitions(
        daily=dg.DailyPartitionsDefinition(start_date=start.isoformat(), timezone=config.timezone, end_offset=1),
        weekly=dg.WeeklyPartitionsDefinition(start_date=monday.isoformat(), timezone=config.timezone, day_offset=1),
        monthly=dg.MonthlyPartitionsDefinition(start_date=start.replace(day=1).isoformat(), timezone=config.timezone),
    )
