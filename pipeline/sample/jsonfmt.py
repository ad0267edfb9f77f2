"""Byte-level emulation of how each exporter writes its JSON.

All three writers are pretty-printers with ``"key": value`` pairs, one per line, ``[]`` for
an empty array; they differ in indentation and string escaping:

- Slack's export (PHP ``json_encode(JSON_PRETTY_PRINT)``): 4 spaces, ``/`` written as ``\\/``,
  every non-ASCII character as a lowercase ``\\uXXXX`` escape (surrogate pairs above the BMP);
- DiscordChatExporter (System.Text.Json, relaxed encoder): 2 spaces, non-ASCII written raw
  except characters above the BMP, written as uppercase surrogate-pair escapes
  (``\\uD83D\\uDCAF``); no newline at the end of the file;
- Telegram Desktop (its own serializer): 1 space, raw UTF-8, no newline at the end.

orjson (2-space indent) does the serialization; :func:`reindent` rewrites the indentation
with plain ``bytes.replace`` passes, which is fast enough for millions of messages.
"""

from __future__ import annotations

import codecs
import re

import orjson

_MAX_DEPTH = 12
_OPTS = orjson.OPT_INDENT_2


def dumps2(obj) -> bytes:
    """orjson with 2-space indentation (key order as inserted)."""
    return orjson.dumps(obj, option=_OPTS)


def reindent(data: bytes, unit: int, base: int = 0) -> bytes:
    """Turn orjson's 2-space indentation into ``unit`` spaces per level, ``base`` levels deeper.

    Only lines after a newline are touched: the first line of ``data`` is where the caller
    puts it (after a key, or after the ``\\n`` it kept from a sliced batch).

    Line-leading runs of spaces are first replaced by a NUL byte plus a byte naming their depth
    (deepest first, so no run is a prefix of an unprocessed one), then expanded. NUL
    never occurs raw inside JSON output, so the markers are unambiguous.
    """
    if unit == 2 and base == 0:
        return data
    for k in range(_MAX_DEPTH, 0, -1):
        data = data.replace(b"\n" + b"  " * k, b"\n\x00" + bytes((0x40 + k,)))
    if base:
        data = data.replace(b"\n", b"\n" + b" " * (unit * base))
    for k in range(1, _MAX_DEPTH + 1):
        data = data.replace(b"\x00" + bytes((0x40 + k,)), b" " * (unit * k))
    return data


# ---- Slack (PHP json_encode) ----------------------------------------------------------

def _php_escape(err: UnicodeEncodeError):
    out = []
    for ch in err.object[err.start:err.end]:
        o = ord(ch)
        if o > 0xFFFF:
            o -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF)))
        else:
            out.append("\\u%04x" % o)
    return "".join(out), err.end


codecs.register_error("sample_php_json", _php_escape)


def slack_dumps(obj) -> bytes:
    """A Slack export JSON file (array or object) as Slack writes it."""
    data = reindent(dumps2(obj), 4)
    data = data.decode("utf-8").encode("ascii", "sample_php_json")
    return data.replace(b"/", b"\\/")


# ---- DiscordChatExporter ---------------------------------------------------------------

_NON_BMP = re.compile(rb"[\xf0-\xf4][\x80-\xbf]{3}")


def _surrogates(m: re.Match) -> bytes:
    o = ord(m.group(0).decode("utf-8")) - 0x10000
    return b"\\u%04X\\u%04X" % (0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF))


def dce_escape(data: bytes) -> bytes:
    return _NON_BMP.sub(_surrogates, data)


def dce_value(obj, depth: int) -> bytes:
    """A value written at nesting ``depth`` inside a DCE file (2-space indentation)."""
    return dce_escape(reindent(dumps2(obj), 2, depth))


# ---- Telegram Desktop ------------------------------------------------------------------

def tg_value(obj, depth: int) -> bytes:
    """A value written at nesting ``depth`` inside a tdesktop result.json (1-space indentation)."""
    return reindent(dumps2(obj), 1, depth)


def items_chunk(items: list, unit: int, depth: int) -> bytes:
    """Array items for streaming: ``\\n<indent>{…},\\n<indent>{…}`` with items at ``depth``.

    Join consecutive chunks with ``b","``; close the array with ``\\n<indent(depth-1)>]``.
    """
    data = dumps2(items)              # b"[\n  {...},\n  {...}\n]"
    return reindent(data[1:-2], unit, depth - 1)
