"""QQ message-manager .txt adapter through the real ingest framework into a real DuckDB file.

The real sample (``../shared/fixtures/real/qq``) is read in place and copied into ``tmp_path``;
expected numbers are computed here independently with Python regexes over the same file.
Format quirks the sample lacks (12-hour times, kicks, leaves, several conversations, other
encodings) are tested on small hand-written exports.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.build import build_all  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.ingest.loader import ingest_source  # noqa: E402
from pipeline.model_registry import MODELS  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402

QQ = ROOT.parent / "shared" / "fixtures" / "real" / "qq"
SAMPLE = QQ / "wordFinder" / "全部消息记录.txt"
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
TZ = "Asia/Shanghai"
HEADER = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2}) (.*?)(\((\d+)\)|<([^>]+)>)$")
SEP = "=" * 64

pytestmark = pytest.mark.skipif(not SAMPLE.is_file(), reason=f"real QQ sample not found at {QQ}")


def _project(tmp_path: Path, extra: str = "") -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    (tmp_path / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: " + TZ + "\nwarehouse: data/warehouse.duckdb\n"
        "sources:\n  - name: qq\n    platform: qq\n    path: landing\n" + extra, encoding="utf-8")
    return landing


def _ingest(tmp_path: Path):
    cfg = load_config(tmp_path / "community.yaml")
    conn = connect(cfg.warehouse)
    return cfg, conn, ingest_source(conn, cfg, cfg.sources[0], now=NOW)


def _rows(conn, sql: str, params=None):
    return conn.execute(sql, params or {}).fetchall()


def _sample_lines() -> list[str]:
    text = SAMPLE.read_bytes().decode("utf-8-sig")
    return re.split(r"\r\n|\r|\n", text)


def _expected() -> dict:
    """Independent parse of the sample: headers, system notices, ids, names."""
    lines = _sample_lines()
    heads = [(i + 1, HEADER.match(line)) for i, line in enumerate(lines) if HEADER.match(line)]
    system = [(n, m) for n, m in heads if m.group(4) == "10000"]
    joins = [n for n, _ in system if re.fullmatch(r"\s*.+?加入本群\s*", lines[n])]   # body = next line
    ids = {m.group(4) or m.group(5) for _, m in heads} - {"10000"}
    names = defaultdict(list)
    for n, m in heads:
        nick = re.sub(r"^(\s*【[^】]*】)+", "", m.group(2)).strip()
        uid = m.group(4) or m.group(5)
        if nick and nick != uid:
            names[uid].append(nick)
    return {"messages": len(heads), "system": len(system), "joins": joins, "ids": ids,
            "latest_name": {u: v[-1] for u, v in names.items()},
            "attachments": None, "lines": lines, "heads": heads}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("qq_sample")
    landing = _project(tmp_path)
    shutil.copy(SAMPLE, landing / SAMPLE.name)
    cfg, conn, result = _ingest(tmp_path)
    yield cfg, conn, result
    conn.close()


def test_real_sample_counts(sample):
    _, conn, result = sample
    e = _expected()
    assert e["messages"] == 3089          # formats.md §6
    assert [u.status for u in result.units] == ["loaded"], [u.error for u in result.units]
    assert _rows(conn, "select messages_read, messages_loaded, messages_quarantined from raw.files") \
        == [(3089, 3089, 0)]
    assert _rows(conn, "select count(*) from raw.quarantine") == [(0,)]
    assert _rows(conn, "select count(*), count(distinct message_id), count(*) filter (where kind = 'system') "
                       "from raw.messages") == [(3089, 3089, e["system"])]
    # locations are the header lines, counted as an editor does (\r\n, \r and \n all break lines)
    got_lines = sorted(int(loc.split()[1]) for (loc,) in _rows(conn, "select location from raw.messages"))
    assert got_lines == [n for n, _ in e["heads"]]
    # every id seen in a header is a user (the system sender is not), plus the unresolved joiners
    users = {u for (u,) in _rows(conn, "select user_id from raw.users where user_id not like 'name:%'")}
    assert users == e["ids"]
    # the system sender is the author of the notices, flagged as a bot (never a member)
    assert _rows(conn, "select count(*) from raw.messages where author_id = '10000' and author_is_bot") \
        == [(e["system"],)]


def test_real_sample_joins_and_leaves(sample):
    _, conn, _ = sample
    e = _expected()
    assert len(e["joins"]) == 13
    got = _rows(conn, "select location, user_id, event, via from raw.membership_events order by location")
    assert sorted(int(loc.split()[1]) for loc, *_ in got) == e["joins"]
    assert {ev for _, _, ev, _ in got} == {"join"}                        # the sample has no leaves
    assert _rows(conn, "select count(*) from raw.messages where system_event = 'leave'") == [(0,)]
    by_line = {loc: uid for loc, uid, _, _ in got}
    # "淑加入本群" right after 成员7975's first message, same second: the greeting resolves it
    assert by_line["line 314"] == "100197975"
    # "章可循加入本群" one second after "我是章可循", the author's first message
    assert by_line["line 6932"] == "user5825@example.com"
    # "风林破加入本群" follows someone else's older message: unresolved, kept by name
    assert by_line["line 882"] == "name:风林破"
    assert by_line["line 4978"] == "name:白无常"                          # leading spaces trimmed
    assert _rows(conn, "select display_name from raw.users where user_id = 'name:风林破'") == [("风林破",)]
    unresolved = sum(1 for v in by_line.values() if v.startswith("name:"))
    assert _rows(conn, "select count(*) from raw.users where user_id like 'name:%'") == [(unresolved,)]


def test_real_sample_fields(sample):
    _, conn, _ = sample
    e = _expected()
    lines = e["lines"]
    # every body: the lines up to the next header, trailing blank lines dropped
    texts = dict(_rows(conn, "select location, text from raw.messages"))
    for n, _ in e["heads"]:
        expected = re.sub(r"(\n[ \t]*)+$", "", "\n".join(_body(lines, n)))
        assert texts[f"line {n}"] == expected, n
    # multi-line body with stray CR / LF (line 9: header of the first message)
    assert texts["line 9"].startswith("网易互联网&网易有道内推来啦！") and texts["line 9"].count("\n") == 6
    assert texts["line 9"].split("\n")[1] == "投递简历参与内推"
    # names: 【…】 titles stripped; latest name wins; empty / numeric nickname is no name
    for uid, name in [(u, v) for u, v in e["latest_name"].items() if u != "10000"][:50]:
        assert _rows(conn, "select display_name from raw.users where user_id = $u", {"u": uid}) == [(name,)]
    assert _rows(conn, "select display_name from raw.users where user_id = '100229651'") == [("成员9651",)]
    assert _rows(conn, "select display_name from raw.users where user_id = '100348436'") \
        == [(e["latest_name"]["100348436"],)]
    # an empty nickname reuses the last name seen before for that id
    first_named = next(n for n, m in e["heads"] if m.group(4) == "100079190" and m.group(2))
    empty_after = [n for n, m in e["heads"] if m.group(4) == "100079190" and not m.group(2) and n > first_named]
    if empty_after:
        assert _rows(conn, "select author_name from raw.messages where location = $l",
                     {"l": f"line {empty_after[0]}"}) == [("成员9190",)]
    # e-mail ids
    assert _rows(conn, "select email from raw.users where user_id = 'user5838@example.com'") \
        == [("user5838@example.com",)]
    # times: local (exporter zone = community zone), unpadded hours
    assert _rows(conn, "select sent_at, local_date from raw.messages where location = 'line 314'") \
        == [(datetime(2016, 7, 21, 0, 23, 4, tzinfo=timezone.utc), date(2016, 7, 21))]
    # attachments: [图片] etc. in a member's message
    expected_att = sum(1 for n, m in e["heads"] if m.group(4) != "10000"
                       and re.search(r"\[(图片|闪照|语音|视频|文件)\]", "\n".join(_body(lines, n))))
    assert _rows(conn, "select count(*) from raw.messages where has_attachment") == [(expected_att,)]
    assert _rows(conn, "select channel_id, channel_name from raw.messages group by all") \
        == [("2015浙大软院研究生群", "2015浙大软院研究生群")]
    assert dict(_rows(conn, "select system_event, count(*) from raw.messages where kind = 'system' group by 1")) \
        == {"join": 13, "other": e["system"] - 13}


def _body(lines: list[str], header_line: int) -> list[str]:
    out = []
    for line in lines[header_line:]:
        if HEADER.match(line) or line == SEP:
            break
        out.append(line)
    return out


def test_reexport_gives_the_same_ids_and_staging_keeps_one(tmp_path):
    landing = _project(tmp_path)
    shutil.copy(SAMPLE, landing / "export_1.txt")
    # a later re-export of the same history, saved as UTF-16 by another QQ build
    text = SAMPLE.read_bytes().decode("utf-8-sig")
    (landing / "export_2.txt").write_bytes(text.encode("utf-16"))
    cfg, conn, result = _ingest(tmp_path)
    assert [u.status for u in result.units] == ["loaded", "loaded"]
    assert _rows(conn, "select count(*), count(distinct message_id) from raw.messages") == [(6178, 3089)]
    first, last = _rows(conn, "select min(local_date), max(local_date) from raw.messages")[0]
    build_all(conn, first, last + timedelta(days=1), TZ, models=[m for m in MODELS if m.schema == "staging"])
    assert _rows(conn, "select count(*) from staging.messages") == [(3089,)]


# ----------------------------------------------------------------------------- hand-written exports

SYNTH = """消息记录（此消息记录为文本格式，不支持重新导入）

================================================================
消息分组:我的QQ群
================================================================
消息对象:测试群A
================================================================

2019-09-23 8:43:38 PM 【群主】骰娘-Roll100(87200175)
第一行

第三行(空行之后)

2019-09-23 8:43:39 PM 新人(5550001)
大家好

2019-09-23 8:43:39 PM 系统消息(1000000)
新人加入本群

2019-09-23 12:01:02 AM 老王<wang@example.com>
[图片]

2019-09-24 9:00:00 AM 系统消息(1000000)
老王退出了群聊

2019-09-24 9:00:01 AM 系统消息(1000000)
骰娘-Roll100被管理员移出本群

2019-09-24 9:00:02 AM 系统消息(1000000)
路人甲撤回了一条消息

2019-09-24 9:00:03 AM 手机用户<18825169013>
+1

2019-09-24 9:00:03 AM 手机用户<18825169013>
+1

================================================================
消息分组:我的QQ群
================================================================
消息对象:测试群B
================================================================

2019-09-25 10:00:00 (87200175)
在群B说话
"""


def _synth_line(fragment: str, text: str = SYNTH) -> str:
    """'line N' of the first header of the hand-written export containing ``fragment``."""
    for i, line in enumerate(text.split("\n"), 1):
        if line.startswith("20") and fragment in line:
            return f"line {i}"
    raise KeyError(fragment)


def _synth_rows(conn):
    return _rows(conn, """select location, channel_id, author_id, author_name, kind, system_event, text,
                                 has_attachment, sent_at from raw.messages order by file_path, location""")


def test_handwritten_quirks(tmp_path):
    landing = _project(tmp_path)
    (landing / "群聊.txt").write_bytes(("\ufeff" + SYNTH.replace("\n", "\r\n")).encode("utf-8"))
    _, conn, result = _ingest(tmp_path)
    assert result.units[0].status == "loaded", result.units[0].error
    got = {r[0]: r[1:] for r in _synth_rows(conn)}
    sh = ZoneInfo(TZ)

    def inst(*a):
        return datetime(*a, tzinfo=sh).astimezone(timezone.utc)

    ln = _synth_line
    assert got[ln("8:43:38 PM")] == ("测试群A", "87200175", "骰娘-Roll100", "message", None,
                                   "第一行\n\n第三行(空行之后)", False, inst(2019, 9, 23, 20, 43, 38))
    assert got[ln("8:43:39 PM 系统")][1:6] == ("1000000", "系统消息", "system", "join", "新人加入本群")
    assert got[ln("12:01:02 AM")][:3] == ("测试群A", "wang@example.com", "老王")
    assert got[ln("12:01:02 AM")][6:] == (True, inst(2019, 9, 23, 0, 1, 2))          # 12:01 AM = 00:01
    assert [got[ln(f"9:00:0{i} AM 系统")][4] for i in range(3)] == ["leave", "leave", "other"]
    # two identical "+1" in one second are two messages; ids differ by occurrence
    assert len(_rows(conn, "select distinct message_id from raw.messages where text = '+1'")) == 2
    # second conversation; empty nickname → last known name of the id
    assert got[ln("2019-09-25")][:3] == ("测试群B", "87200175", "骰娘-Roll100")
    events = _rows(conn, "select location, user_id, channel_id, event, via from raw.membership_events order by location")
    assert sorted(events) == sorted([
        (ln("8:43:39 PM 系统"), "5550001", "测试群A", "join", "join_notice"),           # by nickname
        (ln("9:00:00 AM 系统"), "wang@example.com", "测试群A", "leave", "left"),
        (ln("9:00:01 AM 系统"), "87200175", "测试群A", "leave", "kicked"),              # 【群主】 stripped name
    ])
    assert _rows(conn, "select user_id, display_name, email, phone from raw.users order by user_id") == [
        ("18825169013", "手机用户", None, "18825169013"),
        ("5550001", "新人", None, None),
        ("87200175", "骰娘-Roll100", None, None),
        ("wang@example.com", "老王", "wang@example.com", None),
    ]


@pytest.mark.parametrize("codec", ["gbk", "utf-16-le", "utf-16"])
def test_other_encodings_give_identical_rows(tmp_path, codec):
    ref_dir, other_dir = tmp_path / "ref", tmp_path / "other"
    for d, data in ((ref_dir, SYNTH.encode("utf-8")), (other_dir, SYNTH.replace("\n", "\r\n").encode(codec))):
        d.mkdir()
        landing = _project(d)
        (landing / "群聊.txt").write_bytes(data)
    _, ref, _ = _ingest(ref_dir)
    _, other, result = _ingest(other_dir)
    assert result.units[0].status == "loaded", result.units[0].error
    assert _synth_rows(other) == _synth_rows(ref)
    assert _rows(other, "select message_id from raw.messages order by location") \
        == _rows(ref, "select message_id from raw.messages order by location")


def test_damaged_rows_are_quarantined_with_file_and_line(tmp_path):
    landing = _project(tmp_path)
    bad = SYNTH.replace("2019-09-23 8:43:39 PM 新人(5550001)", "2019-13-45 25:61:00 新人(5550001)") \
               .replace("手机用户<18825169013>\n+1\n\n2019", "手机用户(4.12E+17)\n+1\n\n2019", 1)
    (landing / "bad.txt").write_text(bad, encoding="utf-8")
    _, conn, result = _ingest(tmp_path)
    assert result.units[0].status == "loaded"
    got = _rows(conn, "select entity, rule, location, reason from raw.quarantine order by entity, location")
    bad_time = _synth_line("2019-13-45", bad)
    assert ("messages", "unparseable_time", bad_time,
            f"bad.txt at {bad_time}: expected a timestamp, found '2019-13-45 25:61:00'") in got
    sci = [r for r in got if r[1] == "scientific_notation_id"]
    sci_line = _synth_line("4.12E+17", bad)
    assert sorted(r[:3] for r in sci) == [("messages", "scientific_notation_id", sci_line),
                                          ("users", "scientific_notation_id", sci_line)]
    assert all(r[3].startswith(f"bad.txt at {sci_line}: id 4.12E+17 is a number in scientific notation") for r in sci)
    assert _rows(conn, "select messages_read, messages_quarantined from raw.files") == [(10, 2)]


def test_not_a_qq_export_fails_naming_the_line(tmp_path):
    landing = _project(tmp_path)
    (landing / "readme.txt").write_text("\n\nhello, this is not a chat\n", encoding="utf-8")
    _, conn, result = _ingest(tmp_path)
    assert result.units[0].status == "failed"
    assert result.units[0].error.startswith("readme.txt: at line 3: expected a QQ message-manager export")


def test_synthetic_million_lines(tmp_path):
    """1,000,000 lines (250k messages) load in seconds: the line work is in DuckDB."""
    landing = _project(tmp_path)
    parts = ["消息记录（此消息记录为文本格式，不支持重新导入）", "", SEP, "消息分组:我的QQ群", SEP, "消息对象:大群", SEP, ""]
    start = datetime(2024, 1, 1)
    n = 0
    while len(parts) < 1_000_000:
        t = start + timedelta(seconds=n * 7)
        parts += [f"{t:%Y-%m-%d} {t.hour}:{t:%M:%S} 成员{n % 500}({100000000 + n % 500})", f"消息内容 {n}", ""]
        n += 1
    (landing / "big.txt").write_text("\r\n".join(parts), encoding="utf-8-sig")
    t0 = time.perf_counter()
    _, conn, result = _ingest(tmp_path)
    elapsed = time.perf_counter() - t0
    assert result.units[0].status == "loaded", result.units[0].error
    assert _rows(conn, "select count(*), count(distinct author_id) from raw.messages") == [(n, 500)]
    print(f"\n1M-line QQ export: {n} messages in {elapsed:.1f} s")
    assert elapsed < 60


# ----------------------------------------------------------------------------- the sample's zh flavour

def test_zh_sample_flavour_loads_and_matches_its_truth(tmp_path):
    """generate_sample(flavour="zh") adds QQ, WeChat and WeCom sources; the adapters load them and
    count what the generator counted; the default platforms' files are unchanged."""
    import hashlib
    import json

    from pipeline.sample.generator import generate_sample

    def digests(root: Path) -> dict:
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    plain, zh = tmp_path / "plain", tmp_path / "zh"
    generate_sample(plain, scale="small", seed=7, language="zh")
    cfg_path = generate_sample(zh, scale="small", seed=7, language="zh", flavour="zh")
    a, b = digests(plain), digests(zh)
    assert {k: v for k, v in b.items() if k in a and k not in ("community.yaml", "data/sample_truth.json")} \
        == {k: v for k, v in a.items() if k not in ("community.yaml", "data/sample_truth.json")}
    truth = json.loads((zh / "data/sample_truth.json").read_text(encoding="utf-8"))
    cfg = load_config(cfg_path)
    by_name = {s.name: s for s in cfg.sources}
    assert {"qq_group", "wechat_group", "wecom_groups"} <= set(by_name)
    conn = connect(tmp_path / "zh.duckdb")
    for name in ("qq_group", "wechat_group", "wecom_groups"):
        result = ingest_source(conn, cfg, by_name[name], now=NOW)
        assert {u.status for u in result.units} == {"loaded"}, [u.error for u in result.units]
        assert sorted(u.file_path for u in result.units) == sorted(truth["sources"][name]["export_files"])
    assert _rows(conn, "select count(*) from raw.quarantine") == [(0,)]
    for name in ("qq_group", "wechat_group"):
        t = truth["sources"][name]
        assert _rows(conn, "select count(distinct message_id), count(distinct message_id) filter (where kind = 'system') "
                           "from raw.messages where source = $s", {"s": name}) \
            == [(t["messages"]["total"], t["messages"]["system"])]
        events = dict(_rows(conn, "select event, count(*) from (select distinct user_id, event, occurred_at "
                                  "from raw.membership_events where source = $s) group by 1", {"s": name}))
        assert events == {k: v for k, v in t["membership_events"].items() if v}
        assert _rows(conn, "select count(distinct author_id) from raw.messages where source = $s "
                           "and kind <> 'system'", {"s": name}) == [(t["users"],)]
    t = truth["sources"]["wecom_groups"]
    assert _rows(conn, "select count(distinct stat_date), sum(new_member_cnt) from (select distinct stat_date, "
                       "new_member_cnt from raw.daily_aggregates)") == [(t["daily_aggregates"],
                                                                        t["new_members_from_aggregates"])]
    assert _rows(conn, "select count(*) from raw.membership_events where source = 'wecom_groups'") \
        == [(t["membership_events"]["join"],)]


def _export(conv: str, lines: list[tuple[str, str, str, str]]) -> str:
    """A message-manager export of one group: (local time, nickname, QQ number, body) per message."""
    parts = ["消息记录（此消息记录为文本格式，不支持重新导入）", "", SEP, "消息分组:我的QQ群", SEP, f"消息对象:{conv}", SEP, ""]
    for t, nick, qq, body in lines:
        parts += [f"{t} {nick}({qq})", body, ""]
    return "\r\n".join(parts)


def test_renamed_group_stays_one_channel(tmp_path):
    """The group was renamed 旧群 -> 中间群 -> 新群 between exports; the option renamed maps the old
    names (the chain followed) onto the current one, so the overlapping message is counted once."""
    landing = _project(tmp_path, "    renamed: {旧群: 中间群, 中间群: 新群}\n")
    first = [("2024-05-01 9:00:00", "甲", "10001", "早"), ("2024-05-02 9:00:00", "乙", "10002", "你好")]
    second = [("2024-05-02 9:00:00", "乙", "10002", "你好"), ("2024-05-03 9:00:00", "甲", "10001", "再见")]
    (landing / "before.txt").write_text(_export("旧群", first), encoding="utf-8")
    (landing / "after.txt").write_text(_export("新群", second), encoding="utf-8")
    cfg, conn, result = _ingest(tmp_path)
    assert {u.status for u in result.units} == {"loaded"}
    assert _rows(conn, "select distinct channel_id, channel_name from raw.messages") == [("新群", "新群")]
    build_all(conn, date(2024, 5, 1), date(2024, 5, 4), TZ)
    assert _rows(conn, "select count(*) from staging.messages") == [(3,)]


@pytest.mark.parametrize("renamed, fragment", [
    ("[旧群]", "g.txt: at source option 'renamed': expected a mapping of old group name to current group name"),
    ("{甲: 乙, 乙: 甲}", "rename each other in a loop"),
])
def test_bad_rename_option_fails_the_file_naming_it(tmp_path, renamed, fragment):
    landing = _project(tmp_path, f"    renamed: {renamed}\n")
    (landing / "g.txt").write_text(_export("群", [("2024-05-01 9:00:00", "甲", "10001", "早")]), encoding="utf-8")
    _, _, result = _ingest(tmp_path)
    assert result.units[0].status == "failed" and fragment in result.units[0].error, result.units[0].error
