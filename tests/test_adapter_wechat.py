"""WeChat CSV adapter (MemoTrace / PyWxDump) through the real ingest framework.

The real PyWxDump samples (``../shared/fixtures/real/wechat``) are read in place, copied into
``tmp_path``; expected numbers come from Python's ``csv`` module over the same files. No real
MemoTrace file exists (formats.md §9): it is tested on hand-written files in the documented
column layout, including the group-chat system notices.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.ingest.loader import ingest_source  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402

WECHAT = ROOT.parent / "shared" / "fixtures" / "real" / "wechat" / "weclone"
OLD = WECHAT / "pywxdump_csv_example_chat_old.csv"
NEW = WECHAT / "pywxdump_csv_test_person.csv"
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
TZ = "Asia/Shanghai"
SH = ZoneInfo(TZ)

pytestmark = pytest.mark.skipif(not NEW.is_file(), reason=f"real WeChat samples not found at {WECHAT}")


def _project(tmp_path: Path, extra: str = "") -> Path:
    landing = tmp_path / "landing"
    landing.mkdir(parents=True)
    (tmp_path / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: " + TZ + "\nwarehouse: data/warehouse.duckdb\n"
        "sources:\n  - name: wx\n    platform: wechat\n    path: landing\n" + extra, encoding="utf-8")
    return landing


def _ingest(tmp_path: Path):
    cfg = load_config(tmp_path / "community.yaml")
    conn = connect(cfg.warehouse)
    return cfg, conn, ingest_source(conn, cfg, cfg.sources[0], now=NOW)


def _rows(conn, sql: str, params=None):
    return conn.execute(sql, params or {}).fetchall()


def _records(path: Path) -> list[tuple[int, dict]]:
    """(physical start line, record) with Python's csv module."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        _ = reader.fieldnames            # reads the header line
        out, last = [], reader.line_num
        for rec in reader:
            out.append((last + 1, rec))
            last = reader.line_num
    return out


def _local(s: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return datetime.strptime(s, fmt).replace(tzinfo=SH).astimezone(timezone.utc)
        except ValueError:
            pass
    raise ValueError(s)


# ----------------------------------------------------------------------------- real PyWxDump samples

@pytest.fixture(scope="module")
def real(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("wechat_real")
    landing = _project(tmp_path)
    for f in (OLD, NEW):
        shutil.copy(f, landing / f.name)
    cfg, conn, result = _ingest(tmp_path)
    yield conn, result
    conn.close()


@pytest.mark.parametrize("path", [OLD, NEW], ids=["old_content_json", "new_msg_src"])
def test_real_pywxdump_counts(real, path):
    conn, result = real
    assert {u.file_path: u.status for u in result.units}[path.name] == "loaded"
    recs = _records(path)
    self_id = next((r["talker"] for _, r in recs if r["is_sender"] == "1" and r["talker"] != "我"), "self")
    authors = {(self_id if r["talker"] == "我" else r["talker"]) for _, r in recs if r["type_name"] != "系统通知"}
    system = sum(r["type_name"] == "系统通知" for _, r in recs)
    expected = (len(recs), system,
                sum(r["type_name"] == "引用回复" for _, r in recs), len(authors) + (1 if system else 0),
                sum(r["type_name"] in ("图片", "语音", "视频", "文件") for _, r in recs))
    got = _rows(conn, """select count(*), count(*) filter (where kind = 'system'), count(*) filter (where kind = 'reply'),
                                count(distinct author_id), count(*) filter (where has_attachment)
                         from raw.messages where file_path = $p""", {"p": path.name})
    assert got == [expected]
    assert _rows(conn, "select messages_read, messages_loaded, messages_quarantined from raw.files "
                       "where file_path = $p", {"p": path.name}) == [(len(recs), len(recs), 0)]
    # ids, places, times and channels, record by record
    want = sorted((f"line {line}", r["MsgSvrID"], r["room_name"], r["CreateTime"], _local(r["CreateTime"]))
                  for line, r in recs)
    have = sorted(_rows(conn, "select location, message_id, channel_id, raw_time, sent_at from raw.messages "
                              "where file_path = $p", {"p": path.name}))
    assert have == want
    users = {u for (u,) in _rows(conn, "select user_id from raw.user_listings where file_path = $p", {"p": path.name})}
    assert users == authors


def test_real_pywxdump_fields(real):
    conn, _ = real
    # old format: the JSON 'content' string holds the text; 我 is the owner ('self' without self_id)
    assert _rows(conn, "select author_id, text from raw.messages where message_id = '7594861486645126963'") \
        == [("self", "哦吼")]
    # spreadsheet-mangled time (seconds lost) read as local time
    assert _rows(conn, "select sent_at, raw_time from raw.messages where message_id = '7437267147299592543'") \
        == [(datetime(2024, 10, 4, 3, 42, tzinfo=timezone.utc), "2024/10/4 11:42")]
    # the quote reply points at the quoted message; the quote is cut from the text
    assert _rows(conn, "select kind, parent_id, text from raw.messages where message_id = '1244017411047763227'") \
        == [("reply", "1122488129382806721", "（我们两个人骑）")]
    assert _rows(conn, "select kind, system_event, author_id, text from raw.messages "
                       "where message_id = '7646558619446387721'") == [("system", "other", "system", "你撤回了一条消息")]
    assert _rows(conn, "select count(*) from raw.membership_events") == [(0,)]


def test_self_id_option(tmp_path):
    landing = _project(tmp_path, extra="    self_id: wxid_me\n")
    shutil.copy(OLD, landing / OLD.name)
    _, conn, _ = _ingest(tmp_path)
    assert _rows(conn, "select distinct author_id from raw.messages where kind <> 'system' order by 1") \
        == [("wxid_me",), ("xinglaifaxianzhe",)]


# ----------------------------------------------------------------------------- MemoTrace (hand-written)

MEMO_HEADER = ["localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime", "Status", "StrContent",
               "StrTime", "Remark", "NickName", "Sender"]
T0 = 1700000000   # 2023-11-14 22:13:20 UTC = 2023-11-15 06:13:20 in Shanghai


def _memo_rows() -> list[list[str]]:
    def row(i, typ, sub, is_sender, t, content, nick, sender, remark=""):
        local = datetime.fromtimestamp(t, SH).strftime("%Y-%m-%d %H:%M:%S")
        return [str(i), "217", str(typ), str(sub), str(is_sender), str(t), "", content, local, remark, nick, sender]
    return [
        row(1, 1, 0, 0, T0, "大家好", "张三", "wxid_zhang", remark="21-张三"),
        row(2, 10000, 0, 0, T0 + 10, '"张三"邀请"李四"、"王五"加入了群聊', "", ""),
        row(3, 1, 0, 0, T0 + 20, "我是李四", "李四", "wxid_li"),
        row(4, 10000, 0, 0, T0 + 30, '"赵六"通过扫描"张三"分享的二维码加入群聊', "", ""),
        row(5, 10000, 0, 0, T0 + 40, "李四退出了群聊", "", ""),
        row(6, 10000, 0, 0, T0 + 50, '你将"王五"移出了群聊', "", ""),
        row(7, 10000, 0, 0, T0 + 60, '"张三" 撤回了一条消息', "", ""),
        row(8, 10000, 0, 0, T0 + 70, '"张三" 拍了拍 "李四"', "", ""),
        row(9, 3, 0, 1, T0 + 80, '<msg><img length="1"/></msg>', "我自己", "wxid_me"),
        row(10, 49, 57, 0, T0 + 90, "<msg><appmsg><title>同意</title><type>57</type></appmsg></msg>", "张三", "wxid_zhang"),
        row(11, 1, 0, 0, T0 + 100, "第一行\n第二行", "张三二号", "wxid_zhang"),
        row(12, 1, 0, 0, T0, "大家好", "张三", "wxid_zhang"),
        row(13, 10000, 0, 0, T0 + 120, '你邀请"孙七"加入了群聊', "", ""),
        row(14, 49, 6, 1, T0 + 130, "<msg><appmsg><title>报告.pdf</title></appmsg></msg>", "我自己", "wxid_me"),
    ]


def _memo_csv(rows=None, header=MEMO_HEADER) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)             # Python csv: \r\n line ends, RFC 4180 quoting (as MemoTrace)
    w.writerow(header)
    w.writerows(rows if rows is not None else _memo_rows())
    return buf.getvalue()


def _memo_line(local_id: str, text: str) -> str:
    """'line N' where the record with that localId starts (csv module, independently)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    last = 1
    next(reader)
    for rec in reader:
        if rec[0] == local_id:
            return f"line {last + 1}"
        last = reader.line_num
    raise KeyError(local_id)


def _write_memo(landing: Path, text: str, name: str = "产品交流群_utf8.csv", codec: str = "utf-8-sig") -> Path:
    p = landing / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text.encode(codec))
    return p


def test_memotrace_group_chat(tmp_path):
    landing = _project(tmp_path)
    text = _memo_csv()
    _write_memo(landing, text)
    _, conn, result = _ingest(tmp_path)
    assert result.units[0].status == "loaded", result.units[0].error
    got = {r[0]: r[1:] for r in _rows(conn, """
        select location, channel_id, author_id, author_name, kind, system_event, text, has_attachment, sent_at
        from raw.messages""")}
    ln = lambda i: _memo_line(str(i), text)  # noqa: E731
    assert len(got) == 14
    assert got[ln(1)] == ("产品交流群", "wxid_zhang", "张三", "message", None, "大家好", False,
                          datetime.fromtimestamp(T0, timezone.utc))
    assert got[ln(9)][1:] == ("wxid_me", "我自己", "message", None, "[图片]", True,
                              datetime.fromtimestamp(T0 + 80, timezone.utc))
    assert got[ln(10)][3:6] == ("reply", None, "同意")
    assert got[ln(11)][5] == "第一行\n第二行"
    assert got[ln(14)][5:7] == ("报告.pdf", True)
    assert {got[ln(i)][4] for i in (2, 4, 13)} == {"join"}
    assert {got[ln(i)][4] for i in (5, 6)} == {"leave"}
    assert {got[ln(i)][4] for i in (7, 8)} == {"other"}
    assert all(got[ln(i)][1] == "system" for i in (2, 4, 5, 6, 7, 8, 13))
    assert _rows(conn, "select distinct author_is_bot from raw.messages where kind = 'system'") == [(True,)]
    # the same text at the same second twice: two messages
    assert _rows(conn, "select count(distinct message_id) from raw.messages where text = '大家好'") == [(2,)]
    events = sorted(_rows(conn, "select location, user_id, channel_id, event, via from raw.membership_events"))
    assert events == sorted([
        (ln(2), "wxid_li", "产品交流群", "join", "invite"),        # resolved through NickName
        (ln(2), "name:王五", "产品交流群", "join", "invite"),      # never seen with an id
        (ln(4), "name:赵六", "产品交流群", "join", "qr_code"),
        (ln(5), "wxid_li", "产品交流群", "leave", "left"),
        (ln(6), "name:王五", "产品交流群", "leave", "kicked"),
        (ln(13), "name:孙七", "产品交流群", "join", "invite"),
    ])
    assert _rows(conn, "select user_id, display_name from raw.users order by user_id") == [
        ("name:孙七", "孙七"), ("name:王五", "王五"), ("name:赵六", "赵六"),
        ("wxid_li", "李四"), ("wxid_me", "我自己"), ("wxid_zhang", "张三二号")]   # latest name wins


def test_memotrace_reexport_dedupes(tmp_path):
    landing = _project(tmp_path)
    text = _memo_csv()
    _write_memo(landing / "2023-11", text)
    _write_memo(landing / "2023-12", _memo_csv(_memo_rows() + [
        ["15", "217", "1", "0", "0", str(T0 + 500), "", "新消息", "2023-11-15 06:21:40", "", "李四", "wxid_li"]]))
    _, conn, result = _ingest(tmp_path)
    assert [u.status for u in result.units] == ["loaded", "loaded"]
    assert _rows(conn, "select count(*), count(distinct message_id) from raw.messages") == [(29, 15)]


@pytest.mark.parametrize("codec", ["gbk", "utf-16", "utf-16-le", "utf-8"])
def test_memotrace_encodings_give_identical_rows(tmp_path, codec):
    text = _memo_csv()
    cols = "location, message_id, channel_id, author_id, author_name, kind, system_event, text, sent_at"
    ref_dir, other_dir = tmp_path / "ref", tmp_path / "other"
    _write_memo(_project(ref_dir), text)
    _write_memo(_project(other_dir), text, codec=codec)
    _, ref, _ = _ingest(ref_dir)
    _, other, result = _ingest(other_dir)
    assert result.units[0].status == "loaded", result.units[0].error
    assert sorted(_rows(other, f"select {cols} from raw.messages")) == sorted(_rows(ref, f"select {cols} from raw.messages"))


def test_damaged_rows_are_quarantined_with_file_and_line(tmp_path):
    landing = _project(tmp_path)
    rows = _memo_rows()
    rows[2][5], rows[2][8] = "", "2023-13-45 99:00:00"          # localId 3: no usable time
    text = _memo_csv(rows)
    _write_memo(landing, text)
    dump = NEW.read_text(encoding="utf-8-sig").replace("7437267147299592543", "7.43727E+18")
    (landing / "excel.csv").write_text(dump, encoding="utf-8-sig")
    _, conn, result = _ingest(tmp_path)
    assert {u.status for u in result.units} == {"loaded"}
    got = _rows(conn, "select file_path, entity, rule, location, reason from raw.quarantine order by all")
    line = _memo_line("3", text)
    assert got == [
        ("excel.csv", "messages", "scientific_notation_id", "line 2",
         "excel.csv at line 2: id 7.43727E+18 is a number in scientific notation: a spreadsheet rewrote it "
         "and its digits are lost (expected the id as text: re-export the file, or format the column as "
         "text before saving)"),
        ("产品交流群_utf8.csv", "messages", "unparseable_time", line,
         f"产品交流群_utf8.csv at {line}: expected a timestamp, found '2023-13-45 99:00:00'"),
    ]


def test_unknown_header_and_ragged_rows_fail_the_file(tmp_path):
    landing = _project(tmp_path)
    (landing / "other.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    _write_memo(landing, _memo_csv() + '99,217,1,0,0,1700000999,,"unterminated\n')
    _, conn, result = _ingest(tmp_path)
    errors = {u.file_path: u.error for u in result.units}
    assert errors["other.csv"].startswith("other.csv: at header (line 1): expected a MemoTrace CSV")
    assert errors["产品交流群_utf8.csv"].startswith("产品交流群_utf8.csv: at ")
    assert _rows(conn, "select count(*) from raw.messages") == [(0,)]
