"""The registry of SQL models: one readable line per file under ``sql/``.

``assets/models.py`` turns every entry into a Dagster asset (key ``[schema, table]``); the
runner in ``pipeline/sql_runner.py`` materializes it. Adding a model = one SQL file + one
line here.

Grains: ``daily`` models are partitioned by local date (``time_column``); ``weekly`` /
``monthly`` by ISO week / calendar month (``time_column`` = the period start date);
``None`` = unpartitioned, rebuilt whole.

``deps`` name upstream relations (``schema.table``) or ``raw`` (every raw source asset).
A :class:`Dep` with ``start_offset`` < 0 reads that many earlier partitions too (e.g. MAU
reads 29 days back); ``end_offset`` > 0 reads later ones (response within 7 days).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.sql_runner import SqlModel


@dataclass(frozen=True)
class Dep:
    relation: str
    start_offset: int = 0
    end_offset: int = 0


@dataclass(frozen=True)
class ModelSpec:
    path: str
    grain: str | None = None          # daily | weekly | monthly | None
    time_column: str | None = None
    deps: tuple = ()                  # of str (relation) or Dep
    section: str | None = None        # report section tag (marts)

    @property
    def schema(self) -> str:
        return self.path.split("/")[0]

    @property
    def model(self) -> SqlModel:
        return SqlModel(self.path, self.schema, self.time_column)

    @property
    def relation(self) -> str:
        return self.model.relation

    def dep_specs(self) -> list[Dep]:
        return [d if isinstance(d, Dep) else Dep(d) for d in self.deps]


DAILY = dict(grain="daily", time_column="local_date")
MART_DAILY = dict(grain="daily", time_column="date")          # marts name their day `date`
WEEKLY = dict(grain="weekly", time_column="period_start")
MONTHLY = dict(grain="monthly", time_column="period_start")

MODELS: list[ModelSpec] = [
    # --- staging: canonical tables of spec §3 -------------------------------------------
    ModelSpec("staging/members.sql", deps=("raw",)),
    ModelSpec("staging/messages.sql", deps=("raw", "staging.members"), **DAILY),
    ModelSpec("staging/reactions.sql", deps=("raw", "staging.members", "staging.messages"), **DAILY),
    ModelSpec("staging/membership_events.sql", deps=("raw", "staging.members"), **DAILY),
    # --- intermediate and marts: appended below by section ------------------------------
    # intermediate: person-day facts and member lifecycle, shared by the marts below
    ModelSpec("intermediate/person_days.sql",
              deps=("staging.members", "staging.messages", "staging.reactions"), **DAILY),
    ModelSpec("intermediate/person_lifecycle.sql",
              deps=("staging.members", "staging.membership_events", "intermediate.person_days")),
    # activity (DAU/WAU/MAU read person_days 29 days back)
    ModelSpec("marts/activity/activity_daily.sql", section="activity", **MART_DAILY,
              deps=("staging.members", "staging.messages", "staging.reactions", "staging.membership_events",
                    Dep("intermediate.person_days", start_offset=-29))),
    ModelSpec("marts/activity/activity_by_source_daily.sql", section="activity", **MART_DAILY,
              deps=("staging.members", "staging.messages", "staging.reactions", "staging.membership_events")),
    ModelSpec("marts/activity/activity_heatmap_daily.sql", section="activity", **MART_DAILY,
              deps=("staging.members", "staging.messages")),
    # growth & retention
    ModelSpec("marts/growth/growth_daily.sql", section="growth", **MART_DAILY,
              deps=("staging.messages", "staging.reactions", "staging.membership_events",
                    "intermediate.person_lifecycle")),
    ModelSpec("marts/growth/growth_by_source_daily.sql", section="growth", **MART_DAILY,
              deps=("staging.messages", "staging.reactions", "staging.membership_events",
                    "intermediate.person_lifecycle")),
    ModelSpec("marts/growth/growth_cohorts_weekly.sql", section="growth",
              deps=("staging.messages", "staging.reactions", "staging.membership_events",
                    "intermediate.person_lifecycle", "intermediate.person_days")),
    # content (user-generated)
    ModelSpec("marts/content/content_channel_daily.sql", section="content", **MART_DAILY,
              deps=("staging.members", "staging.messages")),
    # interaction (replies within 7 days of a top-level message: read 7 days ahead)
    ModelSpec("marts/interaction/interaction_threads.sql", section="interaction", **DAILY,
              deps=("staging.members", Dep("staging.messages", end_offset=7),
                    Dep("staging.reactions", end_offset=7))),
    ModelSpec("marts/interaction/interaction_connectors_daily.sql", section="interaction", **MART_DAILY,
              deps=("staging.members", "staging.messages")),
    # overview
    ModelSpec("marts/overview/overview_sources.sql", section="overview",
              deps=("staging.members", "staging.messages", "staging.reactions", "staging.membership_events",
                    "intermediate.person_lifecycle")),
    # period KPIs (one SQL body, two files). Offsets count periods (Dagster's unit between grains):
    # MAU of the first day and the previous period (churn) before, activation days 0-6 after.
    # assets/models.py currently drops offsets between different grains.
    ModelSpec("marts/kpis/kpis_weekly.sql", section="summary", **WEEKLY,
              deps=("staging.members", "staging.messages", "staging.reactions",
                    Dep("intermediate.person_days", start_offset=-5, end_offset=1),
                    "intermediate.person_lifecycle", "marts.interaction_threads")),
    ModelSpec("marts/kpis/kpis_monthly.sql", section="summary", **MONTHLY,
              deps=("staging.members", "staging.messages", "staging.reactions",
                    Dep("intermediate.person_days", start_offset=-2, end_offset=1),
                    "intermediate.person_lifecycle", "marts.interaction_threads")),
]
