"""Telegram Desktop (result.json) adapter through the real ingest framework.

The real samples live outside the repository (``../shared/fixtures/real/telegram``, not
committed: licences); each test copies what it needs into ``tmp_path`` (damaged variants are
derived there at test time). Expected numbers are computed here independently, by parsing the
same files with Python's ``json``. No real export with reactions exists (formats.md §9), so
reactions are tested on a small hand-written export in the documented shape.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.adapters import telegram  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.ingest.loader import ingest_source  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402

TELEGRAM = ROOT.parent / "shared" / "fixtures" / "real" / "telegram"
DM = TELEGRAM / "chat-analytics" / "DM_2A_7M.json"
CHM = TELEGRAM / "chat-history-manager"

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
TZ = "Asia/Shanghai"
TABLES = ("messages", "users", "reactions", "membership_events", "quarantine", "files")

pytestmark = pytest.mark.skipif(not DM.is_file(), reason=f"real Telegram samples not found at {TELEGRAM}")


# ----------------------------------------------------------------------------- helpers

def _project(tmp_path: Path, tz: str = TZ, extra: str = "", settings: str = "") -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    (tmp_path / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: " + tz + "\n"
        "warehouse: data/warehouse.duckdb\n"
        + (f"settings:\n{settings}" if settings else "")
        + "sources:\n  - name: tg\n    platform: telegram\n    path: landing\n" + extra, encoding="utf-8")
    return landing


def _ingest(tmp_path: Path):
    cfg = load_config(tmp_path / "community.yaml")
    conn = connect(cfg.warehouse)
    result = ingest_source(conn, cfg, cfg.sources[0], now=NOW)
    return cfg, conn, result


def _rows(conn, sql: str, params=None):
    return conn.execute(sql, params or {}).fetchall()


def _load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _norm(value):
    if value is None:
        return None
    if isinstance(value, int) or str(value).lstrip("-").isdigit():
        return f"user{value}"
    return value


def _chats(doc: dict):
    """(location prefix, chat) for a single-chat or an account export."""
    if "messages" in doc:
        return [("", doc)]
    return [(f"{key}.list[{i}].", c) for key in ("chats", "left_chats")
            for i, c in enumerate((doc.get(key) or {}).get("list", []))]


def _messages(path: Path):
    for prefix, chat in _chats(_load_json(path)):
        for i, m in enumerate(chat.get("messages", [])):
            yield f"{prefix}messages[{i}]", chat, m


def _expected(path: Path) -> dict:
    msgs = [m for _, _, m in _messages(path)]
    return {"messages": len(msgs),
            "system": sum(m["type"] == "service" for m in msgs),
            "replies": sum(m["type"] == "message" and "reply_to_message_id" in m for m in msgs),
            "authors": len({_norm(m.get("actor_id") if m["type"] == "service" else m.get("from_id"))
                            for m in msgs} - {None})}


def _samples() -> list[Path]:
    return sorted(TELEGRAM.rglob("*.json"))


def _copy_samples(landing: Path, files) -> None:
    for f in files:
        dest = landing / f.relative_to(TELEGRAM)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)


# ----------------------------------------------------------------------------- all real samples

@pytest.fixture(scope="module")
def all_samples(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("telegram_all")
    landing = _project(tmp_path)
    files = _samples()
    _copy_samples(landing, files)
    cfg, conn, result = _ingest(tmp_path)
    yield tmp_path, cfg, conn, result, files
    conn.close()


def _rel(f: Path) -> str:
    return str(f.relative_to(TELEGRAM))


def test_every_real_sample_loads(all_samples):
    _, _, conn, result, files = all_samples
    assert len(files) == 18
    assert sorted(u.file_path for u in result.units) == sorted(_rel(f) for f in files)
    assert {u.status for u in result.units} == {"loaded"}, [u.error for u in result.units if u.error]
    ledger = {p: (r, l, q) for p, r, l, q in _rows(
        conn, "select file_path, messages_read, messages_loaded, messages_quarantined from raw.files")}
    for f in files:
        n = _expected(f)["messages"]
        assert ledger[_rel(f)] == (n, n, 0), f
    # The only quarantined row of the real samples: "invite_members" of a deleted account
    # ("members": [null], 2023-01) has no name to resolve, so no member to record.
    assert _rows(conn, "select file_path, location, entity, rule, reason from raw.quarantine") == [(
        "chat-history-manager/telegram_2023-01/result.json", "chats.list[0].messages[3].members[0]",
        "membership_events", "missing_id",
        "chat-history-manager/telegram_2023-01/result.json at chats.list[0].messages[3].members[0]: "
        "expected the id of the member who joined or left, found none")]


def test_per_file_counts_match_python_json(all_samples):
    _, _, conn, _, files = all_samples
    got = {p: (n, s, r, a) for p, n, s, r, a in _rows(conn, """
        select file_path, count(*), count(*) filter (where kind = 'system'),
               count(*) filter (where kind = 'reply'), count(distinct author_id)
        from raw.messages group by 1""")}
    for f in files:
        e = _expected(f)
        assert got[_rel(f)] == (e["messages"], e["system"], e["replies"], e["authors"]), f


def test_ids_locations_channels_and_times_match_python(all_samples):
    _, _, conn, _, files = all_samples
    zone = ZoneInfo(TZ)   # exporter time zone = community zone by default
    for f in files:
        expected = []
        for loc, chat, m in _messages(f):
            if "date_unixtime" in m:
                sent, raw = datetime.fromtimestamp(int(m["date_unixtime"]), timezone.utc), m["date_unixtime"]
            else:
                sent, raw = datetime.fromisoformat(m["date"]).replace(tzinfo=zone), m["date"]
            expected.append((loc, f"{chat['id']}:{m['id']}", str(chat["id"]), chat.get("name"), raw,
                             sent, sent.astimezone(zone).date()))
        got = _rows(conn, "select location, message_id, channel_id, channel_name, raw_time, sent_at, local_date "
                          "from raw.messages where file_path = $p", {"p": _rel(f)})
        assert sorted(got, key=str) == sorted(expected, key=str), f


def test_unixtime_by_hand(all_samples):
    _, _, conn, _, _ = all_samples
    # DM_2A_7M id 3662: date_unixtime "1652135033" = 2022-05-09 22:23:53 UTC = 2022-05-10 06:23 in Shanghai
    assert _rows(conn, "select sent_at, local_date, raw_time from raw.messages where message_id = '700000000:3662'") \
        == [(datetime(2022, 5, 9, 22, 23, 53, tzinfo=timezone.utc), date(2022, 5, 10), "1652135033")]


def test_date_without_offset_uses_the_exporter_zone(tmp_path):
    landing = _project(tmp_path, settings="  exporter_timezone: America/Sao_Paulo\n")
    shutil.copy(DM, landing / "result.json")
    _, conn, _ = _ingest(tmp_path)
    # id 3644 has only "date": "2019-07-12T16:55:32", written at UTC-3 → 19:55:32 UTC → 03:55 next day in Shanghai
    assert _rows(conn, "select sent_at, local_date from raw.messages where message_id = '700000000:3644'") \
        == [(datetime(2019, 7, 12, 19, 55, 32, tzinfo=timezone.utc), date(2019, 7, 13))]


def test_message_fields(all_samples):
    _, _, conn, _, _ = all_samples
    f2020 = "chat-history-manager/telegram_2020-01/result.json"
    # 2020-era integer from_id → 'user<id>'; the 1970 'edited' placeholder is "not edited"
    assert _rows(conn, "select count(*) from raw.messages where file_path = $p and author_id not like 'user%'",
                 {"p": f2020}) == [(0,)]
    assert sorted(_rows(conn, "select message_id, edited_at from raw.messages where file_path = $p and is_edited",
                        {"p": f2020})) == [
        ("8123123123:129455", datetime(2019, 9, 24, 12, 49, 31, tzinfo=timezone.utc)),   # 20:49:31 local (+08)
        ("8123123123:67346", datetime(2018, 11, 16, 16, 58, 5, tzinfo=timezone.utc))]
    # text arrays are concatenated
    assert _rows(conn, "select text, kind, parent_id from raw.messages where message_id = '8123123123:10415'") == [(
        "девиз Вольво:\nhttp://cs5.pikabu.ru/post_img/big/2015/12/04/5/1449210847155432089.jpg" "гыгы",
        "message", None)]
    assert _rows(conn, "select kind, parent_id from raw.messages where message_id = '8123123123:39740'") \
        == [("reply", "8123123123:39739")]
    # a reply to another chat's post points into that chat
    assert _rows(conn, "select kind, parent_id from raw.messages where message_id = '123123123:11111' "
                       "and file_path like '%2024-01/%'") == [("reply", "9876543210:1234567")]
    # media placeholders count as attachments; a service message's group photo does not
    assert _rows(conn, "select has_attachment from raw.messages where message_id in "
                       "('8123123123:10699', '8123123123:4721', '8123123123:4730') order by message_id") \
        == [(True,), (False,), (False,)]
    assert dict(_rows(conn, "select system_event, count(*) from raw.messages where file_path = $p "
                            "and kind = 'system' group by 1", {"p": f2020})) \
        == {"join": 2, "leave": 1, "pin": 1, "other": 4}   # edit_group_photo, 2 phone_call, clear_history
    assert _rows(conn, "select count(*) from raw.messages where author_is_bot is not null") == [(0,)]


def test_membership_events_from_service_actions(all_samples):
    _, _, conn, _, _ = all_samples
    got = _rows(conn, "select file_path, location, user_id, channel_id, event, via from raw.membership_events "
                      "order by file_path, location")
    p = "chat-history-manager/"
    assert got == [
        # create_group: every listed member joins; names resolved through from/actor names
        (p + "telegram_2020-01/result.json", "chats.list[0].messages[0].members[0]", "user22222222", "8123123123", "join", "invite"),
        (p + "telegram_2020-01/result.json", "chats.list[0].messages[0].members[1]", "user555555555", "8123123123", "join", "invite"),
        (p + "telegram_2020-01/result.json", "chats.list[0].messages[0].members[2]", "user11111111", "8123123123", "join", "invite"),
        (p + "telegram_2020-01/result.json", "chats.list[0].messages[0].members[3]", "user44444444", "8123123123", "join", "invite"),
        # remove_members of the actor himself: left
        (p + "telegram_2020-01/result.json", "chats.list[0].messages[2].members[0]", "user333333333", "8123123123", "leave", "left"),
        (p + "telegram_2020-01/result.json", "chats.list[0].messages[7].members[0]", "user777777777", "8123123123", "join", "invite"),
        (p + "telegram_2021-05/result.json", "chats.list[0].messages[0].members[0]", "user22222222", "123123123", "join", "invite"),
        # never seen as a sender: unresolved, kept under its display name
        (p + "telegram_2021-05/result.json", "chats.list[0].messages[0].members[1]", "name:Nnnnnnn", "123123123", "join", "invite"),
        # the account owner, resolved through personal_information
        (p + "telegram_2021-05/result.json", "chats.list[0].messages[0].members[2]", "user11111111", "123123123", "join", "invite"),
        (p + "telegram_2021-05/result.json", "chats.list[0].messages[0].members[3]", "user44444444", "123123123", "join", "invite"),
        (p + "telegram_2021-06_supergroup/result.json", "chats.list[0].messages[0].members[0]", "user444444444", "1234567890", "join", "invite"),
        (p + "telegram_2023-08/result.json", "chats.list[0].messages[0]", "user5555555555", "123123123", "join", "link"),
        (p + "telegram_2024-08/result.json", "chats.list[0].messages[2]", "user11111111", "123123123", "join", "request"),
    ]
    assert _rows(conn, "select display_name from raw.users where user_id = 'name:Nnnnnnn'") == [("Nnnnnnn",)]
    assert _rows(conn, "select occurred_at from raw.membership_events where via = 'link'") \
        == [(datetime.fromtimestamp(1664352868, timezone.utc),)]


def test_users(all_samples):
    _, _, conn, _, files = all_samples
    for f in files:
        ids = {_norm(m.get("actor_id") if m["type"] == "service" else m.get("from_id")) for _, _, m in _messages(f)}
        got = {u for (u,) in _rows(conn, "select user_id from raw.user_listings where file_path = $p and user_id not like 'name:%'",
                                   {"p": _rel(f)})}
        assert got == ids - {None}, f
    assert _rows(conn, "select display_name, is_bot from raw.users where user_id = 'user22222222' "
                       "and file_path like '%2020-01%'") == [("Wwwwww Www", False)]


def test_loading_the_same_folder_twice_adds_nothing(all_samples):
    _, cfg, conn, _, files = all_samples
    before = [_rows(conn, f"select count(*) from raw.{t}") for t in TABLES]
    again = ingest_source(conn, cfg, cfg.sources[0], now=NOW)
    assert {u.status for u in again.units} == {"skipped"} and len(again.units) == len(files)
    assert [_rows(conn, f"select count(*) from raw.{t}") for t in TABLES] == before


# ----------------------------------------------------------------------------- hand-written shapes

def _write_chat(path: Path, messages: list, *, bom: bool = False, name: str = "Group", chat_id: int = 555) -> None:
    doc = {"name": name, "type": "private_supergroup", "id": chat_id, "messages": messages}
    data = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def test_reactions_recent_and_unknown_reactors_and_bots(tmp_path):
    landing = _project(tmp_path, extra="    bots: [2, user9]\n")
    _write_chat(landing / "ChatExport_2025-01-02" / "result.json", [
        {"id": 1, "type": "message", "date": "2025-01-02T10:00:00", "date_unixtime": "1735783200",
         "from": "Ann", "from_id": "user1", "text": "hello",
         "reactions": [
             {"type": "emoji", "count": 3, "emoji": "👍",
              "recent": [{"from": "Bob", "from_id": "user2", "date": "2025-01-02T10:05:00"},
                         {"from": "Cy", "from_id": "user3", "date": "2025-01-02T23:30:00"}]},
             {"type": "custom_emoji", "count": 1, "document_id": "doc/5.webp"},
             {"type": "paid", "count": 2, "recent": [{"from": "Bob", "from_id": "user2", "date": "2025-01-03T08:00:00"}]}]},
        {"id": 2, "type": "message", "date": "2025-01-02T10:01:00", "date_unixtime": "1735783260",
         "from": "Bob", "from_id": "user2", "text": "bot says hi"},
    ])
    _, conn, result = _ingest(tmp_path)
    assert [u.status for u in result.units] == ["loaded"]
    zone = ZoneInfo(TZ)
    assert sorted(_rows(conn, "select location, message_id, reactor_id, reaction, reaction_count, raw_time, reacted_at "
                              "from raw.reactions"), key=str) == sorted([
        ("messages[0].reactions[0].recent[0]", "555:1", "user2", "👍", 1, "2025-01-02T10:05:00",
         datetime(2025, 1, 2, 10, 5, tzinfo=zone)),
        ("messages[0].reactions[0].recent[1]", "555:1", "user3", "👍", 1, "2025-01-02T23:30:00",
         datetime(2025, 1, 2, 23, 30, tzinfo=zone)),
        ("messages[0].reactions[0]", "555:1", None, "👍", 1, None, None),
        ("messages[0].reactions[1]", "555:1", None, "custom_emoji:doc/5.webp", 1, None, None),
        ("messages[0].reactions[2].recent[0]", "555:1", "user2", "paid", 1, "2025-01-03T08:00:00",
         datetime(2025, 1, 3, 8, 0, tzinfo=zone)),
        ("messages[0].reactions[2]", "555:1", None, "paid", 1, None, None),
    ], key=str)
    assert _rows(conn, "select user_id, display_name, is_bot from raw.users order by 1") \
        == [("user1", "Ann", False), ("user2", "Bob", True), ("user3", "Cy", False)]
    assert _rows(conn, "select message_id, author_is_bot from raw.messages order by 1") \
        == [("555:1", None), ("555:2", True)]


def test_bom_and_x_escapes_in_a_single_chat_export(tmp_path):
    landing = _project(tmp_path)
    path = landing / "ChatExport_2025-01-02" / "result.json"
    _write_chat(path, [
        {"id": 1, "type": "message", "date": "2025-01-02T10:00:00", "date_unixtime": "1735783200",
         "from": "Ann", "from_id": "user1", "text": "bell@ and path C:\\\\x41"},
    ], bom=True, name="Chat @")
    # tdesktop writes control characters as \xNN (not JSON): make the file look like that
    data = path.read_bytes().replace(b"@", b"\\x07")
    path.write_bytes(data)
    with pytest.raises(ValueError):
        json.loads(data.decode("utf-8-sig"))
    _, conn, result = _ingest(tmp_path)
    assert [u.status for u in result.units] == ["loaded"], result.units
    assert _rows(conn, "select channel_name, text from raw.messages") == [("Chat \x07", "bell\x07 and path C:\\\\x41")]


def test_damaged_exports(tmp_path):
    landing = _project(tmp_path)
    raw = DM.read_bytes()
    (landing / "ChatExport_2025-01-01").mkdir()
    (landing / "ChatExport_2025-01-01" / "result.json").write_bytes(raw[: len(raw) // 2])
    doc = _load_json(DM)
    doc["messages"][4]["date_unixtime"] = "soon"
    del doc["messages"][5]["id"]
    _write_chat(landing / "ChatExport_2025-01-02" / "result.json", doc["messages"], chat_id=doc["id"], name=doc["name"])
    full = (CHM / "telegram_2020-01" / "result.json").read_bytes()
    (landing / "DataExport_2025-01-03").mkdir()
    (landing / "DataExport_2025-01-03" / "result.json").write_bytes(full[: len(full) * 2 // 3])
    shutil.copy(CHM / "telegram_2024-08" / "result.json", landing / "account.json")
    _, conn, result = _ingest(tmp_path)

    status = {u.file_path: u.status for u in result.units}
    assert status == {"ChatExport_2025-01-01/result.json": "failed", "ChatExport_2025-01-02/result.json": "loaded",
                      "DataExport_2025-01-03/result.json": "failed", "account.json": "loaded"}
    errors = dict(_rows(conn, "select file_path, error from raw.files where status = 'failed'"))
    single = errors["ChatExport_2025-01-01/result.json"]
    assert single.startswith("ChatExport_2025-01-01/result.json: at messages[") and "truncated" in single
    account = errors["DataExport_2025-01-03/result.json"]
    assert account.startswith("DataExport_2025-01-03/result.json: at chats.list[") and "expected" in account
    assert _rows(conn, "select count(*) from raw.messages where file_path like '%2025-01-01%' "
                       "or file_path like '%2025-01-03%'") == [(0,)]
    assert _rows(conn, "select location, rule, reason from raw.quarantine order by location") == [
        ("messages[4]", "unparseable_time",
         "ChatExport_2025-01-02/result.json at messages[4]: expected a timestamp, found 'soon'"),
        ("messages[5]", "missing_id",
         "ChatExport_2025-01-02/result.json at messages[5]: expected a message id, found none"),
    ]
    assert _rows(conn, "select count(*) from raw.messages where file_path = 'account.json'") == [(4,)]
    assert _rows(conn, "select count(*) from duckdb_tables() where database_name = '_jsonstream'") == [(0,)]


def test_find_exports(tmp_path):
    landing = tmp_path / "landing"
    for d in ("ChatExport_2024-03-01 (2)", "ChatExport_2024-03-01", "ChatExport_2023-12-31", "misc"):
        (landing / d).mkdir(parents=True)
    for d in ("ChatExport_2024-03-01 (2)", "ChatExport_2024-03-01", "ChatExport_2023-12-31"):
        shutil.copy(DM, landing / d / "result.json")
    shutil.copy(DM, landing / "misc" / "old-chat.json")                 # tdesktop-shaped, other name
    shutil.copy(CHM / "telegram_2024-08" / "result.json", landing / "misc" / "account.json")
    (landing / "misc" / "settings.json").write_text('{"theme": "dark"}', encoding="utf-8")
    (landing / "misc" / "discord.json").write_text(
        '{"guild": {}, "channel": {}, "type": "x", "id": "1", "messages": []}', encoding="utf-8")
    stamp = datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp()
    os.utime(landing / "misc" / "old-chat.json", (stamp, stamp))
    found = [str(p.relative_to(landing)) for p in telegram.find_exports(landing)]
    assert found[:4] == ["misc/old-chat.json", "ChatExport_2023-12-31/result.json",
                         "ChatExport_2024-03-01/result.json", "ChatExport_2024-03-01 (2)/result.json"]
    assert sorted(found) == sorted(["misc/old-chat.json", "ChatExport_2023-12-31/result.json",
                                    "ChatExport_2024-03-01/result.json", "ChatExport_2024-03-01 (2)/result.json",
                                    "misc/account.json"])
