"""Pluggable report sections beyond the core ones built in ``render.build_sections``.

A section module registers a builder with :func:`section`; ``render.build_part`` calls every
registered builder with a :class:`SectionContext` and places the result by
:data:`SECTION_ORDER` (the 18 sections of product.md §5, then the appendices). A builder
returns the :class:`~pipeline.report.render.Section` and the KPIs it adds to metrics.json
(name -> :class:`~pipeline.report.data.Kpi`, value + previous + change, from marts only).

Adding a section = one module here (imported in :func:`load_all`), its marts under
``sql/marts/<section>/``, its labels in ``pipeline/report/i18n.py``.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

import duckdb

from pipeline.config import CommunityConfig
from pipeline.periods import Period

# The two halves of a report's sections that can be built apart (render.build_part, e.g. in two
# worker processes: pipeline/report/batch.py): the core sections of render.build_sections with
# their extra blocks, and the sections registered here.
REPORT_PARTS = ("core", "registered")

# product.md §5 order; slugs of the core sections are those of render.build_sections
SECTION_ORDER = [
    "summary", "overview", "goals", "growth", "activity", "content", "campaigns", "interaction",
    "profile", "feedback", "competitors", "cost", "plan", "incidents", "strategy",
    "recommendations", "next_plan", "outlook", "quality", "glossary",
]


@dataclass
class SectionContext:
    conn: duckdb.DuckDBPyConnection
    config: CommunityConfig
    period: Period
    data: object            # pipeline.report.data.ReportData (core KPIs and tables)
    f: object               # pipeline.report.i18n.Formatter (the one place values are formatted)
    _member_texts: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def member_text_count(self, period: Period) -> int:
        """The period's member messages with text (``queries/member_texts.sql``), counted once per
        report: the profile (interest tags) and the content section (keywords) both need the
        current period's count, a scan of the period's messages (~0.5 s for a month of 1M)."""
        if period not in self._member_texts:
            from pipeline.report.sections._text import member_text_count
            self._member_texts[period] = member_text_count(self.conn, period)
        return self._member_texts[period]


Builder = Callable[[SectionContext], tuple]      # -> (Section, dict[str, Kpi])
BUILDERS: dict[str, Builder] = {}


def section(slug: str):
    """Register the builder of section ``slug`` (must be in SECTION_ORDER)."""
    if slug not in SECTION_ORDER:
        raise ValueError(f"unknown section slug {slug!r}; add it to SECTION_ORDER")

    def register(fn: Builder) -> Builder:
        BUILDERS[slug] = fn
        return fn

    return register


def load_all() -> dict[str, Builder]:
    """Import every module of this package (each registers its builders)."""
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
    return BUILDERS
