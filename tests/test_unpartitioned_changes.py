"""Unpartitioned models are given only the rows that differ (pipeline/sql_runner.py, _apply_changes).

Each test builds a real DuckDB warehouse file, materializes a model whose SQL reads a source
table the test edits, and checks the table against the source row for row (as a multiset:
duplicates and NULLs included), the ``rows_changed`` it reports (deleted + inserted, worked out
by hand), and that the rows left alone were not written again (same rowid, an idle WAL).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest

from pipeline.sql_runner import SqlModel, materialize
from tests.builders import connect


@pytest.fixture
def conn(tmp_path: Path):
    c = connect(tmp_path / "warehouse.duckdb")
    c.execute("create table main.src (k varchar, v integer, note varchar)")
    yield c
    c.close()


def model(tmp_path: Path, select: str = "select k, v, note from main.src") -> SqlModel:
    """A model file ``m.facts`` (an absolute path: SqlModel reads SQL_DIR / path)."""
    path = tmp_path / "facts.sql"
    path.write_text(f"-- One row per source row.\n{select}\n", encoding="utf-8")
    return SqlModel(str(path), "m")


def table(conn, relation: str = "m.facts") -> Counter:
    return Counter(conn.execute(f"select k, v, note from {relation}").fetchall())


def wal_bytes(tmp_path: Path) -> int:
    wal = tmp_path / "warehouse.duckdb.wal"
    return wal.stat().st_size if wal.exists() else 0


# 40 rows: duplicates, NULLs and 30 rows no test changes
ROWS = [("a", 1, None), ("b", 2, "x"), ("c", None, "y"), ("d", 4, "z"),
        ("e", 5, "dup"), ("e", 5, "dup"), ("f", 6, "tri"), ("f", 6, "tri"), ("f", 6, "tri"), ("g", 7, None),
        *((f"same{i}", i, "same") for i in range(30))]


def test_only_rows_that_differ_are_written_and_the_table_ends_equal_to_the_result(conn, tmp_path):
    conn.executemany("insert into main.src values (?, ?, ?)", ROWS)
    facts = model(tmp_path)
    first = materialize(conn, facts)
    assert first["rows_changed"] == first["total_rows"] == 40          # a new table: every row
    assert table(conn) == Counter(ROWS)
    rowid_of_g = conn.execute("select rowid from m.facts where k = 'g'").fetchone()[0]

    conn.execute("delete from main.src where k = 'a'")                          # 1 row goes
    conn.execute("update main.src set v = 30 where k = 'c'")                    # NULL -> 30
    conn.execute("insert into main.src values ('e', 5, 'dup')")                  # a third copy
    conn.execute("delete from main.src where rowid = (select min(rowid) from main.src where k = 'f')")
    conn.execute("insert into main.src values ('h', null, null)")                # a new row of NULLs
    meta = materialize(conn, facts)

    assert table(conn) == table(conn, "main.src")
    assert meta["total_rows"] == meta["window_rows"] == 40
    # a: 1 deleted; c: 1 deleted + 1 inserted; e (2 -> 3 copies): 2 deleted + 3 inserted;
    # f (3 -> 2 copies): 3 deleted + 2 inserted; h: 1 inserted
    assert meta["rows_changed"] == 1 + 2 + 5 + 5 + 1
    # b, d, g and the 30 others were left where they were: not written again
    assert conn.execute("select rowid from m.facts where k = 'g'").fetchone()[0] == rowid_of_g


def test_an_unchanged_result_leaves_the_table_as_it_was(conn, tmp_path):
    conn.executemany("insert into main.src values (?, ?, ?)", ROWS)
    facts = model(tmp_path)
    materialize(conn, facts)
    conn.execute("checkpoint")
    assert wal_bytes(tmp_path) == 0

    meta = materialize(conn, facts)
    assert meta["rows_changed"] == 0
    assert table(conn) == Counter(ROWS)
    assert wal_bytes(tmp_path) == 0                   # nothing written (a rebuild writes every row)
    assert conn.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0] == 0


def test_when_most_rows_change_the_whole_table_is_written(conn, tmp_path):
    conn.executemany("insert into main.src values (?, ?, ?)", ROWS)
    facts = model(tmp_path)
    materialize(conn, facts)
    conn.execute("update main.src set v = v + 100 where k like 'same%' and v < 11")   # 11 of 40 rows
    meta = materialize(conn, facts)
    assert meta["rows_changed"] == 40                 # 22 deleted + inserted > half the table: written whole
    assert table(conn) == table(conn, "main.src")


def test_a_model_whose_columns_changed_gets_its_new_columns(conn, tmp_path):
    conn.executemany("insert into main.src values (?, ?, ?)", ROWS)
    materialize(conn, model(tmp_path))
    meta = materialize(conn, model(tmp_path, "select k, v, note, v * 2 as twice from main.src"))
    assert [c for c, _ in meta["columns"]] == ["k", "v", "note", "twice"]
    assert meta["rows_changed"] == 40
    assert Counter(conn.execute("select k, v, note, twice from m.facts").fetchall()) == Counter(
        (k, v, note, None if v is None else v * 2) for k, v, note in ROWS)


def test_more_than_one_row_group_of_rows(conn, tmp_path):
    """130,000 rows (DuckDB row groups hold 122,880): 10 change, the rest stay."""
    conn.execute("insert into main.src select 'k' || i, i, case when i % 3 = 0 then null else 'n' end "
                 "from range(130000) t (i)")
    facts = model(tmp_path)
    materialize(conn, facts)
    conn.execute("update main.src set note = 'changed' where v % 13000 = 7")           # 10 rows
    meta = materialize(conn, facts)
    assert meta["rows_changed"] == 20
    assert meta["total_rows"] == 130_000
    differ = conn.execute("select count(*) from ((select * from m.facts except all select * from main.src) "
                          "union all (select * from main.src except all select * from m.facts))").fetchone()[0]
    assert differ == 0
    assert conn.execute("select count(*) from m.facts where note = 'changed'").fetchone()[0] == 10


def test_a_failing_model_leaves_the_table_and_no_temporary_tables(conn, tmp_path):
    conn.executemany("insert into main.src values (?, ?, ?)", ROWS)
    facts = model(tmp_path, "select k, cast(note as integer) as v, note from main.src")
    conn.execute("update main.src set note = null")
    materialize(conn, facts)
    before = table(conn)
    conn.execute("update main.src set note = 'not a number' where k = 'b'")
    with pytest.raises(duckdb.ConversionException):
        materialize(conn, facts)
    assert table(conn) == before
    assert conn.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0] == 0


def test_day_by_day_builds_give_the_tables_of_one_build_over_all_days(tmp_path):
    """The real models, as a daily schedule builds them: each day's export arrives, then that
    day's partitions and every unpartitioned model are built (their tables given the rows that
    differ). At the end every unpartitioned table equals that of a warehouse given all the
    exports at once and built over the whole range."""
    from datetime import date, timedelta

    from pipeline.build import build_model
    from pipeline.model_registry import MODELS
    from tests.builders import TZ, Raw, at, build

    days = [date(2025, 3, 3) + timedelta(days=i) for i in range(4)]

    def export_of(raw: Raw, i: int) -> None:
        day, seq = days[i], i + 1
        f = dict(file_id=f"f{seq}", file_seq=seq)
        raw.event("s", f"u{i + 2}", "join", at(day.year, day.month, day.day, 9), **f)
        if i == 2:
            raw.event("s", "u1", "leave", at(day.year, day.month, day.day, 18), **f)
        for j in range(i + 3):                                 # one more poster each day
            raw.message("s", f"m{i}-{j}", f"u{j}", at(day.year, day.month, day.day, 10 + j % 12), **f)
        raw.reaction("s", f"m{i}-0", "u1", reacted_at=at(day.year, day.month, day.day, 23), **f)

    unpartitioned = [spec for spec in MODELS if spec.grain is None]
    daily = connect(tmp_path / "daily.duckdb")
    raw = Raw(daily)
    changed = {}
    for i, day in enumerate(days):
        export_of(raw, i)
        for spec in MODELS:
            meta = build_model(daily, spec, day, day + timedelta(days=1), TZ)
            if spec.grain is None and meta:
                changed.setdefault(spec.relation, []).append((meta["rows_changed"], meta["total_rows"]))

    once = connect(tmp_path / "once.duckdb")
    raw_once = Raw(once)
    for i in range(len(days)):
        export_of(raw_once, i)
    build(once, days[0], days[-1] + timedelta(days=1))

    for spec in unpartitioned:
        def content(conn):
            return Counter(conn.execute(f"select * from {spec.relation}").fetchall())
        assert content(daily) == content(once), spec.relation
    # later days gave the members' and lifecycle tables a few rows, not the whole table (a day
    # whose changes pass half the table writes it whole: the leave of day 3 in these small tables)
    for relation in ("staging.members", "intermediate.person_lifecycle"):
        assert changed[relation][0][0] == changed[relation][0][1] > 0           # created
        assert any(0 < rows < total for rows, total in changed[relation][1:]), (relation, changed[relation])
    daily.close()
    once.close()
