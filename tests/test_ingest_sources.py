"""Several sources loaded by one step (pipeline.ingest.loader.ingest_sources, the raw multi-asset):
side by side for small loads, with the rows and export numbers of loading them one after the
other. Real export samples from ../shared/fixtures/real (Slack, Discord, Telegram)."""

from __future__ import annotations

import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from pipeline.config import load_config
from pipeline.ingest import loader
from pipeline.warehouse import connect

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
SLACK_ZIP = REAL / "slack" / "slack-export-viewer" / "testarchive.zip"
DISCORD_GUILD = REAL / "discord" / "dcef-example-guild"
TELEGRAM_DM = REAL / "telegram" / "chat-analytics" / "DM_2A_7M.json"
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
TABLES = ("messages", "users", "user_repeats", "reactions", "membership_events", "quarantine", "files",
          "message_authors", "reaction_users")

pytestmark = pytest.mark.skipif(not (SLACK_ZIP.is_file() and DISCORD_GUILD.is_dir() and TELEGRAM_DM.is_file()),
                                reason=f"real export samples not found at {REAL}")


def _project(root: Path) -> Path:
    landing = root / "landing"
    (landing / "slack").mkdir(parents=True)
    shutil.copy(SLACK_ZIP, landing / "slack")
    shutil.copytree(DISCORD_GUILD, landing / "discord")
    (landing / "telegram").mkdir()
    shutil.copy(TELEGRAM_DM, landing / "telegram")
    config = root / "community.yaml"
    config.write_text(
        "community:\n  name: Test\n  timezone: Asia/Shanghai\nwarehouse: data/warehouse.duckdb\nsources:\n"
        f"  - {{name: slack_main, platform: slack, path: {landing / 'slack'}}}\n"
        f"  - {{name: discord, platform: discord, path: {landing / 'discord'}}}\n"
        f"  - {{name: tg, platform: telegram, path: {landing / 'telegram'}}}\n", encoding="utf-8")
    return config


def _contents(conn) -> dict[str, list[tuple]]:
    return {t: conn.execute(f"select * from raw.{t} order by all").fetchall() for t in TABLES}


def _side_by_side_loads(monkeypatch, parties: int) -> list[str]:
    """Make every source's load wait until ``parties`` loads are running at once (a barrier: loads
    one after the other would never get there and fail it); returns the threads' names."""
    barrier, threads, real = threading.Barrier(parties, timeout=30), [], loader._load_plan

    def load(conn, config, plan, now):
        threads.append(threading.current_thread().name)
        barrier.wait()
        return real(conn, config, plan, now)

    monkeypatch.setattr(loader, "_load_plan", load)
    return threads


def test_sources_load_side_by_side_with_the_rows_and_numbers_of_one_after_the_other(tmp_path, monkeypatch):
    one_by_one = load_config(_project(tmp_path / "a"))
    conn = connect(one_by_one.warehouse)
    expected = [loader.ingest_source(conn, one_by_one, source, now=NOW) for source in one_by_one.sources]
    before = _contents(conn)
    conn.close()
    assert all(r.count("loaded") >= 1 for r in expected)

    together = load_config(_project(tmp_path / "b"))
    threads = _side_by_side_loads(monkeypatch, len(together.sources))
    conn = connect(together.warehouse)
    results = loader.ingest_sources(conn, together, list(together.sources), now=NOW)
    assert len(threads) == 3 and threading.current_thread().name not in threads
    assert [(r.source, r.first_seq, [(u.file_path, u.status, u.rows_loaded) for u in r.units]) for r in results] == \
        [(r.source, r.first_seq, [(u.file_path, u.status, u.rows_loaded) for u in r.units]) for r in expected]
    after = _contents(conn)
    assert all(after[table] for table in ("messages", "users", "reactions", "files"))
    assert after == before              # every row, its export number (file_seq) included
    # loading again adds nothing (every unit is skipped)
    again = loader.ingest_sources(conn, together, list(together.sources), now=NOW)
    assert all(r.count("loaded") == 0 and r.count("skipped") == len(r.units) for r in again)
    assert _contents(conn) == after
    conn.close()


def test_big_loads_go_one_source_after_the_other(tmp_path, monkeypatch):
    config = load_config(_project(tmp_path))
    monkeypatch.setattr(loader, "SIDE_BY_SIDE_SOURCE_BYTES", 1000)        # every load here is bigger
    threads, real = [], loader._load_plan
    monkeypatch.setattr(loader, "_load_plan", lambda *a: threads.append(threading.current_thread().name) or real(*a))
    conn = connect(config.warehouse)
    results = loader.ingest_sources(conn, config, list(config.sources), now=NOW)
    assert threads == [threading.current_thread().name] * 3
    assert [r.first_seq for r in results] == [1, 2, 2 + results[1].count("loaded")]
    conn.close()


def _failing_discord(monkeypatch, side_by_side: bool) -> None:
    """Discord's load raises (after the three loads have started, when side by side)."""
    barrier, real = threading.Barrier(3, timeout=30), loader._load_plan

    def load(conn, cfg, plan, now):
        if side_by_side:
            barrier.wait()
        if plan.source.name == "discord":
            raise OSError("disk full")
        return real(conn, cfg, plan, now)

    monkeypatch.setattr(loader, "_load_plan", load)


@pytest.mark.parametrize("side_by_side", [True, False])
def test_a_source_that_fails_is_returned_and_the_others_load(tmp_path, monkeypatch, side_by_side):
    config = load_config(_project(tmp_path))
    if not side_by_side:
        monkeypatch.setattr(loader, "SIDE_BY_SIDE_SOURCE_BYTES", 1000)
    _failing_discord(monkeypatch, side_by_side)
    conn = connect(config.warehouse)
    slack, discord, tg = loader.ingest_sources(conn, config, list(config.sources), now=NOW)
    assert isinstance(discord, OSError) and str(discord) == "disk full"
    assert slack.count("loaded") == 1 and tg.count("loaded") == 1
    assert conn.execute("select source, count(*) from raw.files group by 1 order by 1").fetchall() == [
        ("slack_main", 1), ("tg", 1)]
    conn.close()


def test_the_raw_step_fails_naming_the_source_after_materializing_the_others(tmp_path, monkeypatch):
    from pipeline.definitions import build_definitions

    config = load_config(_project(tmp_path))
    _failing_discord(monkeypatch, True)
    defs = build_definitions(config)
    result = dg.materialize(list(defs.assets), selection=[dg.AssetKey(["raw", s.name]) for s in config.sources],
                            resources=defs.resources, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    assert sorted(e.asset_key.to_user_string() for e in result.get_asset_materialization_events()) == [
        "raw/slack_main", "raw/tg"]
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.step_failure_data.error.to_string()
    assert "raw source discord" in message and "disk full" in message


def test_the_raw_step_materializes_the_sources_it_is_asked_for(tmp_path):
    """The raw assets are made by one step: a run of one of them (the landing sensor asks for the
    sources whose folders changed) loads that source only, and materializes it only."""
    from pipeline.definitions import build_definitions

    config = load_config(_project(tmp_path))
    defs = build_definitions(config)
    assets = list(defs.assets) + list(defs.asset_checks)
    result = dg.materialize(assets, selection=[dg.AssetKey(["raw", "tg"])], resources=defs.resources,
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert [e.asset_key for e in result.get_asset_materialization_events()] == [dg.AssetKey(["raw", "tg"])]
    conn = connect(config.warehouse)
    assert conn.execute("select distinct source from raw.files").fetchall() == [("tg",)]
    conn.close()
    result = dg.materialize(assets, selection=[dg.AssetKey(["raw", "slack_main"]), dg.AssetKey(["raw", "discord"])],
                            resources=defs.resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert sorted(e.asset_key.to_user_string() for e in result.get_asset_materialization_events()) == [
        "raw/discord", "raw/slack_main"]
    metadata = {e.asset_key.to_user_string(): e.materialization.metadata
                for e in result.get_asset_materialization_events()}
    assert metadata["raw/slack_main"]["exports_loaded"].value == 1
    assert metadata["raw/discord"]["exports_loaded"].value == len(list(DISCORD_GUILD.rglob("*.json")))
