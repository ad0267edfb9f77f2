"""Slack adapter through the real ingest framework, on the real export samples.

The samples live outside the repository (``../shared/fixtures/real/slack``, not committed:
licences); each test copies what it needs into ``tmp_path``. Expected numbers are computed
here independently, by parsing the day files with Python's ``json``.
"""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.ingest.archive import safe_extract_zip  # noqa: E402
from pipeline.adapters.base import ExportParseError  # noqa: E402
from pipeline.ingest.loader import ingest_source  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402

SLACK = ROOT.parent / "shared" / "fixtures" / "real" / "slack"
HOUSTON = SLACK / "houstondatavis-2016"
TESTARCHIVE = SLACK / "slack-export-viewer" / "testarchive.zip"
SLACKDUMP = SLACK / "slackdump"

pytestmark = pytest.mark.skipif(not HOUSTON.is_dir(), reason=f"real Slack samples not found at {SLACK}")

# Independent classification (formats.md §1.5), written out here rather than imported.
CONTENT = {None, "file_share", "file_comment", "bot_message", "me_message", "thread_broadcast"}
SYSTEM_EVENT = {"channel_join": "join", "channel_leave": "leave", "channel_name": "rename",
                "pinned_item": "pin"}  # other observed subtypes → 'other'


# ----------------------------------------------------------------------------- helpers

def _project(tmp_path: Path, tz: str = "America/Chicago") -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    (tmp_path / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: " + tz + "\n"
        "warehouse: data/warehouse.duckdb\n"
        "sources:\n  - {name: slack_main, platform: slack, path: landing}\n", encoding="utf-8")
    return landing


def _ingest(tmp_path: Path):
    cfg = load_config(tmp_path / "community.yaml")
    conn = connect(cfg.warehouse)
    result = ingest_source(conn, cfg, cfg.sources[0], now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    return cfg, conn, result


def _rows(conn, sql: str, params=None):
    return conn.execute(sql, params or {}).fetchall()


def _day_messages(root: Path):
    """(folder, day file, index, message) for every message of an unzipped export."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for day in sorted(folder.glob("*.json")):
            for i, m in enumerate(json.loads(day.read_text(encoding="utf-8"))):
                yield folder.name, day.name, i, m


def _kind(m: dict) -> tuple[str, str | None]:
    st = m.get("subtype")
    if st in CONTENT:
        thread = m.get("thread_ts")
        return ("reply" if thread and thread != m.get("ts") else "message"), None
    return "system", SYSTEM_EVENT.get(st, "other")


def _extract(zip_path: Path, target: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(target)
    return target


# ----------------------------------------------------------------------------- houstondatavis

@pytest.fixture(scope="module")
def houston(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("houston")
    landing = _project(tmp_path)
    shutil.copytree(HOUSTON, landing / "houstondatavis-2016")
    cfg, conn, result = _ingest(tmp_path)
    yield tmp_path, cfg, conn, result
    conn.close()


def test_houston_unit_loads_without_quarantine(houston):
    _, _, conn, result = houston
    assert [(u.file_path, u.status) for u in result.units] == [("houstondatavis-2016", "loaded")]
    assert _rows(conn, "select count(*) from raw.quarantine") == [(0,)]
    assert _rows(conn, "select status, messages_read, messages_loaded, messages_quarantined, error "
                       "from raw.files") == [("loaded", 1382, 1382, 0, None)]


def test_houston_message_counts_per_channel_and_class(houston):
    _, _, conn, _ = houston
    channel_ids = {c["name"]: c["id"] for c in json.loads((HOUSTON / "channels.json").read_text())}
    per_channel = Counter(channel_ids[folder] for folder, _, _, _ in _day_messages(HOUSTON))
    per_class = Counter(_kind(m) for _, _, _, m in _day_messages(HOUSTON))
    assert sum(per_channel.values()) == 1382
    assert dict(_rows(conn, "select channel_id, count(*) from raw.messages group by 1")) == per_channel
    got = {(k, e): n for k, e, n in _rows(conn, "select kind, system_event, count(*) from raw.messages group by 1, 2")}
    assert got == per_class
    # channel names come from channels.json (folder 'meetup-' is channel C061A3E0Y)
    assert _rows(conn, "select distinct channel_name from raw.messages where channel_id = 'C061A3E0Y'") == [("meetup-",)]


def test_houston_joins_and_leaves_become_membership_events(houston):
    _, _, conn, _ = houston
    # formats.md §1.5: channel_join 320, channel_leave 3
    assert dict(_rows(conn, "select event, count(*) from raw.membership_events group by 1")) == {"join": 320, "leave": 3}
    expected = sorted(
        (m["user"], {c["name"]: c["id"] for c in json.loads((HOUSTON / "channels.json").read_text())}[folder],
         "join" if m["subtype"] == "channel_join" else "leave", m["ts"], m["subtype"])
        for folder, _, _, m in _day_messages(HOUSTON) if m.get("subtype") in ("channel_join", "channel_leave"))
    got = sorted(_rows(conn, "select user_id, channel_id, event, raw_time, via from raw.membership_events"))
    assert got == expected
    assert _rows(conn, "select count(*) from raw.membership_events where occurred_at is null") == [(0,)]


def test_houston_users(houston):
    _, _, conn, _ = houston
    users = json.loads((HOUSTON / "users.json").read_text())
    ids = {u["id"] for u in users}
    authors = {m.get("user") or (m.get("comment") or {}).get("user") for _, _, _, m in _day_messages(HOUSTON)}
    extra = {a for a in authors if a and a not in ids}
    assert _rows(conn, "select count(*), count(distinct user_id) from raw.users") == [(len(users) + len(extra),) * 2]
    # display name falls back profile.display_name → real_name → name
    assert _rows(conn, "select display_name, is_bot, is_deleted, location from raw.users where user_id = 'U0CBK5KAT'") \
        == [("aaron.anzalone", False, False, "users.json[0]")]
    assert _rows(conn, "select display_name from raw.users where user_id = 'U1R4AJHD2'") == [("Abhilash Iyer",)]


def test_houston_reactions(houston):
    _, _, conn, _ = houston
    reactions = [r for _, _, _, m in _day_messages(HOUSTON) for r in m.get("reactions", [])]
    known = sum(len(r["users"]) for r in reactions)
    unknown = sum(1 for r in reactions if r["count"] > len(r["users"]))
    assert (len(reactions), known, unknown) == (119, 199, 0)
    assert _rows(conn, "select count(*), count(reactor_id), sum(reaction_count), count(reacted_at) "
                       "from raw.reactions") == [(known + unknown, known, 199, 0)]


def test_houston_exact_instant_location_and_quirks(houston):
    _, _, conn, _ = houston
    # the export's first message: javier joins #general; ts with a real microsecond part
    instant = datetime(2015, 6, 6, 2, 36, 47, 760577, tzinfo=timezone.utc)
    row = _rows(conn, "select message_id, raw_time, sent_at, author_id, kind, system_event from raw.messages "
                      "where location = 'general/2015-06-05.json[0]'")
    assert row == [("C061A2UGJ:1433558207.760577", "1433558207.760577", instant, "U061A3E0G", "system", "join")]
    assert _rows(conn, "select user_id, event, occurred_at from raw.membership_events "
                       "where location = 'general/2015-06-05.json[0]'") == [("U061A3E0G", "join", instant)]
    assert _rows(conn, "select author_id, kind, text from raw.messages where location = 'general/2015-06-05.json[3]'") \
        == [("U061A5N1G", "message", "Hello!")]
    # legacy file_comment: no top-level user, the commenter is comment.user; content, not an attachment
    assert _rows(conn, "select author_id, kind, has_attachment from raw.messages "
                       "where location = 'datajam/2015-06-19.json[2]'") == [("U061A5N1G", "message", False)]
    # file_share with bot_id: null is a human post with an attachment
    assert _rows(conn, "select author_id, author_is_bot, kind, has_attachment from raw.messages "
                       "where location = 'datajam/2015-06-19.json[1]'") == [("U064KUGRJ", None, "message", True)]
    # bot_add: the bot_id is the integration, the author (user) is the human who added it
    assert _rows(conn, "select author_id, author_is_bot, kind, system_event from raw.messages "
                       "where location = 'general/2015-10-17.json[4]'") == [("U061A5N1G", None, "system", "other")]
    assert _rows(conn, "select count(*) from raw.messages where author_is_bot") == [(0,)]
    # edits: 37 edited messages, edited_at from edited.ts
    assert _rows(conn, "select count(*), count(edited_at) from raw.messages where is_edited") == [(37, 37)]
    # HTML escapes decoded
    assert _rows(conn, "select count(*) from raw.messages where text like '%&gt;%' or text like '%&lt;%'") == [(0,)]


def test_loading_the_same_export_twice_adds_nothing(houston):
    tmp_path, cfg, conn, _ = houston
    before = [_rows(conn, f"select count(*) from raw.{t}")
              for t in ("messages", "users", "reactions", "membership_events", "quarantine", "files")]
    again = ingest_source(conn, cfg, cfg.sources[0])
    assert [(u.file_path, u.status) for u in again.units] == [("houstondatavis-2016", "skipped")]
    after = [_rows(conn, f"select count(*) from raw.{t}")
             for t in ("messages", "users", "reactions", "membership_events", "quarantine", "files")]
    assert after == before


# ----------------------------------------------------------------------------- zips

def test_testarchive_zip_legacy_bots(tmp_path):
    landing = _project(tmp_path, tz="America/Los_Angeles")
    shutil.copy(TESTARCHIVE, landing / "testarchive.zip")
    _, conn, result = _ingest(tmp_path)
    assert [(u.file_path, u.status, u.rows_quarantined) for u in result.units] == [("testarchive.zip", "loaded", 0)]

    root = _extract(TESTARCHIVE, tmp_path / "expected")
    msgs = list(_day_messages(root))
    assert _rows(conn, "select count(*) from raw.messages") == [(len(msgs),)] == [(158,)]
    bot_posts = [m for _, _, _, m in msgs if m.get("subtype") == "bot_message"]
    assert len(bot_posts) == 94 and all("user" not in m for m in bot_posts)
    assert _rows(conn, "select count(*), count(distinct author_id) filter (where author_id like 'B%') "
                       "from raw.messages where author_is_bot") == [(94, len({m["bot_id"] for m in bot_posts}))]
    assert _rows(conn, "select message_id, author_id, author_is_bot, kind, file_path from raw.messages "
                       "where location = 'enrique/2016-02-07.json[2]'") == [
        ("C0JGLMMNX:1454892394.000004", "B0JL6RASU", True, "message", "testarchive.zip")]
    # the legacy bot is not in users.json: it gets a user row from its messages, flagged as a bot
    assert _rows(conn, "select user_id, is_bot from raw.users where user_id like 'B%' order by 1") == sorted(
        (b, True) for b in {m["bot_id"] for m in bot_posts})
    assert _rows(conn, "select count(*) from raw.users where user_id like 'U%'") == [(4,)]
    # the one reaction (botman by U0BMYT2FL on a bot post)
    assert _rows(conn, "select message_id, reactor_id, reaction, reaction_count, location from raw.reactions") == [
        ("C0JGLMMNX:1459154014.000018", "U0BMYT2FL", "botman", 1, "enrique/2016-03-28.json[0].reactions[0]")]
    # day files are the exporter's local (US Pacific) dates: re-bucketed by ts they all match
    assert _rows(conn, "select count(*) from raw.messages where strftime(local_date, '%Y-%m-%d') "
                       "<> regexp_extract(location, '/([0-9-]+)[.]json', 1)") == [(0,)]


def test_slackdump_zip_threads_and_modern_bot(tmp_path):
    landing = _project(tmp_path)
    shutil.copy(SLACKDUMP / "source_export.zip", landing / "source_export.zip")
    _, conn, result = _ingest(tmp_path)
    assert [(u.file_path, u.status, u.rows_quarantined) for u in result.units] == [("source_export.zip", "loaded", 0)]
    # folder B75B4C7 is channel CO69735E8A (channels.json name → id; created is an int here)
    assert _rows(conn, "select distinct channel_id, channel_name from raw.messages") == [("CO69735E8A", "B75B4C7")]
    # a thread: root 1736478630.905399 with two replies in the next day's file
    root_id = "CO69735E8A:1736478630.905399"
    assert _rows(conn, "select kind, parent_id, thread_id from raw.messages where message_id = $m", {"m": root_id}) \
        == [("message", None, None)]
    assert _rows(conn, "select message_id, author_id, kind, parent_id, thread_id, location from raw.messages "
                       "where parent_id = $m order by sent_at", {"m": root_id}) == [
        ("CO69735E8A:1736554746.482349", "UOB5F987BF17", "reply", root_id, root_id, "B75B4C7/2025-01-11.json[1]"),
        ("CO69735E8A:1736554783.040199", "UOF82F39AE", "reply", root_id, root_id, "B75B4C7/2025-01-11.json[2]"),
    ]
    assert dict(_rows(conn, "select kind, count(*) from raw.messages group by 1")) == {"message": 10, "reply": 4, "system": 2}
    # a deleted thread parent (tombstone) is a system message; its reply still points at it
    assert _rows(conn, "select kind, system_event from raw.messages where message_id = 'CO69735E8A:1736554828.343759'") \
        == [("system", "other")]
    assert _rows(conn, "select parent_id from raw.messages where message_id = 'CO69735E8A:1736554838.911679'") \
        == [("CO69735E8A:1736554828.343759",)]
    # modern app post: user + bot_id, no subtype; edited.ts exact
    assert _rows(conn, "select author_id, author_is_bot, is_edited, edited_at from raw.messages "
                       "where message_id = 'CO69735E8A:1737160363.583369'") == [
        ("UO0EC43A4792", True, True, datetime(2025, 1, 18, 0, 32, 51, tzinfo=timezone.utc))]
    assert _rows(conn, "select is_bot from raw.users where user_id = 'UO0EC43A4792'") == [(True,)]
    assert _rows(conn, "select user_id, event, channel_id, via from raw.membership_events") == [
        ("UOB5F987BF17", "join", "CO69735E8A", "channel_join")]
    assert _rows(conn, "select count(*) from raw.messages where has_attachment") == [(2,)]


def test_slackdump_users_dms_mpims_and_legacy_bot(tmp_path):
    """A folder export built from the slackdump metadata files: DM folder named by id, MPIM
    folder by name, the poll-app bot_message (no user) in the DM, jirabot and USLACKBOT."""
    landing = _project(tmp_path)
    export = landing / "slackdump-export"
    export.mkdir()
    for name in ("users.json", "dms.json", "mpims.json"):
        shutil.copy(SLACKDUMP / name, export / name)
    (export / "channels.json").write_text("[]", encoding="utf-8")
    bot = json.loads((SLACKDUMP / "bot_message.json").read_text(encoding="utf-8"))
    (export / "DNC8S27U5").mkdir()
    (export / "DNC8S27U5" / "2023-02-22.json").write_text(json.dumps([bot]), encoding="utf-8")
    (export / "mpdm-smith--seymore.a--jane.d-1").mkdir()
    (export / "mpdm-smith--seymore.a--jane.d-1" / "2019-05-15.json").write_text(json.dumps(
        [{"type": "message", "user": "UGTRHT2SH", "text": "a &lt;b&gt; &amp; c", "ts": "1557900500.000100"}]),
        encoding="utf-8")
    _, conn, result = _ingest(tmp_path)
    assert [(u.file_path, u.status, u.rows_quarantined) for u in result.units] == [("slackdump-export", "loaded", 0)]
    assert _rows(conn, "select channel_id, author_id, author_is_bot, kind, is_edited, edited_at, sent_at "
                       "from raw.messages where location = 'DNC8S27U5/2023-02-22.json[0]'") == [
        ("DNC8S27U5", "BUEBX9AUR", True, "message", True,
         datetime(2023, 2, 22, 8, 23, 56, tzinfo=timezone.utc),
         datetime(2023, 2, 22, 1, 33, 51, 29259, tzinfo=timezone.utc))]
    assert _rows(conn, "select channel_id, channel_name, text from raw.messages "
                       "where location = 'mpdm-smith--seymore.a--jane.d-1/2019-05-15.json[0]'") == [
        ("GJPBBJKE0", "mpdm-smith--seymore.a--jane.d-1", "a <b> & c")]
    users = json.loads((SLACKDUMP / "users.json").read_text(encoding="utf-8"))
    assert _rows(conn, "select count(*) from raw.users where location like 'users.json%'") == [(len(users),)]
    assert _rows(conn, "select user_id, display_name, is_bot, is_deleted from raw.users "
                       "where user_id in ('UNEERHWJJ', 'USLACKBOT', 'UGTRHT2SH', 'BUEBX9AUR') order by 1") == [
        ("BUEBX9AUR", None, True, None),          # seen only in messages
        ("UGTRHT2SH", "cs", False, False),
        ("UNEERHWJJ", "Jira", True, True),        # jirabot: is_bot, deleted, no display_name
        ("USLACKBOT", "Slackbot", True, False),   # is_bot false in the file; Slackbot is a bot
    ]


# ----------------------------------------------------------------------------- bad input

def _evil_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("channels.json", "[]")
        zf.writestr("../evil.json", "[]")
    return path


def test_zip_slip_is_refused_without_writing_outside(tmp_path):
    evil = _evil_zip(tmp_path / "evil.zip")
    target = tmp_path / "deep" / "target"
    with pytest.raises(ExportParseError) as err:
        safe_extract_zip(evil, target)
    assert "evil.zip" in str(err.value) and "../evil.json" in str(err.value)
    assert not (tmp_path / "deep" / "evil.json").exists()
    assert not list(target.iterdir())  # nothing extracted at all


def test_zip_slip_fails_only_its_unit(tmp_path):
    landing = _project(tmp_path)
    _evil_zip(landing / "a_evil.zip")
    shutil.copy(SLACKDUMP / "source_export.zip", landing / "b_source_export.zip")
    _, conn, result = _ingest(tmp_path)
    status = {u.file_path: u.status for u in result.units}
    assert status == {"a_evil.zip": "failed", "b_source_export.zip": "loaded"}
    error = _rows(conn, "select error from raw.files where file_path = 'a_evil.zip'")[0][0]
    assert error.startswith("a_evil.zip: at member '../evil.json': expected a path inside")
    assert not (landing / "evil.json").exists() and not (tmp_path / "evil.json").exists()
    assert _rows(conn, "select count(*) from raw.messages where file_path = 'a_evil.zip'") == [(0,)]


def _testarchive_folder(landing: Path) -> Path:
    return _extract(TESTARCHIVE, landing / "testarchive")


def test_damaged_day_file_fails_the_unit_naming_the_file(tmp_path):
    landing = _project(tmp_path)
    export = _testarchive_folder(landing)
    day = export / "enrique" / "2016-01-15.json"
    day.write_bytes(day.read_bytes()[:200])  # truncated JSON
    shutil.copy(SLACKDUMP / "source_export.zip", landing / "source_export.zip")
    _, conn, result = _ingest(tmp_path)
    status = {u.file_path: u.status for u in result.units}
    assert status == {"testarchive": "failed", "source_export.zip": "loaded"}
    error = next(u.error for u in result.units if u.file_path == "testarchive")
    assert error.startswith("testarchive/enrique/2016-01-15.json: at ")
    assert "expected a JSON array of Slack message objects" in error
    assert str(tmp_path) not in error  # names the file inside the export, not a temp path
    assert _rows(conn, "select status, error from raw.files where file_path = 'testarchive'") == [("failed", error)]
    assert _rows(conn, "select count(*) from raw.messages where file_path = 'testarchive'") == [(0,)]


def test_missing_ts_is_quarantined_and_unknown_reactors_counted(tmp_path):
    landing = _project(tmp_path)
    export = _testarchive_folder(landing)
    day = export / "enrique" / "2016-01-14.json"
    msgs = json.loads(day.read_text(encoding="utf-8"))
    del msgs[4]["ts"]
    day.write_text(json.dumps(msgs), encoding="utf-8")
    day = export / "enrique" / "2016-03-28.json"
    msgs = json.loads(day.read_text(encoding="utf-8"))
    msgs[0]["reactions"] = [{"name": "botman", "users": ["U0BMYT2FL"], "count": 4},
                            {"name": "tada", "count": 2}]
    day.write_text(json.dumps(msgs), encoding="utf-8")

    _, conn, result = _ingest(tmp_path)
    assert [(u.file_path, u.status, u.rows_quarantined) for u in result.units] == [("testarchive", "loaded", 1)]
    assert _rows(conn, "select entity, rule, location, reason from raw.quarantine") == [
        ("messages", "missing_id", "enrique/2016-01-14.json[4]",
         "testarchive at enrique/2016-01-14.json[4]: expected a message id, found none")]
    assert _rows(conn, "select messages_read, messages_loaded, messages_quarantined from raw.files") == [(158, 157, 1)]
    assert _rows(conn, "select reactor_id, reaction, reaction_count, location from raw.reactions order by location, reactor_id") == [
        ("U0BMYT2FL", "botman", 1, "enrique/2016-03-28.json[0].reactions[0]"),
        (None, "botman", 3, "enrique/2016-03-28.json[0].reactions[0]"),
        (None, "tada", 2, "enrique/2016-03-28.json[0].reactions[1]"),
    ]


def test_non_object_elements_are_quarantined_and_the_rest_loads(tmp_path):
    """A day file with elements that are not objects cannot be read typed: the tolerant read
    turns each into an all-NULL row (quarantined, with its place), and the file's other
    messages load with the same locations as from a clean file."""
    landing = _project(tmp_path)
    export = _testarchive_folder(landing)
    day = export / "enrique" / "2016-01-14.json"
    msgs = json.loads(day.read_text(encoding="utf-8"))
    day.write_text(json.dumps(msgs[:2] + [5, "text"] + msgs[2:]), encoding="utf-8")
    _, conn, result = _ingest(tmp_path)
    assert [(u.status, u.rows_quarantined) for u in result.units] == [("loaded", 2)]
    assert _rows(conn, "select rule, location from raw.quarantine order by location") == [
        ("missing_id", "enrique/2016-01-14.json[2]"), ("missing_id", "enrique/2016-01-14.json[3]")]
    loaded = _rows(conn, "select location, split_part(message_id, ':', 2) from raw.messages "
                         "where location like 'enrique/2016-01-14.json%' order by all")
    assert loaded == sorted((f"enrique/2016-01-14.json[{i if i < 2 else i + 2}]", m["ts"])
                            for i, m in enumerate(msgs))


def test_typed_and_tolerant_reads_load_the_same_rows(tmp_path, monkeypatch):
    """The fast typed read of the day files and the tolerant raw-JSON read give identical raw
    rows (every column, locations included) on a real export."""
    from pipeline.adapters import slack

    def rows(sub: str):
        base = tmp_path / sub
        base.mkdir()
        landing = _project(base)
        shutil.copytree(HOUSTON, landing / "houstondatavis-2016")
        _, conn, result = _ingest(base)
        assert [u.status for u in result.units] == ["loaded"]
        out = {t: _rows(conn, f"select * from raw.{t} order by all")
               for t in ("messages", "users", "reactions", "membership_events", "quarantine")}
        conn.close()
        return out

    typed = rows("typed")
    replaced = []

    real_read = slack._read_day_files

    def tolerant_read(conn, files):      # as after a shape error of the typed read
        replaced.append(len(files))
        return real_read(conn, files, typed=False)

    monkeypatch.setattr(slack, "_read_day_files", tolerant_read)
    tolerant = rows("tolerant")
    assert replaced                       # the replacement ran
    assert typed["messages"] and typed == tolerant


def test_zip_extraction_writes_every_member_and_the_last_of_a_repeated_name(tmp_path):
    """Members are extracted by several threads: every byte arrives, and a name stored twice
    keeps its last member, as a sequential extraction would."""
    import warnings
    expected = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")            # zipfile warns about the duplicate name
        with zipfile.ZipFile(tmp_path / "a.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for i in range(40):
                name = f"c{i % 4}/2024-01-{i + 1:02d}.json" if i < 31 else f"d/{i}.json"
                data = json.dumps([{"i": i, "pad": "x" * (i * 997)}]).encode()
                zf.writestr(name, data)
                expected[name] = data
            zf.writestr("c0/2024-01-01.json", b"[]")
            expected["c0/2024-01-01.json"] = b"[]"
    out = safe_extract_zip(tmp_path / "a.zip", tmp_path / "out")
    got = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert got == expected
