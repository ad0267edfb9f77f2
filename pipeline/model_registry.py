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

MODELS: list[ModelSpec] = [
    # --- staging: canonical tables of spec §3 -------------------------------------------
    ModelSpec("staging/members.sql", deps=("raw",)),
    ModelSpec("staging/messages.sql", deps=("raw", "staging.members"), **DAILY),
    ModelSpec("staging/reactions.sql", deps=("raw", "staging.members", "staging.messages"), **DAILY),
    ModelSpec("staging/membership_events.sql", deps=("raw", "staging.members"), **DAILY),
    # --- intermediate and marts: appended below by section ------------------------------
]
