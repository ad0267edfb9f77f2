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

import orjson

_MAX_DEPTH = 40
_OPTS = orjson.OPT_INDENT_2


def dumps2(obj) -> bytes:
    """orjson with 2-space indentation (key order as inserted)."""
    return orjson.dumps(obj, option=_OPTS)


def reindent(data: bytes, unit: int, base: int = 0, zero_lines: bool = True, depth: int = 6) -> bytes:
    """Turn orjson's 2-space indentation into ``unit`` spaces per level, ``base`` levels deeper.

    Only lines after a newline are touched: the first line of ``data`` is where the caller
    puts it (after a key, or after the ``\\n`` it kept from a sliced batch).
    ``zero_lines=False`` promises there is no line at depth 0 (a sliced batch of array
    items), which saves a pass. ``depth``: the deepest nesting expected (deeper input is
    handled too, with more passes).

    2-space output only needs shifting (one pass). Otherwise line-leading runs of spaces are
    first replaced by a NUL byte plus a byte naming their depth (deepest first, so no run is
    a prefix of an unprocessed one), then expanded; NUL never occurs raw inside JSON
    output, so the markers are unambiguous.
    """
    if unit == 2:
        return data.replace(b"\n", b"\n" + b"  " * base) if base else data
    original = data
    for k in range(depth, 0, -1):
        data = data.replace(b"\n" + b"  " * k, b"\n\x00" + bytes((0x40 + k,)))
    if b"\x00" + bytes((0x40 + depth,)) + b" " in data:   # deeper than expected
        if depth >= _MAX_DEPTH:
            raise ValueError("JSON nested deeper than jsonfmt._MAX_DEPTH")
        return reindent(original, unit, base, zero_lines, _MAX_DEPTH)
    if base and zero_lines:
        data = data.replace(b"\n", b"\n" + b" " * (unit * base))
        base = 0
    for k in range(1, depth + 1):
        data = data.replace(b"\x00" + bytes((0x40 + k,)), b" " * (unit * (k + base)))
    return data


# ---- Slack (PHP json_encode) ----------------------------------------------------------

def _php_escape(err: UnicodeEncodeError):
    run = err.object[err.start:err.end]
    fast = run.encode("unicode_escape")            # \\uXXXX for the BMP above Latin-1
    if b"\\x" not in fast and b"\\U" not in fast:
        return fast.decode("ascii"), err.end
    out = []
    for ch in run:
        o = ord(ch)
        if o > 0xFFFF:
            o -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF)))
        else:
            out.append("\\u%04x" % o)
    return "".join(out), err.end


codecs.register_error("sample_php_json", _php_escape)


def _no_double_spaces(obj) -> bool:
    """True when no string in ``obj`` contains two spaces in a row: then every run of two
    spaces in the indented output is indentation, and one ``replace`` re-indents it all."""
    return b"  " not in orjson.dumps(obj)


def slack_dumps(obj) -> bytes:
    """A Slack export JSON file (array or object) as Slack writes it."""
    data = dumps2(obj)
    data = data.replace(b"  ", b"    ") if _no_double_spaces(obj) else reindent(data, 4)
    data = data.decode("utf-8").encode("ascii", "sample_php_json")
    return data.replace(b"/", b"\\/")


# ---- DiscordChatExporter ---------------------------------------------------------------

_SURROGATES: dict[bytes, bytes] = {}


def _surrogates(utf8: bytes) -> bytes:
    esc = _SURROGATES.get(utf8)
    if esc is None:
        o = ord(utf8.decode("utf-8")) - 0x10000
        esc = _SURROGATES[utf8] = b"\\u%04X\\u%04X" % (0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF))
    return esc


def dce_escape(data: bytes) -> bytes:
    """Characters above the BMP as uppercase surrogate-pair escapes (DCE/System.Text.Json).

    Every such character is 4 UTF-8 bytes starting with F0-F4; splitting on the lead byte
    keeps the scan in C."""
    for lead in (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4"):
        if lead not in data:
            continue
        parts = data.split(lead)
        out = [parts[0]]
        for part in parts[1:]:
            out.append(_surrogates(lead + part[:3]))
            out.append(part[3:])
        data = b"".join(out)
    return data


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
    data = dumps2(items)[1:-2]        # b"\n  {...},\n  {...}"
    if unit == 1 and _no_double_spaces(items):
        return data.replace(b"  ", b" ").replace(b"\n", b"\n" + b" " * (depth - 1))
    return reindent(data, unit, depth - 1, zero_lines=False)
