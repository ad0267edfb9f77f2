"""Encoding detection and decoding of text exports (pipeline/adapters/encoding.py)."""

from __future__ import annotations

import codecs
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.adapters import encoding, jsonstream  # noqa: E402
from pipeline.adapters.base import ExportParseError  # noqa: E402

TEXT = ("2016-07-19 15:27:15 【群主】张三(271147505)\r\n你好，世界！\r\n\r\n"
        "2016-07-19 15:27:19 李四<li@example.com>\r\n多行\r第二行\n第三行 😀 𠀀\r\n")
NORMALISED = TEXT.replace("\r\n", "\n").replace("\r", "\n")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


CASES = [
    ("utf8", TEXT.encode("utf-8"), "utf-8", False),
    ("utf8-bom", codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8", True),
    ("gb18030", TEXT.encode("gb18030"), "gb18030", False),
    ("utf16le-bom", codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le", True),
    ("utf16be-bom", codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be", True),
    ("utf16le", TEXT.encode("utf-16-le"), "utf-16-le", False),
    ("utf16be", TEXT.encode("utf-16-be"), "utf-16-be", False),
    ("utf32le-bom", codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "utf-32-le", True),
]


@pytest.mark.parametrize("name,data,expected,bom", CASES, ids=[c[0] for c in CASES])
def test_detects_and_decodes_without_mojibake(tmp_path, name, data, expected, bom):
    src = _write(tmp_path, f"{name}.txt", data)
    out = encoding.decode_to_utf8(src, tmp_path / "out", normalize_newlines=True)
    assert (out.encoding, out.bom, out.replaced) == (expected, bom, False)
    assert out.path.read_bytes().decode("utf-8") == NORMALISED


def test_gbk_file_is_read_as_gb18030(tmp_path):
    text = "消息对象:浙大软院研究生群\n2016-07-21 8:23:04 淑(635732893)\n14级软院\n"
    src = _write(tmp_path, "gbk.txt", text.encode("gbk"))
    out = encoding.decode_to_utf8(src, tmp_path / "out")
    assert out.encoding == "gb18030"
    assert out.path.read_text(encoding="utf-8") == text


def test_ascii_prefix_then_gbk(tmp_path):
    # the first 64 KB are ASCII: only the full scan finds that the file is not UTF-8
    text = "x" * 70000 + "\n中文内容\n"
    src = _write(tmp_path, "late.txt", text.encode("gbk"))
    out = encoding.decode_to_utf8(src, tmp_path / "out")
    assert out.encoding == "gb18030" and out.path.read_text(encoding="utf-8") == text


def test_damaged_utf8_is_not_read_as_gbk(tmp_path):
    # valid Chinese UTF-8, then one stray byte: GB18030 would turn the Chinese into mojibake
    data = "中文内容\n".encode("utf-8") + b"\xff" + "更多\n".encode("utf-8")
    src = _write(tmp_path, "damaged.txt", data)
    out = encoding.decode_to_utf8(src, tmp_path / "out")
    assert (out.encoding, out.replaced) == ("utf-8", True)
    assert out.path.read_text(encoding="utf-8") == "中文内容\n\ufffd更多\n"


def test_undecodable_file_names_the_byte(tmp_path):
    src = _write(tmp_path, "bad.txt", b"abc\n\x81\xff\xff\n")
    with pytest.raises(ExportParseError) as err:
        encoding.decode_to_utf8(src, tmp_path / "out", display="landing/bad.txt")
    assert err.value.file_path == "landing/bad.txt"
    assert err.value.place == "byte 4"
    assert "UTF-8, GB18030/GBK or UTF-16" in err.value.expected


def test_empty_file(tmp_path):
    src = _write(tmp_path, "empty.txt", b"")
    with pytest.raises(ExportParseError, match="empty"):
        encoding.decode_to_utf8(src, tmp_path / "out")


def test_newlines_split_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(encoding, "CHUNK", 3)
    src = _write(tmp_path, "crlf.txt", b"ab\r\ncd\r\rx\ny\r")
    out = encoding.decode_to_utf8(src, tmp_path / "out", normalize_newlines=True)
    assert out.path.read_bytes() == b"ab\ncd\n\nx\ny\n"


def test_strip_nul(tmp_path):
    src = _write(tmp_path, "nul.txt", b"first line\nsec\x00ond line\n")
    out = encoding.decode_to_utf8(src, tmp_path / "out", strip_nul=True)
    assert out.encoding == "utf-8"
    assert out.path.read_bytes() == b"first line\nsecond line\n"


def test_json_document_with_bom_and_truncated(tmp_path):
    conn = duckdb.connect()
    good = _write(tmp_path, "good.json", codecs.BOM_UTF8 + '{"errcode": 0, "名": "值"}'.encode("utf-8"))
    table = encoding.load_json_document(conn, good, tmp_path / "tmp", "t_good", display="good.json")
    assert conn.execute(f"select doc ->> '$.名', doc ->> '$.errcode' from {table}").fetchone() == ("值", "0")
    jsonstream.drop_scratch(conn, "t_good")

    bad = _write(tmp_path, "bad.json", b'{\n  "items": [\n    {"a": 1},\n    {"b": ')
    with pytest.raises(ExportParseError) as err:
        encoding.load_json_document(conn, bad, tmp_path / "tmp", "t_bad", display="landing/bad.json")
    assert err.value.file_path == "landing/bad.json"
    assert err.value.place.startswith("line 4 column 11")
    assert "truncated" in err.value.detail
    # the caller's connection is still usable (the failed read ran on its own cursor)
    assert conn.execute("select 1").fetchone() == (1,)
