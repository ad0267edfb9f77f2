"""The big-JSON streaming path (pipeline/adapters/jsonstream.py) on small hand-written files:
UTF-8 BOM, the array not being the last key, ']' inside strings, Telegram's invalid ``\\xNN``
escapes (also split across chunks), badly shaped records, truncation and other errors, and the
retry-after-failure inside the loader's open transaction. One case also goes through the real
ingest framework (a BOM-prefixed DCE file)."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.adapters import jsonstream  # noqa: E402
from pipeline.adapters.base import ExportParseError  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.ingest.loader import ingest_source  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402

BOM = b"\xef\xbb\xbf"
COLS = {"id": "VARCHAR", "text": "VARCHAR", "n": "VARCHAR", "tags": "STRUCT(name VARCHAR)[]"}
ZULIP_GENERAL = (ROOT.parent / "shared" / "fixtures" / "real" / "discord" / "zulip-discord-server"
                 / "zulip-discord server - Text Channels - general [1519311538035490958].json")


def _write(tmp_path: Path, data: bytes, name: str = "export.json") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _load(tmp_path: Path, path: Path, conn=None, columns=COLS):
    conn = conn or connect(tmp_path / "w.duckdb")
    loc = jsonstream.locate_array(path, "messages", display=path.name)
    jsonstream.load_array(conn, loc, "t", columns, tmp_path / "scratch")
    rows = conn.execute(f"select rowid, * from {loc.table} order by rowid").fetchall()
    jsonstream.drop_scratch(conn, "t")
    return conn, loc, rows


# ----------------------------------------------------------------------------- locating the array

def test_bom_head_keys_and_array_not_last(tmp_path):
    data = BOM + (
        b'{\n "guild": {"id": "1", "name": "G \\u00e9 ]"},\n "channel": {"id": "7", "name": "c"},\n'
        b' "messages": [\n  {"id": "a", "text": "x ] y"},\n  {"id": "b", "text": "ends with ]"}\n ],\n'
        b' "tail": [1, [2, "]"], {"k": "]"}],\n "messageCount": 2\n}\n\n')
    path = _write(tmp_path, data)
    loc = jsonstream.locate_array(path, "messages")
    assert loc.has_bom
    assert data[loc.start:loc.start + 1] == b"[" and data[loc.end - 1:loc.end] == b"]"
    assert json.loads(data[loc.start:loc.end]) == [{"id": "a", "text": "x ] y"}, {"id": "b", "text": "ends with ]"}]
    assert loc.root == {"guild": {"id": "1", "name": "G é ]"}, "channel": {"id": "7", "name": "c"},
                        "tail": [1, [2, "]"], {"k": "]"}], "messageCount": 2}
    assert loc.keys == ["guild", "channel", "messages", "tail", "messageCount"]
    _, _, rows = _load(tmp_path, path)
    assert rows == [(0, "a", "x ] y", None, None), (1, "b", "ends with ]", None, None)]


def test_messages_first_and_last_key_and_empty_array(tmp_path):
    path = _write(tmp_path, b'{"messages":[{"id":"1"}],"channel":{"id":"9"}}')
    loc = jsonstream.locate_array(path)
    assert loc.root == {"channel": {"id": "9"}} and loc.keys == ["messages", "channel"]
    path = _write(tmp_path, b'{"name": "x", "messages": [ ]}', "empty.json")
    conn, loc, rows = _load(tmp_path, path)
    assert rows == [] and loc.rows == 0 and loc.root == {"name": "x"}


def test_last_message_that_looks_like_the_end_of_the_array(tmp_path):
    # ']' followed by text that parses as trailing root members, but inside a string
    tricky = json.dumps({"id": "z", "text": '], "messageCount": 1}'})
    path = _write(tmp_path, ('{"messages": [' + tricky + '], "messageCount": 1}').encode())
    _, loc, rows = _load(tmp_path, path)
    assert loc.root == {"messageCount": 1}
    assert rows == [(0, "z", '], "messageCount": 1}', None, None)]


def test_tail_found_beyond_the_first_window(tmp_path):
    # trailing members bigger than the first 64 KB tail window
    big = "x" * (100 << 10)
    path = _write(tmp_path, ('{"messages": [{"id": "1"}], "notes": "' + big + '", "messageCount": 1}').encode())
    loc = jsonstream.locate_array(path)
    assert loc.root["notes"] == big and loc.root["messageCount"] == 1


# ----------------------------------------------------------------------------- \xNN escapes

def test_x_escapes_are_repaired_and_escaped_backslashes_are_not(tmp_path):
    # tdesktop: control chars as \xNN (invalid JSON); "\\x41" is an escaped backslash + "x41"
    data = BOM + (b'{"name": "chat \\x01", "id": 5, "messages": [\n'
                  b' {"id": "1", "text": "bell \\x07 tab\\x09"},\n'
                  b' {"id": "2", "text": "path C:\\\\x41 and \\\\\\x1F"}\n]}')
    with pytest.raises(ValueError):
        json.loads(data.decode("utf-8-sig"))
    path = _write(tmp_path, data)
    _, loc, rows = _load(tmp_path, path)
    assert loc.root == {"name": "chat \x01", "id": 5}
    assert loc.fixed_escapes == 3
    assert rows == [(0, "1", "bell \x07 tab\t", None, None), (1, "2", "path C:\\x41 and \\\x1f", None, None)]


def test_escape_fixer_never_splits_an_escape_across_chunks():
    data = b'["a\\x01b", "c\\\\x41", "\\\\\\x1F", "tail\\x0A", "\\\\", "\\x7f"]'
    whole, count = jsonstream.fix_x_escapes(data)
    assert count == 4 and json.loads(whole) == ["a\x01b", "c\\x41", "\\\x1f", "tail\n", "\\", "\x7f"]
    for size in range(1, 12):
        fixer = jsonstream.EscapeFixer()
        out = b"".join(fixer.feed(data[i:i + size]) for i in range(0, len(data), size))
        out += fixer.feed(b"", final=True)
        assert out == whole, size
        assert fixer.count == 4
        # output offsets map back to input offsets (each rewrite adds 2 bytes)
        last = fixer.positions[-1]
        assert data[fixer.to_input_offset(last):fixer.to_input_offset(last) + 4] == b"\\x7f"


def test_retry_after_failure_inside_an_open_transaction(tmp_path):
    """The loader runs each export in one transaction and a failed DuckDB statement aborts
    it: the first (failing) read and its retry must not touch that transaction."""
    conn = connect(tmp_path / "w.duckdb")
    conn.execute("create table kept (x int)")
    conn.execute("begin transaction")
    conn.execute("insert into kept values (1)")
    path = _write(tmp_path, b'{"messages": [{"id": "1", "text": "a\\x02"}, 7, {"id": "3", "tags": [1]}]}')
    loc = jsonstream.locate_array(path)
    jsonstream.load_array(conn, loc, "t", COLS, tmp_path / "scratch")
    assert loc.fixed_escapes == 1 and loc.fallback          # parse error, then shape error, both retried
    assert conn.execute(f"select rowid, id, text, tags from {loc.table} order by rowid").fetchall() == [
        (0, "1", "a\x02", None), (1, None, None, None), (2, "3", None, [{"name": None}])]
    conn.execute("insert into kept values (2)")               # the transaction is still usable
    conn.execute("commit")
    jsonstream.drop_scratch(conn, "t")
    assert conn.execute("select count(*) from kept").fetchone() == (2,)


# ----------------------------------------------------------------------------- errors

def _error(path: Path) -> ExportParseError:
    with pytest.raises(ExportParseError) as info:
        loc = jsonstream.locate_array(path, display=path.name)
        conn = connect(path.parent / "e.duckdb")
        jsonstream.load_array(conn, loc, "t", COLS, path.parent / "scratch")
    return info.value


def test_truncated_file_names_the_message(tmp_path):
    data = b'{"channel": {"id": "1"}, "messages": [\n {"id": "1"},\n {"id": "2"},\n {"id": "3", "text": "cut he'
    err = _error(_write(tmp_path, data, "cut.json"))
    assert err.file_path == "cut.json"
    at = data.index(b'{"id": "3"')
    assert err.place.startswith(f"messages[2] (byte {at})") and "end of file" in err.place
    assert "end of the 'messages' array" in err.expected and "truncated" in err.detail
    assert str(err).startswith(f"cut.json: at messages[2] (byte {at})")
    err = _error(_write(tmp_path, b'{"messages": [{"id": "1"}, ', "cut2.json"))
    assert err.place.startswith("messages[1]") and "truncated" in str(err)


def test_invalid_json_inside_the_array_names_element_and_byte(tmp_path):
    data = b'{"messages": [{"id": "1"}, {"id": "2", "text": "ok"}, {"id": "3" "text": "no comma"}], "x": 1}'
    err = _error(_write(tmp_path, data, "bad.json"))
    at = data.index(b'{"id": "3"')
    assert err.place == f"messages[2] (byte {at})"
    assert err.expected == "a message object"
    bad_at = data.index(b'"text": "no comma')
    assert f"invalid JSON at byte {bad_at}" in err.detail


def test_error_bytes_are_file_offsets_despite_repairs_and_multibyte_text(tmp_path):
    data = ('{"messages": [{"id": "1", "text": "é中\\x01\\x02"}, {"id": "2", "text": "x"}, {"id": 3 4}]}').encode()
    err = _error(_write(tmp_path, data, "bad.json"))
    at = data.index(b'{"id": 3 4')
    assert err.place == f"messages[2] (byte {at})"


def test_invalid_utf8_is_reported(tmp_path):
    err = _error(_write(tmp_path, b'{"messages": [{"id": "1", "text": "a\xff"}]}', "latin.json"))
    assert "UTF-8" in err.expected and "byte" in err.place


@pytest.mark.parametrize("data, place, expected", [
    (b"", "byte 0", "a JSON object"),
    (b"   [1, 2]", "byte 3", "a JSON object starting with '{'"),
    (b'{"guild": {"id": "1"}, "channel": {}}', "root object", "a 'messages' array among the root keys"),
    (b'{"messages": {"a": 1}}', "root key 'messages' (byte 13)", "an array '[' as the value of 'messages'"),
    (b'{"guild": {"id": "1",}, "messages": []}', "root key 'guild' (byte 10)", "a JSON value"),
    (b'{"guild": 1 "messages": []}', "byte 12 (root object)", "',' or '}' after a root value"),
])
def test_structural_errors(tmp_path, data, place, expected):
    err = _error(_write(tmp_path, data, "s.json"))
    assert (err.file_path, err.place, err.expected) == ("s.json", place, expected)


def test_scan_head_peek_mode_stops_at_the_byte_limit(tmp_path):
    path = _write(tmp_path, b'{"a": 1, "big": "' + b"x" * 5000 + b'", "messages": []}')
    head = jsonstream.scan_head(path, {"messages"}, max_bytes=1024, strict=False)
    assert head.partial and head.values == {"a": 1} and head.keys == ["a", "big"]
    with pytest.raises(ExportParseError):
        jsonstream.scan_head(path, {"messages"}, max_bytes=1024)


# ----------------------------------------------------------------------------- nested lists (ijson)

def test_iter_list_items_with_bom_and_x_escapes(tmp_path):
    data = BOM + (b'{"about": "x\\x01", "chats": {"about": "", "list": [\n'
                  b' {"id": 1, "messages": [{"id": 1, "text": "a\\x02"}]},\n'
                  b' {"id": 2, "messages": []}]}, "left_chats": {"list": [{"id": 3, "messages": []}]}}')
    path = _write(tmp_path, data)
    assert list(jsonstream.iter_list_items(path, "chats.list.item")) == [
        (0, {"id": 1, "messages": [{"id": 1, "text": "a\x02"}]}), (1, {"id": 2, "messages": []})]
    assert [i for i, _ in jsonstream.iter_list_items(path, "left_chats.list.item")] == [0]
    cut = _write(tmp_path, data[: len(data) // 2], "cut.json")
    with pytest.raises(ExportParseError) as info:
        list(jsonstream.iter_list_items(cut, "chats.list.item", display="cut.json"))
    assert str(info.value).startswith("cut.json: at chats.list[") and "truncated" in str(info.value)


# ----------------------------------------------------------------------------- through the framework

@pytest.mark.skipif(not ZULIP_GENERAL.is_file(), reason="real Discord sample not found")
def test_bom_prefixed_discord_export_through_the_loader(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (tmp_path / "community.yaml").write_text(
        "community:\n  timezone: Asia/Shanghai\nwarehouse: w.duckdb\n"
        "sources:\n  - {name: d, platform: discord, path: landing}\n", encoding="utf-8")
    (landing / "bom.json").write_bytes(BOM + ZULIP_GENERAL.read_bytes())
    shutil.copy(ZULIP_GENERAL, landing / "plain.json")
    cfg = load_config(tmp_path / "community.yaml")
    conn = connect(cfg.warehouse)
    result = ingest_source(conn, cfg, cfg.sources[0], now=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert [u.status for u in result.units] == ["loaded", "loaded"]
    n = len(json.loads(ZULIP_GENERAL.read_text(encoding="utf-8"))["messages"])
    assert conn.execute("select file_path, count(*) from raw.messages group by 1 order by 1").fetchall() \
        == [("bom.json", n), ("plain.json", n)]
    assert conn.execute("select count(*) from raw.quarantine").fetchone() == (0,)


# ----------------------------------------------------------------------------- reading in pieces

def _pretty_export(tmp_path: Path, messages: list, indent: int = 2) -> Path:
    doc = {"guild": {"id": "1"}, "messages": messages, "messageCount": len(messages)}
    return _write(tmp_path, json.dumps(doc, indent=indent, ensure_ascii=False).encode())


def test_split_points_fall_only_between_top_level_elements(tmp_path):
    # texts that look like the separator (escaped newlines), nested objects one level deeper
    messages = [{"id": str(i), "text": "},\n  {" * (i % 3) + "x" * (i % 17), "n": str(i),
                 "tags": [{"name": "a"}, {"name": "},"}]} for i in range(200)]
    path = _pretty_export(tmp_path, messages)
    loc = jsonstream.locate_array(path, "messages")
    cuts = jsonstream.split_points(path, loc.start, loc.end, 40)
    assert len(cuts) > 20
    data = path.read_bytes()
    taken = 0
    for cut in cuts:
        assert data[cut:cut + 1] == b","
        prefix = json.loads(data[loc.start:cut] + b"]")       # a whole number of elements
        assert prefix == messages[:len(prefix)] and len(prefix) > taken
        taken = len(prefix)


def test_compact_or_non_object_arrays_are_not_split(tmp_path):
    compact = _write(tmp_path, json.dumps({"messages": [{"id": str(i)} for i in range(500)]}).encode(), "c.json")
    loc = jsonstream.locate_array(compact, "messages")
    assert jsonstream.split_points(compact, loc.start, loc.end, 4) == []
    numbers = _write(tmp_path, json.dumps({"messages": list(range(500))}, indent=2).encode(), "n.json")
    loc = jsonstream.locate_array(numbers, "messages")
    assert jsonstream.split_points(numbers, loc.start, loc.end, 4) == []


@pytest.mark.parametrize("threads", [2, 3, 4])
def test_array_read_in_pieces_gives_the_rows_of_one_file(tmp_path, monkeypatch, threads):
    messages = [{"id": str(i), "text": f"消息 {i} " + "},\n    {" * (i % 2), "n": str(i),
                 "tags": [{"name": f"t{i}"}]} for i in range(300)]
    path = _pretty_export(tmp_path, messages, indent=4)
    conn = connect(tmp_path / "w.duckdb")
    conn.execute(f"set threads = {threads}")
    _, whole, rows_whole = _load(tmp_path, path, conn)
    assert whole.pieces == 1                      # 32 MB pieces at least: a small file is one
    monkeypatch.setattr(jsonstream, "MIN_PIECE", 64)
    _, split, rows_split = _load(tmp_path, path, conn)
    assert split.pieces == threads
    assert rows_split == rows_whole
    assert [r[1] for r in rows_split] == [m["id"] for m in messages]      # rowid order = array order
    assert not list((tmp_path / "scratch").glob("*"))                      # pieces removed


def test_a_piece_that_does_not_parse_sends_the_array_back_to_one_file(tmp_path, monkeypatch):
    # an odd pretty-printer: a nested list of objects at the elements' own indentation, so the
    # separator bytes also occur inside an element, right after the middle of the array
    element = b'{"id": "%d", "text": "t", "n": "1", "tags": [{"name": "a"},\n  {"name": "b"}]}'
    body = b",\n  ".join(element % i for i in range(2))
    data = b'{"messages": [\n  ' + body + b"\n]}"
    path = _write(tmp_path, data)
    loc = jsonstream.locate_array(path, "messages")
    monkeypatch.setattr(jsonstream, "MIN_PIECE", 8)
    cuts = jsonstream.split_points(path, loc.start, loc.end, 2)
    assert len(cuts) == 1
    with pytest.raises(json.JSONDecodeError):     # the cut is inside the first element
        json.loads(data[loc.start:cuts[0]] + b"]")
    conn = connect(tmp_path / "w.duckdb")
    conn.execute("set threads = 2")
    _, loc, rows = _load(tmp_path, path, conn)
    assert loc.pieces == 1
    assert [(r[1], [t["name"] for t in r[4]]) for r in rows] == [("0", ["a", "b"]), ("1", ["a", "b"])]


@pytest.mark.skipif(not ZULIP_GENERAL.is_file(), reason="real Discord sample not found")
def test_real_discord_export_loads_the_same_in_pieces(tmp_path, monkeypatch):
    def load(sub: str):
        base = tmp_path / sub
        (base / "landing").mkdir(parents=True)
        (base / "community.yaml").write_text(
            "community:\n  timezone: Asia/Shanghai\nwarehouse: w.duckdb\nsettings:\n  duckdb_threads: 2\n"
            "sources:\n  - {name: d, platform: discord, path: landing}\n", encoding="utf-8")
        shutil.copy(ZULIP_GENERAL, base / "landing" / "general.json")
        cfg = load_config(base / "community.yaml")
        conn = connect(cfg.warehouse, threads=2)
        result = ingest_source(conn, cfg, cfg.sources[0], now=datetime(2030, 1, 1, tzinfo=timezone.utc))
        assert [u.status for u in result.units] == ["loaded"]
        return {t: conn.execute(f"select * from raw.{t} order by all").fetchall()
                for t in ("messages", "users", "reactions", "membership_events", "quarantine")}

    whole = load("whole")
    pieces = []
    real = jsonstream.copy_pieces

    def counting(*a, **k):
        out = real(*a, **k)
        pieces.append(len(out))
        return out

    monkeypatch.setattr(jsonstream, "MIN_PIECE", 256)
    monkeypatch.setattr(jsonstream, "copy_pieces", counting)
    split = load("split")
    assert pieces == [2]
    assert whole["messages"] and split == whole
