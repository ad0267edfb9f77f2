"""The sample-community generator: determinism, native export shapes, and its ground truth.

The truth file is checked against an independent re-count made here by parsing every
export with plain ``json`` (deduplicating the overlapping exports by message identity).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from pipeline.sample.generator import generate_sample

CST = timezone(timedelta(hours=8))
DCE_ROOT_KEYS = ["guild", "channel", "dateRange", "exportedAt", "messages", "messageCount"]
DCE_MESSAGE_KEYS = ["id", "type", "timestamp", "timestampEdited", "callEndedTimestamp", "isPinned", "content",
                    "author", "attachments", "embeds", "stickers", "reactions", "mentions"]
DCE_SYSTEM = {"GuildMemberJoin", "ChannelPinnedMessage", "ThreadCreated"}
SLACK_SYSTEM = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "pinned_item"}
INPUT_HEADERS = {
    "goals": ["period", "metric", "target"],
    "campaigns": ["id", "name", "type", "theme", "start", "end", "registrations", "attendees", "cost"],
    "campaign_participants": ["campaign_id", "member", "attended"],
    "content": ["id", "title", "format", "topic", "published_at", "views", "likes", "comments", "shares"],
    "feedback": ["id", "member", "received_at", "channel", "kind", "category", "rating", "score", "text",
                 "status", "resolved_at"],
    "costs": ["date", "category", "amount"],
    "conversions": ["member", "converted_at", "type", "value"],
    "competitors": ["competitor", "period", "metric", "value"],
    "plan": ["period", "item", "owner", "due", "status", "note"],
    "incidents": ["opened_at", "category", "title", "impact", "status", "resolved_at", "resolution"],
    "strategies": ["date", "name", "description"],
    "member_profiles": ["member", "region", "gender", "age_band", "acquisition_channel"],
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    cfg = generate_sample(out, scale="small", seed=7, language="zh")
    assert cfg == out / "community.yaml"
    return out


@pytest.fixture(scope="module")
def truth(sample) -> dict:
    return json.loads((sample / "data/sample_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def config(sample) -> dict:
    return yaml.safe_load((sample / "community.yaml").read_text(encoding="utf-8"))


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _local_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=CST).date().isoformat()


# --------------------------------------------------------------------------------------
# Determinism and layout
# --------------------------------------------------------------------------------------

def test_same_seed_gives_byte_identical_files(sample, tmp_path):
    generate_sample(tmp_path / "again", scale="small", seed=7, language="zh")
    first, second = _digests(sample), _digests(tmp_path / "again")
    assert len(first) > 30
    assert first == second


def test_other_seed_and_language_differ(tmp_path, truth):
    generate_sample(tmp_path / "en", scale="small", seed=8, language="en")
    other = json.loads((tmp_path / "en/data/sample_truth.json").read_text(encoding="utf-8"))
    assert other["sources"]["slack_main"]["messages"] != truth["sources"]["slack_main"]["messages"]
    cfg = yaml.safe_load((tmp_path / "en/community.yaml").read_text(encoding="utf-8"))
    assert cfg["community"]["language"] == "en" and cfg["community"]["name"] == "Spark Developer Community"


def test_regenerates_over_its_own_sample_but_not_over_other_data(sample, tmp_path):
    before = _digests(sample)
    generate_sample(sample, scale="small", seed=7)                   # a previous sample: replaced
    assert _digests(sample) == before
    foreign = tmp_path / "project"
    (foreign / "data/landing/discord").mkdir(parents=True)
    (foreign / "data/landing/discord/export.json").write_text("{}")
    with pytest.raises(FileExistsError):
        generate_sample(foreign, scale="small", seed=7)
    assert (foreign / "data/landing/discord/export.json").read_text() == "{}"


def test_config_has_the_documented_shape(sample, config):
    assert (sample / "community.yaml").read_text(encoding="utf-8").startswith("#")
    assert config["community"] == {"name": "星火开发者社区", "founded": datetime(2024, 3, 1).date(),
                                   "audience": "独立开发者与技术爱好者", "timezone": "Asia/Shanghai",
                                   "language": "zh"}
    assert config["warehouse"] == "data/warehouse.duckdb"
    assert config["reports_dir"] == "reports"
    assert config["business_inputs"] == "data/inputs"
    assert [(s["name"], s["platform"], s["path"]) for s in config["sources"]] == [
        ("slack_main", "slack", "data/landing/slack_main"),
        ("discord", "discord", "data/landing/discord"),
        ("tg_group", "telegram", "data/landing/telegram"),
    ]
    for s in config["sources"]:
        assert (sample / s["path"]).is_dir()


def test_config_loads_with_the_project_loader(sample):
    from pipeline.config import load_config

    cfg = load_config(sample / "community.yaml")
    assert cfg.timezone == "Asia/Shanghai"
    assert [s.name for s in cfg.sources] == ["slack_main", "discord", "tg_group"]
    assert cfg.sources[2].options["bots"]


# --------------------------------------------------------------------------------------
# Parsing the exports (plain json) and re-counting
# --------------------------------------------------------------------------------------

def _slack(sample: Path):
    zips = sorted((sample / "data/landing/slack_main").glob("*.zip"))
    assert [z.name for z in zips] == ["slack_export_part1.zip", "slack_export_part2.zip"]
    latest: dict[tuple, dict] = {}       # (channel id, ts) -> message of the latest export
    versions: dict[tuple, list] = defaultdict(list)
    users: dict[str, dict] = {}
    for z in zips:
        with zipfile.ZipFile(z) as zf:
            names = zf.namelist()
            for f in ("channels.json", "users.json", "integration_logs.json"):
                assert f in names
            channels = json.loads(zf.read("channels.json"))
            for u in json.loads(zf.read("users.json")):
                users[u["id"]] = u
            assert isinstance(json.loads(zf.read("integration_logs.json")), list)
            by_name = {c["name"]: c["id"] for c in channels}
            for name in names:
                if name.endswith("/") or "/" not in name:
                    continue
                folder, day = name.split("/")
                assert folder in by_name, name
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.json", day)
                raw = zf.read(name)
                assert b"    {" in raw[:20]                    # Slack's 4-space indentation
                msgs = json.loads(raw)
                ts = [m["ts"] for m in msgs]
                assert all(re.fullmatch(r"\d{10}\.\d{6}", t) for t in ts)
                assert ts == sorted(ts, key=lambda t: (int(t[:10]), int(t[11:])))
                for m in msgs:
                    # the file is the exporter's local date of the message's own ts
                    assert _local_date(int(m["ts"][:10])) == day[:-5]
                    key = (by_name[folder], m["ts"])
                    latest[key] = m
                    versions[key].append(m)
    return latest, versions, users


def _discord(sample: Path):
    files = sorted((sample / "data/landing/discord").rglob("*.json"))
    latest, versions, thread_channels = {}, defaultdict(list), set()
    for f in files:                       # run folders sort by date: later runs overwrite
        raw = f.read_bytes()
        assert raw.startswith(b'{\n  "guild": {\n    "id": ')
        assert not raw.endswith(b"\n")
        assert b"\xf0" not in raw         # characters above the BMP are \uXXXX surrogate pairs
        d = json.loads(raw)
        assert list(d) == DCE_ROOT_KEYS
        assert d["messageCount"] == len(d["messages"])
        ch = d["channel"]
        assert f.name.endswith(f"[{ch['id']}].json") or re.search(rf"\[{ch['id']}\] \[part \d+\]\.json$", f.name)
        if ch["type"] == "GuildPublicThread":
            thread_channels.add(ch["id"])
            assert f.name.startswith(f"{d['guild']['name']} - {ch['category']} - {ch['name']} [")
        for m in d["messages"]:
            assert list(m)[:len(DCE_MESSAGE_KEYS)] == DCE_MESSAGE_KEYS
            ts = datetime.fromisoformat(m["timestamp"])
            assert ts.utcoffset() == timedelta(hours=8)
            assert (int(m["id"]) >> 22) + 1420070400000 == round(ts.timestamp() * 1000)
            m["_channel"] = ch
            latest[m["id"]] = m
            versions[m["id"]].append(m)
    return files, latest, versions, thread_channels


def _telegram(sample: Path):
    files = sorted((sample / "data/landing/telegram").glob("ChatExport_*/result.json"))
    assert len(files) == 2
    latest, versions = {}, defaultdict(list)
    for f in files:
        raw = f.read_bytes()
        assert raw.startswith(b'{\n "name": ') and not raw.endswith(b"\n")
        d = json.loads(raw)
        assert list(d) == ["name", "type", "id", "messages"]
        assert d["type"] == "private_supergroup"
        ids = [m["id"] for m in d["messages"]]
        assert ids == sorted(ids)
        for m in d["messages"]:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", m["date"])     # no offset
            local = datetime.fromtimestamp(int(m["date_unixtime"]), tz=CST).strftime("%Y-%m-%dT%H:%M:%S")
            assert local == m["date"]
            latest[(d["id"], m["id"])] = m
            versions[(d["id"], m["id"])].append(m)
    return files, latest, versions


@pytest.fixture(scope="module")
def slack_parsed(sample):
    return _slack(sample)


@pytest.fixture(scope="module")
def discord_parsed(sample):
    return _discord(sample)


@pytest.fixture(scope="module")
def telegram_parsed(sample):
    return _telegram(sample)


def _kinds(rows):
    c = Counter(k for k, _ in rows)
    return {"message": c["message"], "reply": c["reply"], "system": c["system"], "total": sum(c.values())}


def test_slack_recount_matches_truth(slack_parsed, truth):
    latest, _, users = slack_parsed
    t = truth["sources"]["slack_main"]
    bot_users = {u["id"] for u in users.values() if u.get("is_bot")}
    assert "USLACKBOT" in users and bot_users
    rows, bots, authors, daily = [], [], set(), Counter()
    joins = leaves = bot_joins = reactions = edited = 0
    for (_, ts), m in latest.items():
        st = m.get("subtype")
        kind = "system" if st in SLACK_SYSTEM else ("reply" if m.get("thread_ts", ts) != ts else "message")
        is_bot = st == "bot_message" or m.get("user") in bot_users
        rows.append((kind, m))
        if is_bot:
            bots.append((kind, m))
        if kind != "system" and not is_bot:
            authors.add(m["user"])
            daily[_local_date(int(ts[:10]))] += 1
        joins += st == "channel_join"
        bot_joins += st == "channel_join" and is_bot
        leaves += st == "channel_leave"
        reactions += sum(r["count"] for r in m.get("reactions", []))
        edited += "edited" in m
    assert _kinds(rows) == t["messages"]
    assert _kinds(bots) == t["bot_messages"]
    assert len(authors) == t["human_authors"]
    assert t["membership_events"] == {"join": joins, "leave": leaves, "bot_join": bot_joins}
    assert len(users) == t["users"]
    assert len(bot_users) == t["bot_users"]
    assert reactions == t["reactions"] and edited == t["edited_messages"]
    assert dict(daily) == {d: n for d, n in truth["daily_messages_by_source"]["slack_main"].items() if n}
    # shapes the adapters must meet
    assert any(m.get("subtype") == "bot_message" and "user" not in m for _, m in rows)
    assert any("bot_profile" in m and "bot_id" in m and "user" in m for _, m in rows)
    assert any(m.get("subtype") == "thread_broadcast" for _, m in rows)
    assert any(r["count"] > len(r["users"]) for _, m in rows for r in m.get("reactions", []))
    assert any("files" in m for _, m in rows)
    parents = [m for _, m in rows if m.get("reply_count")]
    assert parents and all(m["thread_ts"] == m["ts"] and len(m["replies"]) == m["reply_count"] for m in parents)


def test_discord_recount_matches_truth(discord_parsed, truth):
    files, latest, _, threads = discord_parsed
    t = truth["sources"]["discord"]
    assert threads, "at least one thread file"
    rows, bots, authors, users, daily = [], [], set(), set(), Counter()
    joins = bot_joins = reactions = edited = 0
    for m in latest.values():
        ref = (m.get("reference") or {}).get("messageId")
        if m["type"] in DCE_SYSTEM:
            kind = "system"
        elif ref or m["_channel"]["id"] in threads:
            kind = "reply"
        else:
            kind = "message"
        rows.append((kind, m))
        users.add(m["author"]["id"])
        if m["author"]["isBot"]:
            bots.append((kind, m))
        elif kind != "system":
            authors.add(m["author"]["id"])
            daily[datetime.fromisoformat(m["timestamp"]).date().isoformat()] += 1
        joins += m["type"] == "GuildMemberJoin"
        bot_joins += m["type"] == "GuildMemberJoin" and m["author"]["isBot"]
        reactions += sum(r["count"] for r in m["reactions"])
        edited += m["timestampEdited"] is not None
    assert _kinds(rows) == t["messages"]
    assert _kinds(bots) == t["bot_messages"]
    assert len(authors) == t["human_authors"]
    assert t["membership_events"] == {"join": joins, "leave": 0, "bot_join": bot_joins}
    assert bot_joins >= 1
    assert len(users) == t["users"]
    assert reactions == t["reactions"] and edited == t["edited_messages"]
    assert dict(daily) == {d: n for d, n in truth["daily_messages_by_source"]["discord"].items() if n}
    assert sorted(f.relative_to(f.parents[1]).as_posix() for f in files) == t["export_files"]
    assert any("[part 2]" in f.name for f in files)
    types = Counter(m["type"] for _, m in rows)
    assert {"Default", "Reply", "GuildMemberJoin", "ChannelPinnedMessage", "ThreadCreated"} <= set(types)
    # a ThreadCreated message's id is its thread's channel id
    created = {m["id"] for _, m in rows if m["type"] == "ThreadCreated"}
    assert threads <= created


def test_telegram_recount_matches_truth(telegram_parsed, truth, config):
    _, latest, _ = telegram_parsed
    t = truth["sources"]["tg_group"]
    bots = set(config["sources"][2]["bots"])
    rows, bot_rows, authors, users, daily = [], [], set(), set(), Counter()
    joins = leaves = bot_joins = reactions = edited = 0
    names_to_id = {}
    for m in latest.values():
        if m["type"] == "message":
            names_to_id[m["from"]] = m["from_id"]
    for m in latest.values():
        who = m.get("from_id") or m.get("actor_id")
        users.add(who)
        if m["type"] == "service":
            kind = "system"
            if m["action"] == "join_group_by_link":
                joins += 1
                bot_joins += m["actor_id"] in bots
            elif m["action"] == "invite_members":
                joins += len(m["members"])
                bot_joins += sum(names_to_id.get(x) in bots for x in m["members"])
            elif m["action"] == "remove_members":
                leaves += len(m["members"])
        else:
            kind = "reply" if "reply_to_message_id" in m else "message"
        rows.append((kind, m))
        if who in bots:
            bot_rows.append((kind, m))
        elif kind != "system":
            authors.add(who)
            daily[_local_date(int(m["date_unixtime"]))] += 1
        reactions += sum(r["count"] for r in m.get("reactions", []))
        edited += "edited" in m
    assert _kinds(rows) == t["messages"]
    assert _kinds(bot_rows) == t["bot_messages"]
    assert len(authors) == t["human_authors"]
    assert t["membership_events"] == {"join": joins, "leave": leaves, "bot_join": bot_joins}
    assert len(users) == t["users"]
    assert reactions == t["reactions"] and edited == t["edited_messages"]
    assert dict(daily) == {d: n for d, n in truth["daily_messages_by_source"]["tg_group"].items() if n}
    actions = Counter(m.get("action") for _, m in rows)
    for a in ("join_group_by_link", "invite_members", "remove_members", "pin_message", "edit_group_title"):
        assert actions[a] >= 1, a
    self_leaves = [m for _, m in rows if m.get("action") == "remove_members" and m["members"] == [m["actor"]]]
    assert self_leaves
    assert any(isinstance(m["text"], list) for _, m in rows)
    assert any("photo" in m for _, m in rows) and any("file" in m for _, m in rows)
    assert any(r["count"] > len(r["recent"]) for _, m in rows for r in m.get("reactions", []))


def test_files_are_pretty_printed_like_the_exporters(sample):
    """Byte layout: re-serializing each file the way its exporter does gives the same bytes."""
    def surrogates(m):
        o = ord(m.group(0)) - 0x10000
        return "\\u%04X\\u%04X" % (0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF))

    for f in (sample / "data/landing/telegram").glob("*/result.json"):       # tdesktop: 1 space, raw UTF-8
        raw = f.read_text(encoding="utf-8")
        assert json.dumps(json.loads(raw), indent=1, ensure_ascii=False) == raw
    for f in (sample / "data/landing/discord").rglob("*.json"):             # DCE: 2 spaces, astral escaped
        raw = f.read_text(encoding="utf-8")
        canon = json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
        assert re.sub("[\U00010000-\U0010FFFF]", surrogates, canon) == raw
    for z in (sample / "data/landing/slack_main").glob("*.zip"):           # Slack: PHP pretty print
        with zipfile.ZipFile(z) as zf:
            for name in zf.namelist():
                if not name.endswith("/"):
                    raw = zf.read(name).decode("ascii")
                    assert json.dumps(json.loads(raw), indent=4).replace("/", "\\/") == raw


def test_reindent_handles_deep_nesting():
    from pipeline.sample import jsonfmt

    deep = [{"a": [[[[[[[[[1, {"b": []}]]]]]]]]]}]
    assert jsonfmt.items_chunk(deep, 1, 2).decode() == json.dumps(deep, indent=1)[1:-2].replace("\n", "\n ")
    assert jsonfmt.slack_dumps(deep).decode() == json.dumps(deep, indent=4)


def test_daily_totals_add_up(truth):
    by_source = truth["daily_messages_by_source"]
    for day, n in truth["daily_messages"].items():
        assert n == sum(src[day] for src in by_source.values())
    assert sum(truth["daily_messages"].values()) == truth["totals"]["human_content_messages"]
    assert list(truth["daily_messages"])[0] == "2026-08-03"
    assert list(truth["daily_messages"])[-1] == "2026-11-22"
    assert 10_000 <= truth["totals"]["messages"] <= 20_000


# --------------------------------------------------------------------------------------
# Realism that the pipeline's tests rely on
# --------------------------------------------------------------------------------------

def test_overlapping_exports_repeat_messages_with_newer_state(slack_parsed, discord_parsed, telegram_parsed):
    def check(versions, edited, n_reactions):
        repeated = [v for v in versions.values() if len(v) > 1]
        assert len(repeated) > 100
        assert any(not edited(v[0]) and edited(v[-1]) for v in repeated)
        assert any(n_reactions(v[-1]) > n_reactions(v[0]) for v in repeated)

    check(slack_parsed[1], lambda m: "edited" in m, lambda m: sum(r["count"] for r in m.get("reactions", [])))
    check(discord_parsed[2], lambda m: m["timestampEdited"] is not None,
          lambda m: sum(r["count"] for r in m["reactions"]))
    check(telegram_parsed[2], lambda m: "edited" in m, lambda m: sum(r["count"] for r in m.get("reactions", [])))


def test_time_zone_edges(slack_parsed, telegram_parsed):
    dates = [m["date"] for m in telegram_parsed[1].values()]
    assert any(d[11:16] == "23:59" for d in dates)
    assert any(d[11:16] == "00:01" for d in dates)
    # a member with messages on both sides of UTC midnight within one local day
    per_author = defaultdict(set)
    for (_, ts), m in slack_parsed[0].items():
        if "user" in m and not m.get("subtype"):
            sec = int(ts[:10])
            per_author[(m["user"], _local_date(sec))].add(datetime.fromtimestamp(sec, tz=timezone.utc).date())
    assert any(len(utc_days) > 1 for utc_days in per_author.values())


def test_weekly_seasonality_and_growth(truth):
    daily = truth["daily_messages"]
    by_weekday = defaultdict(list)
    for d, n in daily.items():
        by_weekday[datetime.fromisoformat(d).weekday()].append(n)
    mean = {k: sum(v) / len(v) for k, v in by_weekday.items()}
    assert min(mean[k] for k in range(5)) > max(mean[5], mean[6])
    values = list(daily.values())
    assert sum(values[-28:]) > 1.5 * sum(values[:28])


def test_parallel_workers_write_the_same_bytes(sample, tmp_path):
    generate_sample(tmp_path / "par", scale="small", seed=7, language="zh", workers=3)
    assert _digests(tmp_path / "par") == _digests(sample)


def test_business_inputs(sample, truth, slack_parsed, discord_parsed, telegram_parsed):
    inputs = sample / "data/inputs"
    tables = {}
    for name, header in INPUT_HEADERS.items():
        with open(inputs / f"{name}.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == header, name
        assert len(rows) > 1, name
        tables[name] = [dict(zip(header, r)) for r in rows[1:]]
    # members named in the spreadsheets exist in the exports
    known = {f"slack_main:{u}" for u in slack_parsed[2]}
    known |= {f"discord:{m['author']['id']}" for m in discord_parsed[1].values()}
    known |= {f"tg_group:{m.get('from_id') or m.get('actor_id')}" for m in telegram_parsed[1].values()}
    for name, col in (("campaign_participants", "member"), ("feedback", "member"), ("conversions", "member"),
                      ("member_profiles", "member")):
        missing = {r[col] for r in tables[name]} - known
        assert not missing, (name, sorted(missing)[:3])
    assert {r["metric"] for r in tables["goals"]} >= {"new_members", "avg_dau", "messages", "response_rate",
                                                      "median_first_response_minutes"}
    assert {r["type"] for r in tables["campaigns"]} == {"online", "offline"}
    assert {r["status"] for r in tables["plan"]} <= {"done", "in_progress", "not_started", "blocked", "cancelled"}
    assert {r["kind"] for r in tables["feedback"]} <= {"suggestion", "complaint", "praise", "question", "bug"}
    # activity really rises around campaigns
    daily = truth["daily_messages"]
    days = list(daily)
    lifted = 0
    for c in tables["campaigns"]:
        i0, i1 = days.index(c["start"]), days.index(c["end"])
        before = [daily[d] for d in days[max(0, i0 - 14):i0]]
        during = [daily[d] for d in days[i0:min(len(days), i1 + 8)]]
        lifted += sum(during) / len(during) > sum(before) / len(before)
    assert lifted >= len(tables["campaigns"]) - 1
