"""Discord (DiscordChatExporter JSON) adapter through the real ingest framework.

The real samples live outside the repository (``../shared/fixtures/real/discord``, not
committed: licences); each test copies what it needs into ``tmp_path`` (damaged or edited
variants are derived there at test time). Expected numbers are computed here independently,
by parsing the same files with Python's ``json``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.adapters import discord  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.ingest.loader import ingest_source  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402

DISCORD = ROOT.parent / "shared" / "fixtures" / "real" / "discord"
ZULIP = DISCORD / "zulip-discord-server"
ZULIP_GENERAL = ZULIP / "zulip-discord server - Text Channels - general [1519311538035490958].json"
ZULIP_PART2 = ZULIP / "zulip-discord server - Text Channels - general [1519311538035490958] [part 2].json"
DCEF = DISCORD / "dcef-example-guild"
DCEF_GENERAL = DCEF / "Example guild - Text Channels - general [1012224565567721552].json"
DCEF_THREAD = DCEF / "_threads" / "Example guild - general - Thomas is Thomas [1060927310439657577].json"
CHAT_ANALYTICS = DISCORD / "chat-analytics"

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)   # the samples go up to mid-2026
TZ = "Asia/Shanghai"

pytestmark = pytest.mark.skipif(not ZULIP_GENERAL.is_file(), reason=f"real Discord samples not found at {DISCORD}")

# Independent classification (formats.md §2.3 and the adapter's documented choice).
CONTENT_TYPES = {"Default", "Reply", "0", "19", "20", "23"}
THREAD_TYPES = {"GuildPublicThread", "GuildPrivateThread", "GuildNewsThread"}
TABLES = ("messages", "users", "reactions", "membership_events", "quarantine", "files")


# ----------------------------------------------------------------------------- helpers

def _project(tmp_path: Path, tz: str = TZ) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    (tmp_path / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: " + tz + "\n"
        "warehouse: data/warehouse.duckdb\n"
        "sources:\n  - {name: discord_main, platform: discord, path: landing}\n", encoding="utf-8")
    return landing


def _ingest(tmp_path: Path, conn=None):
    cfg = load_config(tmp_path / "community.yaml")
    conn = conn or connect(cfg.warehouse)
    result = ingest_source(conn, cfg, cfg.sources[0], now=NOW)
    return cfg, conn, result


def _rows(conn, sql: str, params=None):
    return conn.execute(sql, params or {}).fetchall()


def _load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _expected(path: Path) -> dict:
    """Counts of one DCE file, computed with Python's json (independent of the adapter)."""
    doc = _load_json(path)
    msgs = doc["messages"]
    channel = doc["channel"]
    thread = channel["type"] in THREAD_TYPES
    system = [m for m in msgs if m.get("type") not in CONTENT_TYPES]
    replies = 0
    for m in msgs:
        if m.get("type") not in CONTENT_TYPES:
            continue
        ref = m.get("reference") or {}
        is_ref_reply = bool(ref.get("messageId")) and ref.get("type", "Default") != "Forward"
        if (thread and m["id"] != channel["id"]) or (not thread and is_ref_reply):
            replies += 1
    return {"messages": len(msgs), "system": len(system), "replies": replies,
            "authors": len({m["author"]["id"] for m in msgs}),
            "joins": sum(1 for m in msgs if m.get("type") == "GuildMemberJoin")}


def _parse_dce_time(value: str) -> datetime:
    """ISO time with 0–7 fractional digits (Python 3.11 takes at most 6)."""
    main, rest = value.split(".", 1) if "." in value else (value[:19], value[19:])
    digits = ""
    while rest and rest[0].isdigit():
        digits, rest = digits + rest[0], rest[1:]
    return datetime.fromisoformat(f"{main}.{digits[:6].ljust(6, '0')}{rest}")


def _complete_elements(data: bytes) -> int:
    """How many messages of a cut-off DCE file are complete (decoded one by one)."""
    text = data.decode("utf-8", errors="ignore")
    pos = text.index('"messages": [') + len('"messages": [')
    decoder, n = json.JSONDecoder(), 0
    while True:
        while pos < len(text) and text[pos] in " \r\n\t,":
            pos += 1
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return n
        n += 1


def _copy_all_samples(landing: Path) -> list[Path]:
    files = sorted(DISCORD.rglob("*.json"))
    for f in files:
        dest = landing / f.relative_to(DISCORD)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    return files


# ----------------------------------------------------------------------------- all real samples

@pytest.fixture(scope="module")
def all_samples(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("discord_all")
    landing = _project(tmp_path)
    files = _copy_all_samples(landing)
    cfg, conn, result = _ingest(tmp_path)
    yield tmp_path, cfg, conn, result, files
    conn.close()


def test_every_real_sample_loads_without_quarantine(all_samples):
    _, _, conn, result, files = all_samples
    assert len(files) == 13
    assert sorted(u.file_path for u in result.units) == sorted(str(f.relative_to(DISCORD)) for f in files)
    assert {u.status for u in result.units} == {"loaded"}, [u.error for u in result.units if u.error]
    assert _rows(conn, "select count(*) from raw.quarantine") == [(0,)]
    ledger = dict((p, (s, r, l, q)) for p, s, r, l, q in _rows(
        conn, "select file_path, status, messages_read, messages_loaded, messages_quarantined from raw.files"))
    for f in files:
        n = len(_load_json(f)["messages"])
        assert ledger[str(f.relative_to(DISCORD))] == ("loaded", n, n, 0)


def test_per_file_counts_match_python_json(all_samples):
    _, _, conn, _, files = all_samples
    got = {p: (n, s, r, a) for p, n, s, r, a in _rows(conn, """
        select file_path, count(*), count(*) filter (where kind = 'system'),
               count(*) filter (where kind = 'reply'), count(distinct author_id)
        from raw.messages group by 1""")}
    for f in files:
        e = _expected(f)
        assert got[str(f.relative_to(DISCORD))] == (e["messages"], e["system"], e["replies"], e["authors"]), f.name
    joins = dict(_rows(conn, "select file_path, count(*) from raw.membership_events group by 1"))
    assert {p: n for p, n in joins.items()} == {
        str(f.relative_to(DISCORD)): _expected(f)["joins"] for f in files if _expected(f)["joins"]}


def test_message_ids_locations_and_raw_times_are_kept(all_samples):
    _, _, conn, _, files = all_samples
    for f in files:
        rel = str(f.relative_to(DISCORD))
        msgs = _load_json(f)["messages"]
        got = _rows(conn, "select location, message_id, raw_time, text from raw.messages where file_path = $p "
                          "order by cast(regexp_extract(location, '[0-9]+') as int)", {"p": rel})
        assert got == [(f"messages[{i}]", m["id"], m["timestamp"], m["content"]) for i, m in enumerate(msgs)]


def test_every_instant_and_local_date_match_python(all_samples):
    _, _, conn, _, files = all_samples
    zone = ZoneInfo(TZ)
    for f in files:
        rel = str(f.relative_to(DISCORD))
        expected = sorted((m["id"], _parse_dce_time(m["timestamp"]), _parse_dce_time(m["timestamp"]).astimezone(zone).date())
                          for m in _load_json(f)["messages"])
        got = sorted(_rows(conn, "select message_id, sent_at, local_date from raw.messages where file_path = $p",
                           {"p": rel}))
        assert got == expected, rel


def test_plus_seven_offset_by_hand(all_samples):
    _, _, conn, _, _ = all_samples
    # zulip general: "2026-06-24T19:06:04.627+07:00" = 12:06:04.627 UTC = 20:06 in Shanghai, same day
    row = _rows(conn, "select sent_at, local_date, raw_time from raw.messages where message_id = '1519312655884750991'")
    assert row == [(datetime(2026, 6, 24, 12, 6, 4, 627000, tzinfo=timezone.utc), date(2026, 6, 24),
                    "2026-06-24T19:06:04.627+07:00")]
    # exportedAt-style 7 fractional digits are accepted (truncated to microseconds)
    got = _rows(conn, f"select {discord.ts_sql('$t')}", {"t": "2026-06-24T21:07:18.5322821+07:00", "tz": TZ})
    assert got == [(datetime(2026, 6, 24, 14, 7, 18, 532282, tzinfo=timezone.utc),)]


def test_local_dates_follow_the_community_zone(tmp_path):
    # Same +07:00 sample, community in Pacific/Kiritimati (UTC+14): 12:06 UTC is 02:06 the next day.
    landing = _project(tmp_path, tz="Pacific/Kiritimati")
    shutil.copy(ZULIP_GENERAL, landing / ZULIP_GENERAL.name)
    _, conn, _ = _ingest(tmp_path)
    assert _rows(conn, "select local_date from raw.messages where message_id = '1519312655884750991'") \
        == [(date(2026, 6, 25),)]


def test_kinds_replies_and_the_thread_file(all_samples):
    _, _, conn, _, _ = all_samples
    thread_rel = str(DCEF_THREAD.relative_to(DISCORD))
    thread = _load_json(DCEF_THREAD)
    expected = [(m["id"], "reply", (m.get("reference") or {}).get("messageId") or "1060927310439657577",
                 "1060927310439657577") for m in thread["messages"]]
    got = _rows(conn, "select message_id, kind, parent_id, thread_id from raw.messages where file_path = $p "
                      "order by message_id", {"p": thread_rel})
    assert got == sorted(expected)
    # the ThreadCreated notice in the parent channel: system, no parent; its id is the thread's id
    assert _rows(conn, "select kind, system_event, parent_id, thread_id from raw.messages "
                       "where message_id = '1060927310439657577'") == [("system", "thread_created", None, None)]
    # a Default-type message with reference.messageId is a reply (chat-analytics GC_3A_5M)
    assert _rows(conn, "select kind, parent_id from raw.messages where message_id = '530805779645595660' "
                       "and file_path like '%GC_3A_5M%'") == [("reply", "1064990824305274930")]
    # reply to a message absent from the export still points at it (zulip part 2)
    assert _rows(conn, "select kind, parent_id from raw.messages where message_id = '1519337352315797534'") \
        == [("reply", "1519337311018553354")]
    # a pin carries a reference to the pinned message but is a system message without parent
    assert _rows(conn, "select kind, system_event, parent_id from raw.messages where message_id = '1519316171290054736'") \
        == [("system", "pin", None)]
    assert dict(_rows(conn, "select system_event, count(*) from raw.messages where kind = 'system' group by 1")) \
        == {"join": 5, "thread_created": 2, "pin": 1, "rename": 1, "other": 3}   # other: 2 Call, 1 ChannelIconChange


def test_users_from_authors_reactors_and_mentions(all_samples):
    _, _, conn, _, _ = all_samples
    rel = str(ZULIP_GENERAL.relative_to(DISCORD))
    doc = _load_json(ZULIP_GENERAL)
    people = {}
    for m in doc["messages"]:
        for u in [m["author"], *m.get("mentions", []),
                  *(u for r in m.get("reactions", []) for u in r.get("users", []))]:
            people.setdefault(u["id"], u)
    got = _rows(conn, "select user_id, is_bot from raw.user_listings where file_path = $p order by 1", {"p": rel})
    assert got == sorted((i, u["isBot"]) for i, u in people.items())
    # the bot that joined the server is flagged
    assert _rows(conn, "select display_name, is_bot from raw.users where user_id = '1000000000000000003' "
                       "and file_path = $p", {"p": rel}) == [("test-zulip-import", True)]
    # missing nickname falls back to name; a deleted user is flagged
    sv = "chat-analytics/SV_5A_5M.json"
    assert _rows(conn, "select user_id, display_name, is_deleted from raw.user_listings where file_path = $p order by 1",
                 {"p": sv}) == [("111111111111111111", "mlomb", False), ("555555555555555555", "Deleted User", True)]
    assert _rows(conn, "select author_name from raw.messages where message_id = '447793085255123004'") == [("mlomb",)]


def test_reactions_with_users_and_counts(all_samples):
    _, _, conn, _, files = all_samples
    for f in files:
        rel = str(f.relative_to(DISCORD))
        expected = []
        for m in _load_json(f)["messages"]:
            for r in m.get("reactions", []):
                name = r["emoji"].get("code") or r["emoji"]["name"]
                users = [u["id"] for u in r.get("users", []) if u.get("id")]
                expected += [(m["id"], u, name, 1) for u in users]
                if r["count"] > len(users):
                    expected.append((m["id"], None, name, r["count"] - len(users)))
        got = _rows(conn, "select message_id, reactor_id, reaction, reaction_count from raw.reactions "
                          "where file_path = $p", {"p": rel})
        assert sorted(got, key=str) == sorted(expected, key=str), rel
    # zulip: 'laughing' by two known users; no unknown rest
    assert _rows(conn, "select reactor_id from raw.reactions where message_id = '1519313281611862046' "
                       "and reaction = 'laughing' order by 1") == [("1000000000000000001",), ("1000000000000000002",)]
    # chat-analytics (no users[] in old exports): one unknown row carrying the whole count
    assert _rows(conn, "select reactor_id, reaction, reaction_count, reacted_at from raw.reactions "
                       "where message_id = '530805779645595660' and file_path like '%DM_2A_2M%'") \
        == [(None, "👆", 42, None)]


def test_guild_joins(all_samples):
    _, _, conn, _, _ = all_samples
    got = _rows(conn, "select user_id, channel_id, event, occurred_at, via, location from raw.membership_events "
                      "where file_path like 'zulip%' order by occurred_at")
    assert got == [
        ("1000000000000000003", "1519311538035490958", "join",
         datetime(2026, 6, 24, 12, 4, 23, 180000, tzinfo=timezone.utc), "guild_join", "messages[0]"),
        ("1000000000000000002", "1519311538035490958", "join",
         datetime(2026, 6, 24, 13, 42, 20, 408000, tzinfo=timezone.utc), "guild_join", "messages[7]"),
    ]


def test_loading_the_same_folder_twice_adds_nothing(all_samples):
    tmp_path, cfg, conn, _, files = all_samples
    before = [_rows(conn, f"select count(*) from raw.{t}") for t in TABLES]
    again = ingest_source(conn, cfg, cfg.sources[0], now=NOW)
    assert {u.status for u in again.units} == {"skipped"} and len(again.units) == len(files)
    assert [_rows(conn, f"select count(*) from raw.{t}") for t in TABLES] == before


# ----------------------------------------------------------------------------- damaged input

def test_damaged_files_fail_or_quarantine_and_the_rest_loads(tmp_path):
    landing = _project(tmp_path)
    raw = ZULIP_GENERAL.read_bytes()
    (landing / "truncated.json").write_bytes(raw[: len(raw) // 2])
    doc = json.loads(raw)
    doc["messages"][3]["timestamp"] = "yesterday at noon"
    del doc["messages"][5]["id"]
    (landing / "bad rows.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    shutil.copy(ZULIP_PART2, landing / ZULIP_PART2.name)
    _, conn, result = _ingest(tmp_path)

    status = {u.file_path: u.status for u in result.units}
    assert status == {"truncated.json": "failed", "bad rows.json": "loaded", ZULIP_PART2.name: "loaded"}
    (error,) = _rows(conn, "select error from raw.files where status = 'failed'")[0]
    # names the file, the place (which message, which byte) and what was expected
    assert error.startswith("truncated.json: at messages[")
    assert "byte" in error and "expected" in error and "truncated" in error
    complete = _complete_elements(raw[: len(raw) // 2])
    assert f"messages[{complete}]" in error       # the first incomplete message
    assert _rows(conn, "select count(*) from raw.messages where file_path = 'truncated.json'") == [(0,)]

    q = _rows(conn, "select file_path, location, entity, rule, reason from raw.quarantine order by location")
    assert q == [
        ("bad rows.json", "messages[3]", "messages", "unparseable_time",
         "bad rows.json at messages[3]: expected a timestamp, found 'yesterday at noon'"),
        ("bad rows.json", "messages[5]", "messages", "missing_id",
         "bad rows.json at messages[5]: expected a message id, found none"),
    ]
    n = len(doc["messages"])
    assert _rows(conn, "select messages_read, messages_loaded, messages_quarantined from raw.files "
                       "where file_path = 'bad rows.json'") == [(n, n - 2, 2)]
    assert _rows(conn, "select count(*) from raw.messages where file_path = $p", {"p": ZULIP_PART2.name}) \
        == [(len(_load_json(ZULIP_PART2)["messages"]),)]
    # nothing is left behind in the scratch database, failed unit included
    assert _rows(conn, "select count(*) from duckdb_tables() where database_name = '_jsonstream'") == [(0,)]


def test_badly_shaped_records_are_quarantined_not_fatal(tmp_path):
    landing = _project(tmp_path)
    doc = _load_json(ZULIP_GENERAL)
    doc["messages"][2] = "not a message"
    doc["messages"][4]["reactions"] = [5]
    doc["messages"][6]["author"] = "bob"
    (landing / "shapes.json").write_text(json.dumps(doc), encoding="utf-8")
    _, conn, result = _ingest(tmp_path)
    assert [u.status for u in result.units] == ["loaded"]
    assert _rows(conn, "select location, rule from raw.quarantine order by location") == [
        ("messages[2]", "missing_id"), ("messages[4].reactions[0]", "invalid_count"),
        ("messages[6]", "missing_author")]
    assert _rows(conn, "select count(*) from raw.messages") == [(len(doc["messages"]) - 2,)]


# ----------------------------------------------------------------------------- edited variants

def test_numeric_types_forwards_and_group_dm_membership(tmp_path):
    landing = _project(tmp_path)
    doc = _load_json(CHAT_ANALYTICS / "GC_3A_5M.json")   # a real group DM, edited below
    base = doc["messages"][1]
    alice = {"id": "333333333333333333", "name": "not a plant", "nickname": "theplant", "isBot": False}
    bob = {"id": "222222222222222222", "name": "lombi", "nickname": "lombi", "isBot": False}

    def msg(i, typ, author=alice, **extra):
        m = json.loads(json.dumps(base))
        m.update({"id": str(9000 + i), "type": typ, "author": dict(base["author"], **author)}, **extra)
        if typ is None:
            del m["type"]
        return m

    doc["messages"] = [
        msg(0, "20", content="slash command answer", author={"id": "777", "name": "botty", "isBot": True}),
        msg(1, "8", content="boosted the server"),
        msg(2, "21"),
        msg(3, "Default", reference={"type": "Forward", "messageId": "42", "channelId": "1"}),
        msg(4, "RecipientAdd", author=bob, mentions=[alice]),
        msg(5, "RecipientRemove", author=alice, mentions=[alice]),
        msg(6, "RecipientRemove", author=bob, mentions=[alice]),
        msg(7, "RecipientAdd", author=bob, mentions=[]),
        msg(8, None),
    ]
    (landing / "group.json").write_text(json.dumps(doc), encoding="utf-8")
    _, conn, _ = _ingest(tmp_path)
    got = _rows(conn, "select message_id, kind, system_event, parent_id, author_is_bot from raw.messages order by 1")
    assert got == [("9000", "message", None, None, True), ("9001", "system", "other", None, False),
                   ("9002", "system", "other", None, False), ("9003", "message", None, None, False),
                   ("9004", "system", "join", None, False), ("9005", "system", "leave", None, False),
                   ("9006", "system", "leave", None, False), ("9007", "system", "join", None, False)]
    assert _rows(conn, "select location, user_id, event, via from raw.membership_events order by location") == [
        ("messages[4]", alice["id"], "join", "invite"),
        ("messages[5]", alice["id"], "leave", "left"),
        ("messages[6]", alice["id"], "leave", "kicked"),
    ]
    assert _rows(conn, "select location, entity, rule from raw.quarantine order by entity, location") == [
        ("messages[7]", "membership_events", "missing_id"),   # RecipientAdd without a mentioned user
        ("messages[8]", "messages", "unknown_kind"),          # no type at all
    ]


def test_find_exports_order_and_media_folders(tmp_path):
    landing = tmp_path / "landing"
    (landing / "b").mkdir(parents=True)
    (landing / "x.json_Files").mkdir()
    old = landing / "b" / "old.json"
    new = landing / "a-new.json"
    undated = landing / "undated.json"
    shutil.copy(ZULIP_GENERAL, old)                       # exportedAt 2026-06-24T21:07:18+07:00
    shutil.copy(ZULIP_PART2, new)                         # exportedAt 2026-06-24T21:07:32+07:00
    shutil.copy(CHAT_ANALYTICS / "DM_2A_2M.json", undated)  # no exportedAt: mtime
    stamp = datetime(2026, 6, 24, 14, 7, 25, tzinfo=timezone.utc).timestamp()   # between the two
    os.utime(undated, (stamp, stamp))
    (landing / "x.json_Files" / "attachment.json").write_text("{}", encoding="utf-8")
    (landing / ".hidden.json").write_text("{}", encoding="utf-8")
    assert discord.find_exports(landing) == [old, undated, new]
    assert (datetime(2026, 6, 24, 14, 7, 18, tzinfo=timezone.utc)
            <= discord._export_time(old) < datetime(2026, 6, 24, 14, 7, 19, tzinfo=timezone.utc))
    assert discord._export_time(undated) - datetime.fromtimestamp(stamp, timezone.utc) < timedelta(seconds=1)


def test_hash_computed_during_the_load_same_content_elsewhere_is_skipped(tmp_path):
    """A new unit is hashed while it loads: its rows get the real content hash, the same
    content under another name is skipped after its read (nothing added), and a unit that
    fails to parse is recorded under its hash too."""
    import blake3

    from pipeline.ingest.loader import PENDING_FILE_ID
    landing = _project(tmp_path)
    shutil.copy(ZULIP_GENERAL, landing / "a.json")
    shutil.copy(ZULIP_GENERAL, landing / "b_same_content.json")
    (landing / "c_truncated.json").write_bytes(ZULIP_GENERAL.read_bytes()[:3000])
    _, conn, result = _ingest(tmp_path)
    assert [(u.file_path, u.status) for u in result.units] == [
        ("a.json", "loaded"), ("b_same_content.json", "skipped"), ("c_truncated.json", "failed")]
    sha = {name: "blake3:" + blake3.blake3((landing / name).read_bytes()).hexdigest()
           for name in ("a.json", "c_truncated.json")}
    n = len(_load_json(ZULIP_GENERAL)["messages"])
    assert _rows(conn, "select file_id, file_path, count(*) from raw.messages group by all") == [
        (sha["a.json"], "a.json", n)]
    assert _rows(conn, "select file_path, file_id, status from raw.files order by file_path") == [
        ("a.json", sha["a.json"], "loaded"), ("c_truncated.json", sha["c_truncated.json"], "failed")]
    assert _rows(conn, "select file_path, file_id from raw.file_hashes order by file_path") == [
        ("a.json", sha["a.json"]), ("b_same_content.json", sha["a.json"]),
        ("c_truncated.json", sha["c_truncated.json"])]
    for table in ("messages", "users", "reactions", "membership_events", "quarantine"):
        assert _rows(conn, f"select count(*) from raw.{table} where file_id = $p", {"p": PENDING_FILE_ID}) == [(0,)]
    # a second run reads nothing again: every hash is remembered
    _, conn2, again = _ingest(tmp_path, conn)
    assert [u.status for u in again.units] == ["skipped", "skipped", "failed"]


def test_a_warehouse_with_sha256_ids_keeps_them(tmp_path):
    """A warehouse whose ledger holds sha256 ids (made before BLAKE3 ids) goes on hashing with
    sha256: the same content under a new name is still recognised and adds nothing, and a
    new export gets a sha256 id too. A new warehouse uses BLAKE3 ids."""
    import hashlib

    landing = _project(tmp_path)
    shutil.copy(ZULIP_GENERAL, landing / "a.json")
    _, conn, _ = _ingest(tmp_path)
    assert _rows(conn, "select file_id like 'blake3:%' from raw.files") == [(True,)]
    # the ledger of a warehouse from before: the same rows under the sha256 id
    sha = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ZULIP_GENERAL, ZULIP_PART2)}
    for table in ("files", "file_hashes", "messages", "users", "reactions", "membership_events", "quarantine"):
        conn.execute(f"update raw.{table} set file_id = $f", {"f": sha[ZULIP_GENERAL.name]})
    messages = _rows(conn, "select count(*) from raw.messages")
    shutil.copy(ZULIP_GENERAL, landing / "a_renamed.json")
    shutil.copy(ZULIP_PART2, landing / "b.json")
    _, conn, result = _ingest(tmp_path, conn)
    assert [(u.file_path, u.status) for u in result.units] == [
        ("a.json", "skipped"), ("a_renamed.json", "skipped"), ("b.json", "loaded")]
    assert _rows(conn, "select file_path, file_id from raw.files order by file_path") == [
        ("a.json", sha[ZULIP_GENERAL.name]), ("b.json", sha[ZULIP_PART2.name])]
    assert _rows(conn, "select count(*) from raw.messages where file_path = 'a.json'") == messages


def test_small_units_load_beside_the_big_ones_with_the_same_result(tmp_path, monkeypatch):
    """pipeline/ingest/loader.py loads the units up to SMALL_UNIT_BYTES on a second lane (a
    thread with its own connection) beside the bigger ones. The warehouse ends up exactly as
    when every unit loads one after another: the same rows, the same ledger with the same
    file_seq order, the same content elsewhere skipped, a damaged file failed."""
    import threading

    from pipeline.ingest import loader

    def project(name: str) -> Path:
        root = tmp_path / name
        root.mkdir()
        landing = _project(root)
        _copy_all_samples(landing)
        shutil.copy(DCEF_THREAD, landing / "z_thread_copy.json")              # small, same content
        (landing / "z_truncated.json").write_bytes(ZULIP_GENERAL.read_bytes()[:3000])
        return root

    def snapshot(conn) -> dict:
        return {t: _rows(conn, f"select * from raw.{t} order by all") for t in TABLES} | {
            "ledger": _rows(conn, "select file_seq, file_path, status from raw.files order by file_seq")}

    monkeypatch.setattr(loader, "SMALL_UNIT_BYTES", 0)                          # one lane
    _, conn, one_lane = _ingest(project("one_lane"))
    expected = snapshot(conn)
    conn.close()

    threads: dict[str, int] = {}
    real_load_unit = loader._load_unit

    def spy(conn, config, source, adapter, unit, rel, *args):
        threads[rel] = threading.get_ident()
        return real_load_unit(conn, config, source, adapter, unit, rel, *args)

    monkeypatch.setattr(loader, "_load_unit", spy)
    monkeypatch.setattr(loader, "SMALL_UNIT_BYTES", 10_000)
    root = project("two_lanes")
    _, conn, two_lanes = _ingest(root)
    assert snapshot(conn) == expected
    assert [(u.file_path, u.status, u.rows_read) for u in two_lanes.units] == \
        [(u.file_path, u.status, u.rows_read) for u in one_lane.units]
    status = {u.file_path: u.status for u in two_lanes.units}
    assert status["z_thread_copy.json"] == "skipped" and status["z_truncated.json"] == "failed"
    assert sum(s == "loaded" for s in status.values()) == len(status) - 2
    # the small units went through another thread than the big ones
    landing = root / "landing"
    small = {rel for rel in threads if (landing / rel).stat().st_size <= 10_000}
    assert small and len(small) < len(threads)
    assert {threads[rel] for rel in small}.isdisjoint({threads[rel] for rel in set(threads) - small})
    conn.close()


def test_new_versions_of_exports_in_both_lanes_replace_the_old_ones(tmp_path, monkeypatch):
    """A new version of an export at the same path replaces the old one, and its transaction
    also moves other exports' rows of the users the old version listed (user_repeats.py). When
    big and small units of a source are all new versions (DiscordChatExporter run again into
    the same folder), two lanes did that for the same users at once and one unit failed with
    DuckDB's "Conflict on tuple deletion", reported as an unreadable export. Such a source now
    loads one unit after another: every unit loads, and the warehouse is exactly the one a
    single lane gives."""
    import threading

    from pipeline.ingest import loader

    threads: dict[str, set] = {}
    real_load_unit = loader._load_unit

    def spy(conn, config, source, adapter, unit, rel, *args):
        threads.setdefault(config.warehouse.parent.parent.name, set()).add(threading.get_ident())
        return real_load_unit(conn, config, source, adapter, unit, rel, *args)

    def reexported(name: str, small_unit_bytes: int):
        monkeypatch.setattr(loader, "SMALL_UNIT_BYTES", small_unit_bytes)
        root = tmp_path / name
        root.mkdir()
        landing = _project(root)
        _copy_all_samples(landing)
        _, conn, first = _ingest(root)
        assert {u.status for u in first.units} == {"loaded"}
        for path in landing.rglob("*.json"):            # a new version of each, same rows
            with path.open("ab") as fh:
                fh.write(b"\n")
        monkeypatch.setattr(loader, "_load_unit", spy)
        _, conn, second = _ingest(root, conn)
        monkeypatch.setattr(loader, "_load_unit", real_load_unit)
        snapshot = {t: _rows(conn, f"select * from raw.{t} order by all")
                    for t in (*TABLES, "user_repeats")}
        conn.close()
        return first, second, snapshot

    _, one_second, one_lane = reexported("one_lane", 0)
    first, second, two_lanes = reexported("two_lanes", 10_000)
    sizes = [(tmp_path / "two_lanes" / "landing" / u.file_path).stat().st_size for u in first.units]
    assert min(sizes) <= 10_000 < max(sizes)            # the first load did use both lanes
    assert len(threads["two_lanes"]) == 1               # the new versions loaded in one
    assert sorted((u.file_path, u.status) for u in second.units) == sorted((u.file_path, "loaded") for u in first.units)
    assert two_lanes == one_lane
    assert [(u.file_path, u.rows_read) for u in second.units] == [(u.file_path, u.rows_read) for u in one_second.units]
    # every export is there once, in its new version only
    assert len(two_lanes["files"]) == len(first.units)
    assert {row[7] for row in two_lanes["files"]} == {"loaded"}


def test_a_unit_is_hashed_again_only_when_its_size_or_time_changed(tmp_path, monkeypatch):
    """The ledger remembers each unit's hash with its size and modification time: an unchanged
    unit is skipped without being read, a touched one is read and hashed again (and skipped: the
    same content), and a replaced one is hashed again and replaces the older version's rows."""
    import os

    from pipeline.ingest import loader

    hashed = []
    content_hash = loader.content_hash
    monkeypatch.setattr(loader, "content_hash", lambda path, *a: hashed.append(path.name) or content_hash(path, *a))
    landing = _project(tmp_path)
    shutil.copy(ZULIP_GENERAL, landing / "a.json")
    shutil.copy(DCEF_GENERAL, landing / "b.json")
    _, conn, first = _ingest(tmp_path)
    assert [u.status for u in first.units] == ["loaded", "loaded"] and sorted(hashed) == ["a.json", "b.json"]

    hashed.clear()
    _, conn, again = _ingest(tmp_path, conn)
    assert [u.status for u in again.units] == ["skipped", "skipped"] and hashed == []

    stamp = (landing / "a.json").stat().st_mtime + 60
    os.utime(landing / "a.json", (stamp, stamp))
    _, conn, touched = _ingest(tmp_path, conn)
    assert [u.status for u in touched.units] == ["skipped", "skipped"] and hashed == ["a.json"]

    hashed.clear()
    shutil.copy(ZULIP_PART2, landing / "b.json")
    _, conn, replaced = _ingest(tmp_path, conn)
    assert [u.status for u in replaced.units] == ["skipped", "loaded"] and hashed == ["b.json"]
    n = len(_load_json(ZULIP_PART2)["messages"])
    assert _rows(conn, "select count(*) from raw.messages where file_path = 'b.json'") == [(n,)]
    assert _rows(conn, "select count(*) from raw.files") == [(2,)]
