"""User lists over a year of daily exports (a benchmark, not a test).

    python benchmarks/bench_user_lists.py [--users 41688] [--days 365] [--work DIR] [--out FILE]

A workspace whose whole user list comes with every export, as a Slack export's ``users.json``
does, exported every day: one canonical members file per day (41,688 users by default, the
benchmark workspace's size; each day 0.5 % of them change their display name and 0.1 % join).
Each day's file is loaded through the product's ingest (``pipeline.ingest.loader.ingest_source``)
into two warehouses:

- ``folded``: as the product stores user lists (``pipeline/ingest/user_repeats.py``: a listing
  that repeats the user's previous one goes to ``raw.user_repeats``);
- ``every``: every listing kept as a ``raw.users`` row (the fold switched off), as before.

At the checkpoint days it prints and records the day's ingest seconds, the rows of
``raw.users`` and ``raw.user_repeats``, the seconds ``staging.members`` takes
(``sql/staging/members.sql`` as a table, the model that ranks the user records) and the
warehouse file's size. Figures go to ``benchmarks/results/<date>-user-lists.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.ingest import loader  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402

MEMBERS_SQL = (ROOT / "sql" / "staging" / "members.sql").read_text(encoding="utf-8")
CHANGE_EVERY_DAYS = 200      # each user changes name once per 200 days: 0.5 % of users a day
JOINS_PER_DAY = 0.001        # share of the first day's users joining every day


def write_day(conn, landing: Path, users: int, day: int) -> Path:
    """The day's members file, written by DuckDB: users 0 .. users*(1 + day*0.1 %); user i's
    name changes on the days where (day + i) is a multiple of CHANGE_EVERY_DAYS."""
    path = landing / f"members_{day:03d}.csv"
    count = users + int(users * JOINS_PER_DAY * day)
    conn.execute(
        f"""copy (
            select 'U' || lpad(i::varchar, 7, '0') as platform_user_id,
                   'user ' || i || ' v' || ((i + $day) // {CHANGE_EVERY_DAYS}) as display_name,
                   i % 97 = 0 as is_bot
            from range($count) t(i)
        ) to '{path}' (header, delimiter ',')""", {"day": day, "count": count})
    return path


def project(folder: Path, landing: Path):
    folder.mkdir(parents=True)
    (folder / "community.yaml").write_text(
        "community:\n  name: Bench\n  timezone: Asia/Shanghai\nwarehouse: warehouse.duckdb\n"
        f"sources:\n  - {{name: workspace, platform: canonical, path: '{landing}'}}\n", encoding="utf-8")
    cfg = load_config(folder / "community.yaml")
    return cfg, connect(cfg.warehouse)


def ingest(cfg, conn, fold: bool) -> float:
    now = datetime.now(timezone.utc)
    start = time.perf_counter()
    if fold:
        result = loader.ingest_source(conn, cfg, cfg.sources[0], now=now)
    else:
        with mock.patch.object(loader, "fold_repeats", lambda *a: 0), \
                mock.patch.object(loader, "hand_on_deleted", lambda *a: None), \
                mock.patch.object(loader, "fold_after_delete", lambda *a: 0):
            result = loader.ingest_source(conn, cfg, cfg.sources[0], now=now)
    seconds = time.perf_counter() - start
    if result.failed or result.count("loaded") != 1:
        raise SystemExit(f"unexpected ingest result: {result}")
    return seconds


def checkpoint(cfg, conn, day: int, ingest_s: float) -> dict:
    start = time.perf_counter()
    conn.execute("create or replace table main.bench_members as " + MEMBERS_SQL)
    members_s = time.perf_counter() - start
    conn.execute("checkpoint")
    count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    return {"day": day, "ingest_s": round(ingest_s, 3), "members_s": round(members_s, 3),
            "raw_users": count("select count(*) from raw.users"),
            "raw_user_repeats": count("select count(*) from raw.user_repeats"),
            "members": count("select count(*) from main.bench_members"),
            "warehouse_mb": round(Path(cfg.warehouse).stat().st_size / 1e6, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=41688)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--checkpoints", default="1,30,90,180,365")
    ap.add_argument("--work", type=Path, default=None, help="folder for the landing files and warehouses")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    checkpoints = {int(d) for d in args.checkpoints.split(",") if int(d) <= args.days} | {args.days}
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_user_lists_"))
    landing = work / "landing"
    landing.mkdir(parents=True)
    runs = {mode: project(work / mode, landing) for mode in ("folded", "every")}
    figures: dict[str, list[dict]] = {mode: [] for mode in runs}
    print(f"{'day':>4} {'mode':<7} {'ingest s':>9} {'members s':>10} {'raw.users':>11} "
          f"{'repeats':>11} {'MB':>7}")
    try:
        for day in range(1, args.days + 1):
            write_day(runs["folded"][1], landing, args.users, day)
            for mode, (cfg, conn) in runs.items():
                seconds = ingest(cfg, conn, fold=mode == "folded")
                if day in checkpoints:
                    row = checkpoint(cfg, conn, day, seconds)
                    figures[mode].append(row)
                    print(f"{day:>4} {mode:<7} {row['ingest_s']:>9.2f} {row['members_s']:>10.2f} "
                          f"{row['raw_users']:>11,} {row['raw_user_repeats']:>11,} {row['warehouse_mb']:>7.1f}")
        same = {m: runs[m][1].execute("select * from main.bench_members order by member_key").fetchall()
                for m in runs}
        if same["folded"] != same["every"]:
            raise SystemExit("staging.members differs between the two warehouses")
    finally:
        for _cfg, conn in runs.values():
            conn.close()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    out = args.out or ROOT / "benchmarks" / "results" / f"{date.today().isoformat()}-user-lists.json"
    out.write_text(json.dumps({"users": args.users, "days": args.days, "figures": figures,
                               "staging_members_identical": True}, indent=2) + "\n", encoding="utf-8")
    print(f"staging.members identical in both warehouses; results: {out}")


if __name__ == "__main__":
    main()
