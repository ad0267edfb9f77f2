"""User lists are stored once per change (pipeline/ingest/user_repeats.py), through the real
loader on canonical members files: a listing that repeats the user's previous one goes to
raw.user_repeats, raw.user_listings shows every listing as loaded, staging.members is unchanged,
and replacing an export hands its rows on to the listings that repeat them."""

from __future__ import annotations

import os
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.ingest import loader
from pipeline.ingest.loader import ingest_source
from pipeline.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
MEMBERS_SQL = (ROOT / "sql" / "staging" / "members.sql").read_text(encoding="utf-8")
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
_MTIME = [1_700_000_000]


def _project(tmp_path: Path, name: str, landing: Path):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: Asia/Shanghai\n"
        "warehouse: warehouse.duckdb\n"
        f"sources:\n  - {{name: forum, platform: canonical, path: '{landing}'}}\n", encoding="utf-8")
    cfg = load_config(folder / "community.yaml")
    return cfg, connect(cfg.warehouse)


def _write(landing: Path, name: str, rows: list[tuple]) -> None:
    """A members file: (user id, display name, is_bot) rows; a new modification time each write
    (the loader re-reads a unit whose size or time changed)."""
    path = landing / name
    path.write_text("platform_user_id,display_name,is_bot\n"
                    + "".join(f"{u},{n},{str(b).lower()}\n" for u, n, b in rows), encoding="utf-8")
    _MTIME[0] += 10
    os.utime(path, (_MTIME[0], _MTIME[0]))


def _ingest(cfg, conn, fold: bool = True, monkeypatch=None):
    if not fold:
        # the reference: every listing stays a raw.users row, as before user_repeats.py
        monkeypatch.setattr(loader, "fold_repeats", lambda *a: 0)
        monkeypatch.setattr(loader, "hand_on_deleted", lambda *a: None)
        monkeypatch.setattr(loader, "fold_after_delete", lambda *a: 0)
    try:
        result = ingest_source(conn, cfg, cfg.sources[0], now=NOW)
    finally:
        if monkeypatch is not None:
            monkeypatch.undo()
    assert not result.failed, [u.error for u in result.failed]
    return result


def _rows(conn, sql: str, params=None):
    return conn.execute(sql, params or {}).fetchall()


def test_repeats_folded_and_handed_on(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    cfg, conn = _project(tmp_path, "p", landing)
    _write(landing, "members_a.csv", [("u1", "Alice", False), ("u2", "Bob", False)])
    _ingest(cfg, conn)
    _write(landing, "members_b.csv", [("u1", "Alice", False), ("u2", "Bobby", False)])
    _write(landing, "members_c.csv", [("u1", "Alice", False), ("u2", "Bobby", False), ("u3", "Carol", True)])
    _ingest(cfg, conn)     # b and c in one ingest: c repeats b, which is new as well

    users = "select file_path, user_id, display_name from raw.users order by file_seq, location"
    repeats = "select file_path, user_id from raw.user_repeats order by file_seq, location"
    assert _rows(conn, users) == [("members_a.csv", "u1", "Alice"), ("members_a.csv", "u2", "Bob"),
                                  ("members_b.csv", "u2", "Bobby"), ("members_c.csv", "u3", "Carol")]
    assert _rows(conn, repeats) == [("members_b.csv", "u1"), ("members_c.csv", "u1"), ("members_c.csv", "u2")]
    # the ledger still counts every listing loaded; the view shows each with its record
    assert _rows(conn, "select file_path, rows_loaded from raw.files order by file_seq") == [
        ("members_a.csv", 2), ("members_b.csv", 2), ("members_c.csv", 3)]
    assert _rows(conn, "select file_path, user_id, display_name from raw.user_listings "
                       "where file_path = 'members_c.csv' order by user_id") == [
        ("members_c.csv", "u1", "Alice"), ("members_c.csv", "u2", "Bobby"), ("members_c.csv", "u3", "Carol")]

    # A new version of a: its old rows go; u1's (repeated by b) is handed on to b's listing,
    # u2's is not (b changed u2, so b has its own row).
    _write(landing, "members_a.csv", [("u1", "Alicia", False)])
    _ingest(cfg, conn)
    assert _rows(conn, users) == [("members_b.csv", "u1", "Alice"), ("members_b.csv", "u2", "Bobby"),
                                  ("members_c.csv", "u3", "Carol"), ("members_a.csv", "u1", "Alicia")]
    assert _rows(conn, repeats) == [("members_c.csv", "u1"), ("members_c.csv", "u2")]
    assert _rows(conn, "select member_key, display_name from (" + MEMBERS_SQL + ") order by 1") == [
        ("forum:u1", "Alicia"), ("forum:u2", "Bobby"), ("forum:u3", "Carol")]

    # Loading the same exports again adds nothing.
    before = _rows(conn, "select count(*) from raw.users"), _rows(conn, "select count(*) from raw.user_repeats")
    _ingest(cfg, conn)
    assert (_rows(conn, "select count(*) from raw.users"), _rows(conn, "select count(*) from raw.user_repeats")) \
        == before
    conn.close()


def _random_listing(rng: random.Random, names: dict[str, str]) -> list[tuple]:
    """Most users, each with their current name (which sometimes changes first); now and then a
    user listed twice in one file, once with another name."""
    rows = []
    for uid in sorted(names):
        if rng.random() < 0.2:
            continue
        if rng.random() < 0.15:
            names[uid] = f"{uid}-{rng.randrange(1000)}"
        rows.append((uid, names[uid], uid.endswith("7")))
        if rng.random() < 0.05:
            rows.append((uid, f"{uid}-dup{rng.randrange(10)}", False))
    rng.shuffle(rows)
    return rows


def _runs(listings: list[tuple]) -> int:
    """Independent count of the rows raw.users should keep: per user, the listings in staging's
    order (file_seq, then location with NULL first), a new row whenever the record changes."""
    rows, last = 0, {}
    for source, uid, seq, location, record in sorted(listings, key=lambda r: (r[1], r[2], r[3] is not None, r[3] or "")):
        if last.get((source, uid)) != record:
            rows += 1
        last[(source, uid)] = record
    return rows


@pytest.mark.parametrize("seed", [3, 11])
def test_folded_equals_every_listing_kept(tmp_path, monkeypatch, seed):
    """A random history of added and replaced exports (several per ingest), loaded into two
    warehouses: one folding repeats, one keeping every listing (the fold and the hand-on
    switched off). After every ingest the folded one's raw.user_listings equals the other's
    raw.users, staging.members is identical, and raw.users holds one row per run of equal
    listings (counted independently in Python)."""
    rng = random.Random(seed)
    landing = tmp_path / "landing"
    landing.mkdir()
    folded_cfg, folded = _project(tmp_path, "folded", landing)
    every_cfg, every = _project(tmp_path, "every", landing)
    names = {f"u{i:02d}": f"u{i:02d}" for i in range(30)}
    files: list[str] = []
    replaced = 0
    for step in range(12):
        for _ in range(rng.choice([1, 1, 2, 3])):
            if files and rng.random() < 0.3:
                name = rng.choice(files)                 # a new version at the same path
                replaced += 1
            else:
                name = f"members_{len(files):02d}.csv"
                files.append(name)
            _write(landing, name, _random_listing(rng, names))
        _ingest(folded_cfg, folded)
        _ingest(every_cfg, every, fold=False, monkeypatch=monkeypatch)

        listing_cols = "source, platform, file_id, file_path, file_seq, location, user_id, display_name, is_bot"
        every_rows = _rows(every, f"select {listing_cols} from raw.users order by all")
        assert _rows(folded, f"select {listing_cols} from raw.user_listings order by all") == every_rows, step
        assert _rows(folded, MEMBERS_SQL + " order by member_key") == _rows(every, MEMBERS_SQL + " order by member_key")
        expected = _runs([(r[0], r[6], r[4], r[5], (r[1], r[7], r[8])) for r in every_rows])
        assert _rows(folded, "select count(*) from raw.users")[0][0] == expected, step
        assert _rows(folded, "select count(*) from raw.users")[0][0] + \
            _rows(folded, "select count(*) from raw.user_repeats")[0][0] == len(every_rows)
    assert replaced >= 3 and len(every_rows) > 2 * expected   # the history did exercise both paths
    folded.close()
    every.close()


def test_warehouse_of_an_earlier_version_folds_once(tmp_path, monkeypatch):
    """A warehouse that kept every listing (no raw.user_repeats yet) is folded as a whole on the
    first ingest of this version, every source at once."""
    landing = tmp_path / "landing"
    landing.mkdir()
    cfg, conn = _project(tmp_path, "p", landing)
    for day, bob in enumerate(["Bob", "Bob", "Bobby", "Bobby"]):
        _write(landing, f"members_{day}.csv", [("u1", "Alice", False), ("u2", bob, False), ("u3", f"C{day}", False)])
        _ingest(cfg, conn, fold=False, monkeypatch=monkeypatch)
    conn.execute("insert into raw.users (source, platform, file_seq, location, user_id, display_name) "
                 "values ('other', 'canonical', 9, 'line 2', 'x', 'X'), ('other', 'canonical', 10, 'line 2', 'x', 'X')")
    listings = "select source, file_path, file_seq, location, user_id, display_name, is_bot from {} order by all"
    every = _rows(conn, listings.format("raw.users"))
    assert len(every) == 14
    conn.execute("drop view raw.user_listings")
    conn.execute("drop table raw.user_repeats")       # as an earlier version left it

    _write(landing, "members_4.csv", [("u1", "Alice", False), ("u2", "Bobby", False)])
    _ingest(cfg, conn)
    assert _rows(conn, "select source, file_path, user_id, display_name from raw.users order by file_seq, location") == [
        ("forum", "members_0.csv", "u1", "Alice"), ("forum", "members_0.csv", "u2", "Bob"),
        ("forum", "members_0.csv", "u3", "C0"), ("forum", "members_1.csv", "u3", "C1"),
        ("forum", "members_2.csv", "u2", "Bobby"), ("forum", "members_2.csv", "u3", "C2"),
        ("forum", "members_3.csv", "u3", "C3"), ("other", None, "x", "X")]
    assert _rows(conn, "select count(*) from raw.user_repeats") == [(8,)]   # 6 old (u1 x3, u2 x2, x) + 2 new
    new = [r for r in _rows(conn, listings.format("raw.user_listings")) if r[1] == "members_4.csv"]
    assert sorted(r for r in _rows(conn, listings.format("raw.user_listings")) if r not in new) == sorted(every)
    assert [(r[4], r[5]) for r in new] == [("u1", "Alice"), ("u2", "Bobby")]
    conn.close()
