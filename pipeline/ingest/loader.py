"""Ingest framework: owns the file ledger, idempotency, row rules and quarantine.

For one configured source it finds the export units (via the platform adapter), skips the
ones already loaded (same content hash = same ``file_id``; a new unit is hashed on a thread
while it loads, and skipped after its read when that content was loaded before), and loads
each new one in its own transaction (small units on a second lane beside the big ones, see
``ingest_source``):

1. fresh ``_in_*`` candidate tables; the adapter fills them (or hands over the query that
   selects an entity's rows, see ``LoadContext.defer_candidates``);
2. rows breaking a rule of ``rules.py`` → ``raw.quarantine`` (rule + reason naming the
   file and place); the rest → ``raw.*`` with their local date;
3. who appears in the unit (``export_people.py``: its authors and reactors, for
   ``staging.members``);
4. a ``raw.files`` ledger row with the counts (read = loaded + quarantined).

After the units, user listings that repeat the user's previous one move from ``raw.users`` to
``raw.user_repeats`` (``user_repeats.py``: user lists are stored once per change).

A unit whose content changed at the same path replaces the older version's rows. A unit
that cannot be parsed is recorded as ``failed`` with the error and does not stop the other
units or sources.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import blake3
import duckdb

from pipeline.adapters import get_adapter
from pipeline.adapters.base import ExportParseError, LoadContext
from pipeline.config import CommunityConfig, SourceConfig
from pipeline.ingest.export_people import SUMMARY_TABLES, summarise
from pipeline.ingest.rules import LOCAL_DATE_FROM, RULES, reason_case_sql, rule_case_sql
from pipeline.ingest.schema import CANDIDATE_COLUMNS, create_candidate_tables, create_raw_tables
from pipeline.ingest.user_repeats import fold_after_delete, fold_existing, fold_repeats, hand_on_deleted
from pipeline.sql_runner import bind
from pipeline.warehouse import side_by_side, table_exists

ENTITIES = tuple(CANDIDATE_COLUMNS)
PENDING_FILE_ID = "(content hash pending)"   # candidate rows' file_id while the hash is computed


@dataclass
class UnitResult:
    file_path: str
    status: str            # loaded | skipped | failed
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str | None = None


@dataclass
class SourceIngestResult:
    source: str
    units: list[UnitResult] = field(default_factory=list)
    # the rows this load added are those with file_seq >= first_seq (no row when it loaded
    # nothing); None when the source folder is missing
    first_seq: int | None = None

    @property
    def failed(self) -> list[UnitResult]:
        return [u for u in self.units if u.status == "failed"]

    def count(self, status: str) -> int:
        return sum(1 for u in self.units if u.status == status)


# An export unit's file_id: "blake3:<hex>" of its bytes. BLAKE3 is a cryptographic hash like
# sha256 and ~3.5x faster here (5 vs 1.45 GB/s on one core): a new unit is hashed on a thread
# beside DuckDB's two (see _load_new_unit), and sha256 of the 1.66 GB benchmark export took ~0.45 s
# of its ~6.5 s load. Warehouses whose ledger holds sha256 ids (plain hex, before 2026-12-05) keep
# sha256, so the same content keeps the same id there (:func:`hash_algorithm`).
HASH_PREFIX = {"blake3": "blake3:", "sha256": ""}


def content_hash(path: Path, algorithm: str = "blake3") -> str:
    """The content id of a unit: the hash of a file, or of a folder's relative paths and file
    contents (sorted), as ``HASH_PREFIX[algorithm] + hex digest``."""
    h = blake3.blake3() if algorithm == "blake3" else hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode())
            h.update(b"\0")
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return HASH_PREFIX[algorithm] + h.hexdigest()


def hash_algorithm(conn: duckdb.DuckDBPyConnection) -> str:
    """The content hash of this warehouse's export units: sha256 when its ledger already holds
    sha256 ids (a warehouse from before BLAKE3 ids), else blake3."""
    legacy = conn.execute("""
        select count(*) from (select file_id from raw.files union all select file_id from raw.file_hashes)
        where file_id not like 'blake3:%'""").fetchone()[0]
    return "sha256" if legacy else "blake3"


def _signature(path: Path) -> str:
    """Size and modification time of a unit (of every file of a folder, with their paths)."""
    if path.is_file():
        st = path.stat()
        return f"{st.st_size}:{st.st_mtime_ns}"
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        st = f.stat()
        h.update(f"{f.relative_to(path)}\0{st.st_size}:{st.st_mtime_ns}\0".encode())
    return "dir:" + h.hexdigest()


def known_file_ids(conn: duckdb.DuckDBPyConnection, source: str) -> dict[str, tuple[str, str]]:
    """The content hashes of a source's units remembered in ``raw.file_hashes``: file path ->
    (signature, file_id), the signature being the unit's size and modification time.

    Hashing every export on every run costs a full read of the landing folder (GBs at scale)
    although almost all of it was loaded before; a unit whose path, size and modification time
    are unchanged keeps its hash (the heuristic of rsync and make). Any change re-hashes. Read
    in one query per source, not one per unit: a DiscordChatExporter landing folder gains a
    file per channel and thread with every export (~195 in the benchmark after a year), and two
    lookups per unit were ~0.3 s of a daily update's ~1 s Discord load."""
    return {path: (signature, file_id) for path, signature, file_id in conn.execute(
        "select file_path, signature, file_id from raw.file_hashes where source = $s", {"s": source}).fetchall()}


def _ledger(conn: duckdb.DuckDBPyConnection, source: str) -> tuple[set[str], set[str]]:
    """The source's ledger in one query: the content ids of its loaded units, and the paths of
    every unit it records (loaded or failed)."""
    rows = conn.execute("select file_id, file_path, status from raw.files where source = $s", {"s": source}).fetchall()
    return {file_id for file_id, _, status in rows if status == "loaded"}, {path for _, path, _ in rows}


def remember_file_id(conn: duckdb.DuckDBPyConnection, source: str, rel: str, unit: Path, file_id: str) -> None:
    conn.execute("delete from raw.file_hashes where source = $s and file_path = $p", {"s": source, "p": rel})
    conn.execute("insert into raw.file_hashes values ($s, $p, $g, $f)",
                 {"s": source, "p": rel, "g": _signature(unit), "f": file_id})


def _is_loaded(conn, source: str, file_id: str) -> bool:
    return conn.execute("select count(*) from raw.files where source = $s and file_id = $f and status = 'loaded'",
                        {"s": source, "f": file_id}).fetchone()[0] > 0


def _unit_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# Units up to this size load on a second lane beside the bigger ones (see ingest_source).
SMALL_UNIT_BYTES = 8 << 20


@dataclass
class _SourcePlan:
    """The new units of one source and the export numbers (file_seq) they load as."""
    source: SourceConfig
    adapter: object
    result: SourceIngestResult
    outcomes: list                    # per unit found: its UnitResult once known (skipped ones now)
    big: list = field(default_factory=list)       # (index, unit, rel, remembered file_id, seq)
    small: list = field(default_factory=list)
    new_bytes: int = 0
    next_seq: int = 0                 # the number after its units'
    replaces: bool = False            # a unit is a new version of an export the ledger knows


def ingest_source(conn: duckdb.DuckDBPyConnection, config: CommunityConfig, source: SourceConfig,
                  now: datetime | None = None) -> SourceIngestResult:
    """Load every new export unit of ``source`` into ``raw.*``. Idempotent.

    Units load in two lanes when the source has both kinds: units over
    :data:`SMALL_UNIT_BYTES` on this connection, the small ones on a second one beside them
    (:func:`pipeline.warehouse.side_by_side`). A big export keeps ~1.5 of two cores busy
    (parsing, writing), while a small one (a DiscordChatExporter thread file) is ~40 statements
    over a few rows on one core (~70 ms; 178 of them in the benchmark's year), so the small ones
    fill the idle core instead of following the big ones. Each lane loads its units in order,
    each unit in its own transaction as before; every unit touches only its own rows. Not when
    a unit replaces an export the ledger knows (a new version at the same path, or a retry of
    one that failed): its transaction also moves other exports' user rows of the users the
    old version listed (:func:`pipeline.ingest.user_repeats.hand_on_deleted`), and two lanes
    doing that for the same user would conflict; such a source's units load one after another.
    ``file_seq`` (which export is newer: staging's tie-break) is given in the order of the units
    before either lane starts, so it does not depend on which lane finishes first. Two units
    with the same content have the same size, so they are in the same lane, where the second is
    skipped exactly as when the units loaded one after another.
    """
    _prepare_raw_tables(conn)
    plan = _plan_source(conn, source, _next_seq(conn))
    return _load_plan(conn, config, plan, now or datetime.now(timezone.utc))


def ingest_sources(conn: duckdb.DuckDBPyConnection, config: CommunityConfig, sources: list[SourceConfig],
                   now: datetime | None = None) -> list[SourceIngestResult | Exception]:
    """:func:`ingest_source` of each of ``sources`` (in that order): their results in that order,
    or the error a source raised (the other sources load all the same).

    The sources are planned one after the other, so their units get the export numbers they
    would get loaded one source after the other; then, when the new units are small
    (:data:`SIDE_BY_SIDE_SOURCE_BYTES` in all: a daily update's exports), the sources load side
    by side, each on its own connection (a cursor of ``conn``) in a thread: a day's Slack,
    Discord and Telegram exports kept ~1.1 of two cores busy one after the other (1.6 s on the
    benchmark's year, 1.0 s side by side). Every source writes only its own rows, and DuckDB
    runs the connections' transactions at once. Bigger loads (a backfill) go one source after
    the other as before: their own two lanes keep both cores busy, and more transactions open
    at once would keep DuckDB from checkpointing the growing WAL. A bad export never raises
    (its unit is recorded as failed); an error here is anything else (a full disk, a bug)."""
    now = now or datetime.now(timezone.utc)
    _prepare_raw_tables(conn)
    plans, seq = [], _next_seq(conn)
    for source in sources:
        plans.append(_plan_source(conn, source, seq))
        seq = max(seq, plans[-1].next_seq)

    def load(plan: _SourcePlan, side_by_side: bool) -> SourceIngestResult | Exception:
        cursor = conn.cursor() if side_by_side else conn
        try:
            return _load_plan(cursor, config, plan, now)
        except Exception as exc:  # noqa: BLE001 - returned: the other sources go on
            return exc
        finally:
            if side_by_side:
                cursor.close()

    if len(plans) < 2 or sum(p.new_bytes for p in plans) > SIDE_BY_SIDE_SOURCE_BYTES:
        return [load(plan, False) for plan in plans]
    with ThreadPoolExecutor(len(plans)) as pool:
        futures = [pool.submit(load, plan, True) for plan in plans]
    return [future.result() for future in futures]


# New units of several sources up to this size in all load side by side (see ingest_sources).
SIDE_BY_SIDE_SOURCE_BYTES = 64 << 20


def _prepare_raw_tables(conn: duckdb.DuckDBPyConnection) -> None:
    before_repeats = table_exists(conn, "raw", "users") and not table_exists(conn, "raw", "user_repeats")
    create_raw_tables(conn)
    if before_repeats:       # a warehouse of a version that kept every user listing: fold once
        fold_existing(conn)


def _plan_source(conn: duckdb.DuckDBPyConnection, source: SourceConfig, first_seq: int) -> _SourcePlan:
    """Which units of ``source`` are new, in which lane, and their file_seq from ``first_seq`` on."""
    adapter = get_adapter(source.platform)
    result = SourceIngestResult(source=source.name)
    plan = _SourcePlan(source, adapter, result, outcomes=[], next_seq=first_seq)
    if not source.path.exists():
        result.units.append(UnitResult(str(source.path), "failed", error=(
            f"{source.path}: source folder not found (expected a folder of {source.platform} exports)")))
        return plan
    units = adapter.find_exports(source.path)
    plan.outcomes = [None] * len(units)
    seq = result.first_seq = first_seq
    remembered = known_file_ids(conn, source.name)
    loaded, ledger_paths = _ledger(conn, source.name)
    for i, unit in enumerate(units):
        rel = str(unit.relative_to(source.path)) if unit != source.path else unit.name
        signature, file_id = remembered.get(rel, (None, None))
        if signature != _signature(unit):
            file_id = None                      # new, or changed since it was hashed
        if file_id is not None and file_id in loaded:
            plan.outcomes[i] = UnitResult(rel, "skipped")
            continue
        size = _unit_size(unit)
        plan.new_bytes += size
        plan.replaces = plan.replaces or rel in ledger_paths
        (plan.small if size <= SMALL_UNIT_BYTES else plan.big).append((i, unit, rel, file_id, seq))
        seq += 1
    plan.next_seq = seq
    return plan


def _load_plan(conn: duckdb.DuckDBPyConnection, config: CommunityConfig, plan: _SourcePlan,
               now: datetime) -> SourceIngestResult:
    """Load the units of ``plan`` (its two lanes side by side; one after another when it
    replaces an export the ledger knows, see :func:`ingest_source`), then fold the user listings."""
    result, source = plan.result, plan.source
    if not plan.outcomes:                           # no unit (or no folder: its failure is in result)
        return result
    algorithm = hash_algorithm(conn)

    def load_lane(lane_conn: duckdb.DuckDBPyConnection, lane: list[tuple]) -> None:
        for i, unit, rel, file_id, unit_seq in lane:
            plan.outcomes[i] = _load_new_unit(lane_conn, config, source, plan.adapter, unit, rel, file_id, unit_seq,
                                              now, algorithm)

    if plan.big and plan.small and not plan.replaces:
        side_by_side(conn, lambda c: load_lane(c, plan.big), lambda c: load_lane(c, plan.small))
    else:                                           # in the order of the units
        load_lane(conn, sorted(plan.big + plan.small, key=lambda entry: entry[0]))
    result.units = [u for u in plan.outcomes if u is not None]
    if result.count("loaded"):
        fold_repeats(conn, source.name, result.first_seq)
    return result


def _load_new_unit(conn, config: CommunityConfig, source: SourceConfig, adapter, unit: Path, rel: str,
                   file_id: str | None, seq: int, now: datetime, algorithm: str) -> UnitResult:
    """Load a unit not known to be loaded: ``file_id`` is its remembered content hash or None
    (then it is hashed with ``algorithm``, see :func:`hash_algorithm`)."""
    if file_id is None:
        # A new or changed unit: its hash (a full read, ~0.3 s per GB) is computed on a
        # thread while the adapter reads the same file (DuckDB and the hash both release
        # the GIL); the unit is skipped after all if that content was loaded before.
        with ThreadPoolExecutor(1) as pool:
            return _load_unit(conn, config, source, adapter, unit, rel, pool.submit(content_hash, unit, algorithm),
                              seq, now)
    if _is_loaded(conn, source.name, file_id):       # loaded meanwhile by an earlier unit of its lane
        return UnitResult(rel, "skipped")
    return _load_unit(conn, config, source, adapter, unit, rel, file_id, seq, now)


def _next_seq(conn) -> int:
    return conn.execute("select coalesce(max(file_seq), 0) + 1 from raw.files").fetchone()[0]


def _delete_unit_rows(conn, source: str, where: str, params: dict) -> None:
    hand_on_deleted(conn, source, where, params)   # user rows that later listings repeat
    for table in (*ENTITIES, *SUMMARY_TABLES, "user_repeats", "quarantine", "files"):
        conn.execute(f"delete from raw.{table} where source = $source and {where}", {"source": source, **params})
    fold_after_delete(conn, source)


def _load_unit(conn, config: CommunityConfig, source: SourceConfig, adapter, unit: Path, rel: str,
               file_id: str | Future, seq: int, now: datetime) -> UnitResult:
    """Load one unit in one transaction, as export number ``seq``. ``file_id`` is its content
    hash, or the future of one being computed meanwhile: the candidate rows then carry a
    placeholder, replaced by the hash when they move to ``raw.*``."""
    tmp = Path(tempfile.mkdtemp(prefix="community_ingest_"))
    pending = file_id if isinstance(file_id, Future) else None
    ctx = LoadContext(conn=conn, source=source.name, platform=source.platform,
                      file_id=PENDING_FILE_ID if pending else file_id,
                      path=unit, rel_path=rel, file_seq=seq, timezone=config.timezone,
                      exporter_timezone=str(source.options.get("exporter_timezone") or config.exporter_timezone),
                      tmp_dir=tmp, options=dict(source.options))
    conn.execute("begin transaction")
    try:
        create_candidate_tables(conn)
        adapter.load_export(ctx)
        if pending:
            file_id = pending.result()
            if _is_loaded(conn, source.name, file_id):    # the same content, loaded before
                conn.execute("rollback")
                remember_file_id(conn, source.name, rel, unit, file_id)
                return UnitResult(rel, "skipped")
            remember_file_id(conn, source.name, rel, unit, file_id)
        # A new version of an export at the same path replaces the old one; a failed earlier
        # attempt of the same content is retried from scratch. Rows reach raw.* only with their
        # ledger row (same transaction), so a unit the ledger does not know has none to delete:
        # the deletes, a scan of each raw table, are skipped (2.7 s of 188 DCE files at scale).
        where, keys = "(file_path = $p or file_id = $f)", {"p": rel, "f": file_id}
        if conn.execute(f"select count(*) from raw.files where source = $source and {where}",
                        {"source": source.name, **keys}).fetchone()[0]:
            _delete_unit_rows(conn, source.name, where, keys)
        counts = _move_candidates(conn, config, now, file_id, ctx.deferred)
        summarise(conn, "source = $source and file_seq = $file_seq", {"source": source.name, "file_seq": seq})
        conn.execute(
            """insert into raw.files values ($f, $s, $pl, $p, $seq, $size, $now, 'loaded', null,
                                            $read, $loaded, $quar, $mread, $mloaded, $mquar)""",
            {"f": file_id, "s": source.name, "pl": source.platform, "p": rel, "seq": seq,
             "size": _unit_size(unit), "now": now, **counts})
        conn.execute("commit")
        return UnitResult(rel, "loaded", counts["read"], counts["loaded"], counts["quar"])
    except Exception as exc:  # noqa: BLE001 - any failure stops only this unit
        conn.execute("rollback")
        if pending:
            file_id = pending.result()
            remember_file_id(conn, source.name, rel, unit, file_id)
        if isinstance(exc, ExportParseError):
            error = str(exc)
        elif isinstance(exc, duckdb.Error):
            error = f"{rel}: could not be read as a {source.platform} export: {exc}"
        else:
            raise
        # keep one ledger row per unit: a unit that failed before fails again in place
        conn.execute("delete from raw.files where source = $s and (file_path = $p or file_id = $f)",
                     {"s": source.name, "p": rel, "f": file_id})
        conn.execute(
            """insert into raw.files values ($f, $s, $pl, $p, $seq, $size, $now, 'failed', $err,
                                            0, 0, 0, 0, 0, 0)""",
            {"f": file_id, "s": source.name, "pl": source.platform, "p": rel, "seq": seq,
             "size": _unit_size(unit), "now": now, "err": error})
        return UnitResult(rel, "failed", error=error)
    finally:
        for done in ctx.done:           # the adapter's scratch tables, read by deferred candidates
            done()
        shutil.rmtree(tmp, ignore_errors=True)


def _move_candidates(conn, config: CommunityConfig, now: datetime, file_id: str,
                     deferred: dict[str, tuple[str, dict]] | None = None) -> dict:
    """Route candidate rows: rule breakers to quarantine, the rest to raw.*, with their
    ``file_id`` (the candidates may carry a placeholder); return counts.

    The candidates of an entity are the rows of ``_in_<entity>``, or the query an adapter
    deferred for it (``LoadContext.defer_candidates``), bound with the adapter's parameters.
    One pass in the usual case: the rows that break no rule are inserted straight from the
    candidates (the insert returns how many), and only when that is fewer than the rows read
    are the breakers selected again for ``raw.quarantine`` (no intermediate copy of millions of
    rows, no separate counting pass).
    """
    totals = {"read": 0, "loaded": 0, "quar": 0, "mread": 0, "mloaded": 0, "mquar": 0}
    for entity in ENTITIES:
        source, params = f"_in_{entity}", {}
        if deferred and entity in deferred:
            if conn.execute(f"select count(*) from _in_{entity}").fetchone()[0]:
                raise RuntimeError(f"the adapter both deferred and inserted its {entity} candidates")
            query, adapter_params = deferred[entity]
            source, params = f"({query})", dict(adapter_params)
        # the loader's own parameters win: file_id is the content hash now, not the placeholder
        params.update(file_id=file_id, now=now, local_tz=config.timezone)
        rule = rule_case_sql(entity)
        extra = ""
        if entity in LOCAL_DATE_FROM:
            extra = f", cast(timezone($local_tz, {LOCAL_DATE_FROM[entity]}) as date) as local_date"
        read = conn.execute(f"select count(*) from {source}", bind(source, params)).fetchone()[0]
        loaded = 0
        if read:
            sql = (f"insert into raw.{entity} by name select * replace ($file_id as file_id){extra} "
                   f"from {source} where ({rule}) is null")
            loaded = conn.execute(sql, bind(sql, params)).fetchone()[0]
        if loaded < read:
            sql = f"""insert into raw.quarantine
                    select source, platform, file_id, file_path, location, '{entity}', _rule,
                           {reason_case_sql(entity)}, to_json(c)::varchar
                    from (select * replace ($file_id as file_id), {rule} as _rule from {source}) c
                    where _rule is not null"""
            conn.execute(sql, bind(sql, params))
        totals["read"] += read
        totals["loaded"] += loaded
        totals["quar"] += read - loaded
        if entity == "messages":
            totals["mread"], totals["mquar"], totals["mloaded"] = read, read - loaded, loaded
    return totals
