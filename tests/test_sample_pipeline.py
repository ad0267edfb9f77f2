"""The demo path: generate the small sample community, `community-report run` it, and compare the
warehouse with the generator's own ground truth (data/sample_truth.json), an independent count
made while the exports were written."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from pipeline.cli import main
from pipeline.sample.generator import generate_sample

REQUIRED_KPIS = {"new_members", "left_members", "net_growth", "total_members", "avg_dau", "wau", "mau",
                 "stickiness", "messages", "active_members", "activation_rate_7d", "churn_rate",
                 "response_rate", "median_first_response_minutes", "reactions_per_message"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    config = generate_sample(root, scale="small", seed=7, language="zh")
    assert main(["run", "--config", str(config)]) == 0
    truth = json.loads((root / "data" / "sample_truth.json").read_text("utf-8"))
    conn = duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True)
    yield root, truth, conn
    conn.close()


def test_messages_per_source_and_kind_match_truth(sample):
    _, truth, conn = sample
    for source, t in truth["sources"].items():
        staged = dict(conn.execute("select kind, count(*) from staging.messages where source = $s group by kind",
                                   {"s": source}).fetchall())
        assert staged == {k: t["messages"][k] for k in ("message", "reply", "system")}, source
        bots = conn.execute("select count(*) from staging.messages where source = $s and is_bot",
                            {"s": source}).fetchone()[0]
        assert bots == t["bot_messages"]["total"], source


def test_membership_events_match_truth(sample):
    _, truth, conn = sample
    for source, t in truth["sources"].items():
        events = dict(conn.execute(
            "select event, count(*) from staging.membership_events where source = $s group by event",
            {"s": source}).fetchall())
        # the truth's join count includes the bot accounts' joins ("bot_join" says how many)
        assert events.get("join", 0) == t["membership_events"]["join"], source
        assert events.get("leave", 0) == t["membership_events"]["leave"], source


def test_daily_human_messages_match_truth(sample):
    _, truth, conn = sample
    daily = {str(d): n for d, n in conn.execute("select date, messages from marts.activity_daily").fetchall()}
    expected = {d: n for d, n in truth["daily_messages"].items()}
    assert {d: daily.get(d, 0) for d in expected} == expected
    assert sum(daily.values()) == truth["totals"]["human_content_messages"]


def test_raw_rows_are_staged_quarantined_or_duplicates(sample):
    _, truth, conn = sample
    for source, t in truth["sources"].items():
        read, loaded, quarantined = conn.execute(
            "select sum(messages_read), sum(messages_loaded), sum(messages_quarantined) from raw.files "
            "where source = $s and status = 'loaded'", {"s": source}).fetchone()
        staged = conn.execute("select count(*) from staging.messages where source = $s", {"s": source}).fetchone()[0]
        assert read == t["message_rows_in_files"], source
        assert read == loaded + quarantined
        duplicates = loaded - staged
        assert duplicates == t["message_rows_in_files"] - t["messages"]["total"] - quarantined, source
    assert conn.execute("select count(*) from raw.files where status = 'failed'").fetchone()[0] == 0


def test_every_complete_period_has_a_report(sample):
    root, _, conn = sample
    weeks = sorted(p.name for p in (root / "reports" / "weekly").iterdir())
    # the sample covers Monday 2026-08-03 .. Sunday 2026-11-22: 16 ISO weeks
    assert len(weeks) == 16 and weeks[0] == "2026-08-03" and weeks[-1] == "2026-11-16"
    months = sorted(p.name for p in (root / "reports" / "monthly").iterdir())
    assert months[:3] == ["2026-08-01", "2026-09-01", "2026-10-01"]
    for folder in [root / "reports" / "weekly" / w for w in weeks]:
        metrics = json.loads((folder / "metrics.json").read_text("utf-8"))["metrics"]
        assert REQUIRED_KPIS <= set(metrics)
        assert set(metrics["messages"]) >= {"value", "previous", "change"}
        html = (folder / "report.html").read_text("utf-8")
        # self-contained: nothing is loaded from elsewhere (member text may mention URLs as text)
        assert "<svg" in html and "<script" not in html
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    # metrics.json equals the mart for the last week
    last = json.loads((root / "reports" / "weekly" / weeks[-1] / "metrics.json").read_text("utf-8"))["metrics"]
    mart = dict(conn.execute("select metric, value from marts.kpis_weekly where period_start = date '2026-11-16'")
                .fetchall())
    for key in REQUIRED_KPIS:
        assert last[key]["value"] == mart[key], key


def test_documents_only_for_the_newest_periods_then_on_demand(sample):
    """`run` (default --documents latest) makes report.pdf and report.pptx for the newest week
    and month only; the report/weekly_report_documents asset makes a past week's on demand,
    and re-rendering that week's report removes the documents that no longer match its page."""
    from contextlib import contextmanager
    from datetime import date

    import dagster as dg
    from pptx import Presentation

    from pipeline.config import load_config
    from pipeline.definitions import build_definitions
    from pipeline.periods import period_containing
    from pipeline.report.batch import render_periods
    from pipeline.runner import prepare_dagster_home

    root, _, conn = sample
    reports = root / "reports"
    for name in ("report.pdf", "report.pptx"):
        with_doc = sorted(str(p.parent.relative_to(reports)) for p in reports.glob(f"*/*/{name}"))
        assert with_doc == ["monthly/2026-11-01", "weekly/2026-11-16"], name
    newest = reports / "weekly" / "2026-11-16"
    assert (newest / "report.pdf").read_bytes()[:5] == b"%PDF-"
    # every chart of the page rasterised for the documents, none left over
    assert sorted(p.stem for p in (newest / "charts").glob("*.png")) == sorted(
        p.stem for p in (newest / "charts").glob("*.svg"))
    past = reports / "weekly" / "2026-09-07"
    assert not list((past / "charts").glob("*.png")) and (past / "sections.json").is_file()

    config = load_config(root / "community.yaml")
    prepare_dagster_home(config)
    defs = build_definitions(config)
    html_before = (past / "report.html").read_bytes()
    result = dg.materialize(list(defs.assets), selection=[dg.AssetKey(["report", "weekly_report_documents"])],
                            partition_key="2026-09-07", instance=dg.DagsterInstance.get(), resources=defs.resources)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("report__weekly_report_documents")
    assert materialization.metadata["pdf_path"].value == str(past / "report.pdf")
    assert materialization.metadata["pptx_path"].value == str(past / "report.pptx")
    assert (past / "report.pdf").read_bytes()[:5] == b"%PDF-"
    # the deck from sections.json: the title slide, then one slide per section of the page
    sections = json.loads((past / "sections.json").read_text(encoding="utf-8"))["sections"]
    prs = Presentation(str(past / "report.pptx"))
    assert len(prs.slides) == 1 + len(sections)
    assert [s.shapes.title.text for s in list(prs.slides)[1:]] == [s["title"] for s in sections]
    assert (past / "report.html").read_bytes() == html_before          # the documents step only reads the page

    @contextmanager
    def same_connection():
        yield conn

    (past / "report.html").unlink()
    render_periods(config, [period_containing("weekly", date(2026, 9, 7))], None, same_connection, documents=False)
    assert not (past / "report.pdf").exists() and not (past / "report.pptx").exists()
    assert not list((past / "charts").glob("*.png"))
    assert (past / "report.html").is_file() and list((past / "charts").glob("*.svg"))

    from pipeline.report.batch import write_period_documents
    with pytest.raises(FileNotFoundError, match=r"weekly/2025-01-06"):
        write_period_documents(config, [period_containing("weekly", date(2025, 1, 6))])


def test_report_lists_the_latest_result_of_every_check(sample):
    """The report's quality appendix reads each check's latest evaluation from the asset-check
    index: the same results as a scan of every check event in the run history (the independent
    path, which opens every run's database), and every check is listed in the newest report."""
    import html

    import dagster as dg

    from pipeline.config import load_config
    from pipeline.definitions import build_definitions
    from pipeline.quality.check_results import latest_check_results
    from pipeline.runner import prepare_dagster_home

    root, _, _ = sample
    config = load_config(root / "community.yaml")
    prepare_dagster_home(config)
    instance = dg.DagsterInstance.get()
    keys = build_definitions(config).resolve_asset_graph().asset_check_keys
    got = latest_check_results(instance, keys)

    expected = {}
    for record in instance.event_log_storage.get_event_records(
            dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION), ascending=False):
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        expected.setdefault((evaluation.asset_key.to_user_string(), evaluation.check_name), bool(evaluation.passed))
    assert {(r["asset"], r["name"]): r["passed"] for r in got} == expected
    assert len(got) == len(keys) > 10                     # `run` ran every check
    page = (root / "reports" / "weekly" / "2026-11-16" / "report.html").read_text(encoding="utf-8")
    for r in got:
        assert html.escape(r["name"]) in page, r["name"]


def _files(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_report_built_in_parts_by_two_workers_is_the_report_of_one_process(sample, tmp_path, monkeypatch):
    """A run with fewer reports than report workers (a daily update: its week's) builds each in
    parts, one per worker (SharedWorkers._report_in_parts; render.build_part / write_parts), then
    writes its files in one of them. Every file (page, Markdown, charts, metrics.json,
    sections.json) is byte for byte the one render_report writes in one process, for the
    newest week and month of the sample (every section filled, business inputs included)."""
    import dataclasses

    from pipeline.config import load_config
    from pipeline.periods import period_containing
    from pipeline.report import batch, render

    root, _, conn = sample
    submitted = []
    real_submit = batch.SharedWorkers._submit
    monkeypatch.setattr(batch.SharedWorkers, "_submit", lambda self, priority, function, *args: (
        submitted.append((function.__name__, args[-1] if function is batch._report_part_in_worker else None))
        or real_submit(self, priority, function, *args)))
    config = dataclasses.replace(load_config(root / "community.yaml"), report_workers=2,
                                 reports_dir=tmp_path / "parts")
    from datetime import date
    for period in (period_containing("weekly", date(2026, 11, 16)), period_containing("monthly", date(2026, 10, 1))):
        render.render_report(conn, config, period, tmp_path / "one" / period.grain, None, documents=False)
        with batch.SharedWorkers(config) as workers:
            workers.start()
            workers.start_reports(config, [period], None)
            assert ("report", batch.report_dir(config, period), config.language) in workers._early
            workers.report_future(config, period, None, False).result(timeout=600)
        assert submitted[-3:] == [("_report_part_in_worker", "core"), ("_report_part_in_worker", "registered"),
                                  ("_write_parts_in_worker", None)]
        one, parts = _files(tmp_path / "one" / period.grain), _files(batch.report_dir(config, period))
        assert sorted(parts) == sorted(one) and len([n for n in one if n.startswith("charts/")]) >= 10
        for name in one:
            assert parts[name] == one[name], (period.key, name)
