"""How the raw tables are stored (pipeline.ingest.schema.ZSTD_COLUMNS): the columns whose values
are unique per row are written with ZSTD, free text with DuckDB's own choice, and a warehouse
whose raw tables an earlier version created (no compression named) loads the same rows.
Real export samples from ../shared/fixtures/real (Discord, Telegram)."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.ingest import loader
from pipeline.ingest.schema import CANDIDATE_COLUMNS, RAW_DDL, ZSTD_COLUMNS
from pipeline.warehouse import connect

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
DISCORD_GUILD = REAL / "discord" / "dcef-example-guild"
TELEGRAM_DM = REAL / "telegram" / "chat-analytics" / "DM_2A_7M.json"
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)

pytestmark = pytest.mark.skipif(not (DISCORD_GUILD.is_dir() and TELEGRAM_DM.is_file()),
                                reason=f"real export samples not found at {REAL}")


def _load(root: Path, before=None):
    landing = root / "landing"
    shutil.copytree(DISCORD_GUILD, landing / "discord")
    (landing / "telegram").mkdir()
    shutil.copy(TELEGRAM_DM, landing / "telegram")
    (root / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: Asia/Shanghai\nwarehouse: data/warehouse.duckdb\nsources:\n"
        f"  - {{name: discord, platform: discord, path: {landing / 'discord'}}}\n"
        f"  - {{name: tg, platform: telegram, path: {landing / 'telegram'}}}\n", encoding="utf-8")
    config = load_config(root / "community.yaml")
    conn = connect(config.warehouse)
    if before:
        before(conn)
    for source in config.sources:
        assert loader.ingest_source(conn, config, source, now=NOW).count("loaded") >= 1
    conn.execute("checkpoint")
    return conn


def _compression(conn, table: str) -> dict[str, set[str]]:
    """Column -> the compressions of its stored VARCHAR segments."""
    rows = conn.execute("select column_name, compression from pragma_storage_info($t) "
                        "where segment_type = 'VARCHAR'", {"t": table}).fetchall()
    out: dict[str, set[str]] = {}
    for column, compression in rows:
        out.setdefault(column, set()).add(compression)
    return out


def test_unique_per_row_columns_are_stored_with_zstd_and_text_is_not(tmp_path):
    conn = _load(tmp_path)
    assert set(ZSTD_COLUMNS) == {"messages", "reactions"}
    for entity, columns in ZSTD_COLUMNS.items():
        assert conn.execute(f"select count(*) from raw.{entity}").fetchone()[0] > 0, entity
        stored = _compression(conn, f"raw.{entity}")
        for column in columns:
            assert stored[column] == {"ZSTD"}, (entity, column)
    messages = _compression(conn, "raw.messages")
    assert "ZSTD" not in messages["text"] and "ZSTD" not in messages["author_name"]


def test_a_warehouse_whose_raw_tables_name_no_compression_loads_the_same_rows(tmp_path):
    def earlier_version(conn):
        # the raw tables as an earlier version created them: RAW_DDL without the compression clauses
        for ddl in RAW_DDL:
            conn.execute(ddl.replace(" USING COMPRESSION zstd", ""))

    old = _load(tmp_path / "old", before=earlier_version)
    new = _load(tmp_path / "new")
    for entity in CANDIDATE_COLUMNS:
        assert old.execute(f"select * from raw.{entity} order by all").fetchall() == \
            new.execute(f"select * from raw.{entity} order by all").fetchall(), entity
    assert "ZSTD" not in set().union(*_compression(old, "raw.messages").values())
    assert _compression(new, "raw.messages")["message_id"] == {"ZSTD"}
