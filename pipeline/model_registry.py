"""The registry of SQL models: one readable line per file under ``sql/``.

``assets/models.py`` turns every entry into a Dagster asset (key ``[schema, table]``); the
runner in ``pipeline/sql_runner.py`` materializes it. Adding a model = one SQL file + one
line here.

Grains: ``daily`` models are partitioned by local date (``time_column``); ``weekly`` /
``monthly`` by ISO week / calendar month (``time_column`` = the period start date);
``None`` = unpartitioned, rebuilt whole.

``deps`` name upstream relations (``schema.table``), ``raw`` (every raw asset: one per source
plus ``raw/business_inputs``) or ``raw.business_inputs`` (that asset alone: the team's
spreadsheets, tables ``raw.input_*``). Unpartitioned models that read only the business inputs,
directly or through each other, are :data:`INPUT_ONLY_MODELS`: a run leaves them as they are
when neither their inputs nor their SQL changed (``pipeline/unchanged.py``).
A :class:`Dep` with ``start_offset`` < 0 reads that many earlier partitions too (e.g. MAU
reads 29 days back); ``end_offset`` > 0 reads later ones (response within 7 days).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pipeline.sql_runner import SqlModel


INPUTS = "raw.business_inputs"        # the dep on the business inputs alone (asset raw/business_inputs)


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
    clustered: bool = False           # rows written in time-column order (sql_runner.SqlModel)
    # A daily model whose rows of a date depend on the data of up to N later dates (a reply within
    # 7 days answers an earlier message): each build also rewrites the N dates before its window,
    # so a day's run brings them up to date with that day's data, as a backfill would have them.
    # Dagster records the materialization of the run's partitions only; its "window" metadata
    # names every date written.
    lookback_days: int = 0

    @property
    def schema(self) -> str:
        return self.path.split("/")[0]

    @property
    def model(self) -> SqlModel:
        return SqlModel(self.path, self.schema, self.time_column, self.clustered)

    @property
    def relation(self) -> str:
        return self.model.relation

    def dep_specs(self) -> list[Dep]:
        return [d if isinstance(d, Dep) else Dep(d) for d in self.deps]

    @property
    def code_version(self) -> str:
        """The model's code for Dagster: a digest of its SQL file."""
        return hashlib.sha256(self.model.sql.encode("utf-8")).hexdigest()[:16]


DAILY = dict(grain="daily", time_column="local_date")
MART_DAILY = dict(grain="daily", time_column="date")          # marts name their day `date`
WEEKLY = dict(grain="weekly", time_column="period_start")
MONTHLY = dict(grain="monthly", time_column="period_start")

MODELS: list[ModelSpec] = [
    # --- staging: canonical tables of spec §3 -------------------------------------------
    ModelSpec("staging/members.sql", deps=("raw",)),
    # business inputs (the team's spreadsheets; members.sql reads identity_map / member_profiles
    # from raw.input_* so it never needs these to be built first)
    ModelSpec("staging/identity_map.sql", deps=(INPUTS,)),
    ModelSpec("staging/member_profiles.sql", deps=(INPUTS,)),
    ModelSpec("staging/identity_merges.sql", deps=("staging.members",)),
    ModelSpec("staging/input_status.sql", deps=(INPUTS,)),
    ModelSpec("staging/goals.sql", deps=(INPUTS,)),
    ModelSpec("staging/campaigns.sql", deps=(INPUTS,)),
    ModelSpec("staging/campaign_participants.sql", deps=("raw", "staging.members")),
    ModelSpec("staging/content.sql", deps=(INPUTS,)),
    ModelSpec("staging/feedback.sql", deps=("raw", "staging.members")),
    ModelSpec("staging/costs.sql", deps=(INPUTS,)),
    ModelSpec("staging/conversions.sql", deps=("raw", "staging.members")),
    ModelSpec("staging/competitors.sql", deps=(INPUTS,)),
    ModelSpec("staging/plan.sql", deps=(INPUTS,)),
    ModelSpec("staging/incidents.sql", deps=(INPUTS,)),
    ModelSpec("staging/strategies.sql", deps=(INPUTS,)),
    ModelSpec("staging/messages.sql", deps=("raw", "staging.members"), **DAILY),
    ModelSpec("staging/reactions.sql", deps=("raw", "staging.members", "staging.messages"), **DAILY),
    ModelSpec("staging/membership_events.sql", deps=("raw", "staging.members"), **DAILY),
    # platform-computed aggregates (WeCom statistics): kept apart from the member-level tables
    ModelSpec("staging/daily_aggregates.sql", deps=("raw",), **DAILY),
    # --- intermediate and marts: appended below by section ------------------------------
    # intermediate: person-day facts and member lifecycle, shared by the marts below
    # clustered: every weekly and monthly KPI reads a window of it (sql_runner.SqlModel.clustered)
    ModelSpec("intermediate/person_days.sql", clustered=True,
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
    ModelSpec("marts/growth/aggregate_growth_daily.sql", section="growth", **MART_DAILY,
              deps=("staging.daily_aggregates",)),
    ModelSpec("marts/activity/aggregate_activity_daily.sql", section="activity", **MART_DAILY,
              deps=("staging.daily_aggregates",)),
    ModelSpec("marts/growth/growth_cohorts_weekly.sql", section="growth",
              deps=("staging.messages", "staging.reactions", "staging.membership_events",
                    "intermediate.person_lifecycle", "intermediate.person_days")),
    # content (user-generated)
    ModelSpec("marts/content/content_channel_daily.sql", section="content", **MART_DAILY,
              deps=("staging.members", "staging.messages")),
    # interaction (replies within 7 days of a top-level message: read 7 days ahead, and a day's
    # replies update the 7 days before it)
    ModelSpec("marts/interaction/interaction_threads.sql", section="interaction", **DAILY, lookback_days=7,
              deps=("staging.members", Dep("staging.messages", end_offset=7),
                    Dep("staging.reactions", end_offset=7))),
    # clustered: each report reads its period's pairs (the 4M rows of a year, narrow)
    ModelSpec("marts/interaction/interaction_connectors_daily.sql", section="interaction", clustered=True, **MART_DAILY,
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

# analytics sections (product.md §5.5, 5.9, 5.15, 5.18) and the acquisition-channel block of §5.4:
# member segments and profile distributions per report period, channel cohorts (unpartitioned: their
# week-4 figures keep changing), the strategy section's daily key metrics, trend forecasts from the
# period KPIs of the 8 periods up to each period (start_offset counts periods of the same grain).
MODELS += [
    ModelSpec("marts/activity/activity_segments_monthly.sql", section="activity", **MONTHLY,
              deps=("intermediate.person_lifecycle", "intermediate.person_days")),
    ModelSpec("marts/profile/profile_distribution_monthly.sql", section="profile", **MONTHLY,
              deps=("staging.members", "intermediate.person_lifecycle", "intermediate.person_days")),
    ModelSpec("marts/outlook/outlook_forecast_monthly.sql", section="outlook", **MONTHLY,
              deps=(Dep("marts.kpis_monthly", start_offset=-7),)),
    ModelSpec("marts/activity/activity_segments_weekly.sql", section="activity", **WEEKLY,
              deps=("intermediate.person_lifecycle", "intermediate.person_days")),
    ModelSpec("marts/profile/profile_distribution_weekly.sql", section="profile", **WEEKLY,
              deps=("staging.members", "intermediate.person_lifecycle", "intermediate.person_days")),
    ModelSpec("marts/outlook/outlook_forecast_weekly.sql", section="outlook", **WEEKLY,
              deps=(Dep("marts.kpis_weekly", start_offset=-7),)),
    ModelSpec("marts/growth/growth_channel_cohorts.sql", section="growth",
              deps=("staging.members", "staging.messages", "staging.reactions", "staging.membership_events",
                    "intermediate.person_lifecycle", "intermediate.person_days")),
    # a day's response rate is interaction_threads' of that day: rewritten as far back as those are
    ModelSpec("marts/strategy/strategy_metrics_daily.sql", section="strategy", **MART_DAILY, lookback_days=7,
              deps=("marts.activity_daily", "marts.growth_daily", "marts.interaction_threads")),
    # interest tags matched once per message when its day is modelled (the dictionary is a model
    # input: pipeline/interest_tags.py), so a report sums days instead of matching its period's text
    ModelSpec("marts/profile/interest_tags_daily.sql", section="profile", **MART_DAILY,
              deps=("staging.members", "staging.messages")),
]

# business sections (product.md §5.3, 5.7, 5.10-5.14): items of the team's inputs (unpartitioned, all
# history: a campaign's lift or an item's resolution keeps changing after its period), daily spend and
# conversions, and each section's period KPIs in the long form of kpis_<grain>; goals and competitors
# read every period KPI mart, so they come last.
MODELS += [
    ModelSpec("marts/campaigns/campaigns_summary.sql", section="campaigns",
              deps=("staging.campaigns", "staging.campaign_participants", "marts.activity_daily",
                    "marts.growth_daily")),
    ModelSpec("marts/feedback/feedback_items.sql", section="feedback", deps=("staging.feedback",)),
    ModelSpec("marts/plan/plan_items.sql", section="plan", deps=("staging.plan",)),
    ModelSpec("marts/incidents/incidents_items.sql", section="incidents", deps=("staging.incidents",)),
    ModelSpec("marts/cost/cost_daily.sql", section="cost", **MART_DAILY, deps=("staging.costs",)),
    ModelSpec("marts/cost/conversions_daily.sql", section="cost", **MART_DAILY, deps=("staging.conversions",)),
    ModelSpec("marts/campaigns/campaigns_kpis_weekly.sql", section="campaigns", **WEEKLY,
              deps=("marts.campaigns_summary",)),
    ModelSpec("marts/feedback/feedback_kpis_weekly.sql", section="feedback", **WEEKLY,
              deps=("marts.feedback_items",)),
    ModelSpec("marts/cost/cost_kpis_weekly.sql", section="cost", **WEEKLY,
              deps=("marts.cost_daily", "staging.conversions", "marts.kpis_weekly")),
    ModelSpec("marts/plan/plan_kpis_weekly.sql", section="plan", **WEEKLY, deps=("marts.plan_items",)),
    ModelSpec("marts/incidents/incidents_kpis_weekly.sql", section="incidents", **WEEKLY,
              deps=("marts.incidents_items",)),
    ModelSpec("marts/campaigns/campaigns_kpis_monthly.sql", section="campaigns", **MONTHLY,
              deps=("marts.campaigns_summary",)),
    ModelSpec("marts/feedback/feedback_kpis_monthly.sql", section="feedback", **MONTHLY,
              deps=("marts.feedback_items",)),
    ModelSpec("marts/cost/cost_kpis_monthly.sql", section="cost", **MONTHLY,
              deps=("marts.cost_daily", "staging.conversions", "marts.kpis_monthly")),
    ModelSpec("marts/plan/plan_kpis_monthly.sql", section="plan", **MONTHLY, deps=("marts.plan_items",)),
    ModelSpec("marts/incidents/incidents_kpis_monthly.sql", section="incidents", **MONTHLY,
              deps=("marts.incidents_items",)),
    ModelSpec("marts/goals/goals_attainment.sql", section="goals",
              deps=("staging.goals", "marts.kpis_weekly", "marts.kpis_monthly",
                    *(f"marts.{s}_kpis_{g}" for s in ("campaigns", "feedback", "cost", "plan", "incidents")
                      for g in ("weekly", "monthly")))),
    ModelSpec("marts/competitors/competitors_comparison.sql", section="competitors",
              deps=("staging.competitors", "marts.kpis_weekly", "marts.kpis_monthly",
                    *(f"marts.{s}_kpis_{g}" for s in ("campaigns", "feedback", "cost", "plan", "incidents")
                      for g in ("weekly", "monthly")))),
]


def _input_only(models: list[ModelSpec]) -> frozenset[str]:
    """Unpartitioned models whose every dep is the business inputs or another such model."""
    found: set[str] = set()
    for spec in models:                               # a topological order
        if spec.grain is None and spec.deps and all(d.relation == INPUTS or d.relation in found
                                                    for d in spec.dep_specs()):
            found.add(spec.relation)
    return frozenset(found)


INPUT_ONLY_MODELS = _input_only(MODELS)
