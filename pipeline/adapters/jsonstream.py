"""Streaming access to the big array inside a single-object JSON export.

DiscordChatExporter files and Telegram single-chat ``result.json`` files are ONE JSON object
(``{"guild": …, "channel": …, "messages": [ … ], "messageCount": N}``) whose size is almost all
in one array. ``json.load`` of a 400 MB file takes 30+ s and GBs of memory, and DuckDB's
``read_json`` of the whole object is no faster (spec ``stack.md`` §6). DuckDB does stream a file
whose root IS an array, so this module turns the object into one:

1. **Head scan** – read the root keys before the array one by one (the small ``guild``,
   ``channel``, ``dateRange``, … values are decoded with :mod:`json`; the end of each value is
   found with a byte-level scanner) until the wanted key; its value must start with ``[``: that
   byte offset is the start of the array. A UTF-8 BOM is skipped.
2. **Tail scan** – the keys after the array are small (``"messageCount": N``), so the end of the
   array is found from the end of the file: the leftmost ``]`` in the last 64 KB (growing if
   needed) that is followed by nothing but well-formed ``, "key": value`` members and the
   final ``}``. Those trailing members are decoded too (``messages`` need not be the last key).
   A ``]`` inside a string or deeper in the array cannot pass that test, and a wrong guess
   could only be a ``]`` after the true end, which DuckDB then rejects (never a silent
   misread).
3. **Copy** – the byte range ``[ … ]`` is copied into a temp file (``os.copy_file_range``:
   kernel-side, ~0.5 s for 700 MB) and DuckDB loads it with ``read_json(format='array',
   columns={…})`` into a table of the in-memory scratch database ``_jsonstream``, in file
   order (its ``rowid`` is the index in the array, for ``messages[i]`` locations). The load
   runs on a second cursor (:func:`scratch_cursor`), outside the loader's transaction, so that
   the retries below can follow a failed statement. DuckDB parses one array file on one
   thread, so an array of at least 2 × 32 MB is copied as one piece per DuckDB thread, cut
   between two elements (:func:`split_points`), and the pieces are read side by side, rows in
   file order: the parse of a 1.66 GB Discord export goes from 5.2 to 2.6 s on two threads.
   Any piece that does not parse sends the load back to the single-file path below.
4. **Repairs and fallbacks** – Telegram Desktop writes control characters as ``\\xNN``, which is
   not JSON; on a DuckDB parse error the range is copied again with every real ``\\xNN`` escape
   (an odd run of backslashes before the ``x``) rewritten to ``\\u00NN`` (carrying the tail of
   each chunk so no escape is split), then read again. When the typed columns do not fit
   the data (``"author": 5``, a number among the messages, …), the array is read again as raw
   JSON values and every column is taken with ``try_cast``, so a badly shaped record becomes a
   row of NULLs that the loader quarantines instead of failing the whole file.
5. **Errors** – anything still unreadable raises :class:`ExportParseError` naming the file,
   the place (``messages[812] (byte 41236)``, ``end of file (byte N)``, ``root key 'channel'``)
   and what was expected. To name the element, a diagnostic pass walks the array with
   ``json.JSONDecoder.raw_decode`` (only on the failure path).

For Telegram "export all data" files (the chats are nested in ``chats.list[…]``), see
:func:`iter_list_items`: a slower ijson-based path, acceptable for personal-account exports.
"""

from __future__ import annotations

import bisect
import codecs
import json
import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.adapters.base import ExportParseError

BOM = b"\xef\xbb\xbf"
CHUNK = 8 << 20                 # copy / repair chunk size
HEAD_LIMIT = 64 << 20           # the root keys before the array must fit in this many bytes
TAIL_WINDOWS = (64 << 10, 1 << 20, 16 << 20)   # root members after the array: at most 16 MB
ELEMENT_LIMIT = 16 << 20        # no single array element is expected to be bigger (diagnosis)
SPLIT_WINDOW = 16 << 20         # how far past an even cut point an element boundary is looked for
MIN_PIECE = 32 << 20            # arrays are read as several files only in pieces at least this big

_WS_RE = re.compile(rb"[ \t\r\n]*")
_STR_REST_RE = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.S)   # after the opening quote
_STRUCT_RE = re.compile(rb'["\[\]{}]')
_SCALAR_RE = re.compile(rb"[^\s,\]}:\[{\"]+")
_X_ESCAPE_RE = re.compile(rb"(\\+)x([0-9A-Fa-f]{2})")


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------

def _show(data: bytes, n: int = 24) -> str:
    """A short printable excerpt of some bytes, for error messages."""
    if not data:
        return "end of file"
    text = data[:n].decode("utf-8", errors="replace")
    return repr(text) + ("…" if len(data) > n else "")


def fix_x_escapes(data: bytes) -> tuple[bytes, int]:
    """Rewrite tdesktop's invalid ``\\xNN`` escapes to ``\\u00NN``; return (bytes, count).

    Only an *odd* run of backslashes before ``x`` is an escape (``\\\\x41`` is an escaped
    backslash followed by the letters ``x41`` and is left alone).
    """
    count = 0

    def repl(m: re.Match) -> bytes:
        nonlocal count
        run = m.group(1)
        if len(run) % 2 == 0:
            return m.group(0)
        count += 1
        return run[:-1] + b"\\u00" + m.group(2)

    if b"\\x" not in data:
        return data, 0
    return _X_ESCAPE_RE.sub(repl, data), count


class EscapeFixer:
    """Chunk-wise :func:`fix_x_escapes` that never splits an escape across chunks.

    ``feed(chunk)`` returns the repaired bytes that are safe to emit; the last few bytes are
    held back when they could be the start of an escape (a backslash run, ``\\x``, ``\\xN``)
    and emitted with the next chunk or by ``feed(b"", final=True)``. ``positions`` records
    the output offset of each rewrite, so output offsets can be mapped back to input offsets.
    """

    def __init__(self) -> None:
        self.carry = b""
        self.count = 0
        self.out_pos = 0
        self.positions: list[int] = []

    def feed(self, chunk: bytes, final: bool = False) -> bytes:
        buf = self.carry + chunk
        if final:
            cut = len(buf)
        else:
            # An escape is 4 bytes (\xNN) after its backslash run: if a backslash sits in the
            # last 3 bytes, hold it back together with the whole run it ends.
            k = buf.rfind(b"\\", max(0, len(buf) - 3))
            if k == -1:
                cut = len(buf)
            else:
                cut = k
                while cut > 0 and buf[cut - 1] == 0x5C:
                    cut -= 1
        part, self.carry = buf[:cut], buf[cut:]
        if b"\\x" in part:
            out = bytearray()
            last = 0
            for m in _X_ESCAPE_RE.finditer(part):
                run = m.group(1)
                if len(run) % 2 == 0:
                    continue
                out += part[last:m.start()]
                out += run[:-1]
                self.positions.append(self.out_pos + len(out))
                out += b"\\u00" + m.group(2)
                last = m.end()
                self.count += 1
            out += part[last:]
            part = bytes(out)
        self.out_pos += len(part)
        return part

    def to_input_offset(self, out_offset: int) -> int:
        """Map an offset in the repaired output back to the input (each rewrite adds 2 bytes)."""
        return out_offset - 2 * bisect.bisect_left(self.positions, out_offset)


def _loads(data: bytes):
    """Decode one small JSON value given as bytes (BOM-free), repairing ``\\xNN`` escapes."""
    fixed, _ = fix_x_escapes(data)
    return json.loads(fixed.decode("utf-8"))


def _value_end(buf: bytes, pos: int) -> int | None:
    """Offset just past the JSON value starting at ``buf[pos]``; None if it runs past ``buf``.

    A structural scan only (strings, brackets, scalars); the value's validity is checked when
    it is decoded.
    """
    if pos >= len(buf):
        return None
    c = buf[pos]
    if c == 0x22:  # "
        m = _STR_REST_RE.match(buf, pos + 1)
        return m.end() if m else None
    if c in (0x7B, 0x5B):  # { [
        depth = 0
        i = pos
        while True:
            m = _STRUCT_RE.search(buf, i)
            if m is None:
                return None
            ch = buf[m.start()]
            if ch == 0x22:
                s = _STR_REST_RE.match(buf, m.end())
                if s is None:
                    return None
                i = s.end()
                continue
            depth += 1 if ch in (0x7B, 0x5B) else -1
            i = m.end()
            if depth == 0:
                return i
    m = _SCALAR_RE.match(buf, pos)
    if m is None or m.end() == pos:
        return pos + 1  # a stray character: let the decoder report it
    if m.end() >= len(buf):
        return None     # a number may continue past the buffer
    return m.end()


class _Buffer:
    """The head of a file, read on demand up to a limit."""

    def __init__(self, fh, limit: int):
        self.fh = fh
        self.limit = limit
        self.data = b""
        self.eof = False

    @property
    def full(self) -> bool:
        return self.eof or len(self.data) >= self.limit

    def more(self) -> bool:
        if self.full:
            return False
        want = min(max(len(self.data), 64 << 10), self.limit - len(self.data))
        chunk = self.fh.read(want)
        if not chunk:
            self.eof = True
            return False
        self.data += chunk
        return True

    def skip_ws(self, pos: int) -> int:
        while True:
            pos = _WS_RE.match(self.data, pos).end()
            if pos < len(self.data) or not self.more():
                return pos

    def byte(self, pos: int) -> int | None:
        while pos >= len(self.data):
            if not self.more():
                return None
        return self.data[pos]

    def value_end(self, pos: int) -> int | None:
        while True:
            end = _value_end(self.data, pos)
            if end is not None:
                return end
            if not self.more():
                if self.eof:
                    # a scalar that ends exactly at end of file is complete
                    m = _SCALAR_RE.match(self.data, pos)
                    if m is not None and m.end() == len(self.data) and m.end() > pos:
                        return m.end()
                return None


# --------------------------------------------------------------------------------------------
# head and tail scans
# --------------------------------------------------------------------------------------------

@dataclass
class HeadScan:
    values: dict                    # root keys decoded before the stop key (or all of them)
    keys: list[str]                 # root keys in file order (as far as scanned)
    stop_key: str | None = None     # the stop key met, if any
    value_offset: int | None = None  # byte offset of the stop key's value
    complete: bool = False          # the whole root object was read
    partial: bool = False           # gave up at the byte limit (only with strict=False)
    has_bom: bool = False


def scan_head(path: str | Path, stop_keys=(), *, display: str | None = None,
              max_bytes: int = HEAD_LIMIT, strict: bool = True) -> HeadScan:
    """Read the root object's keys in order until one of ``stop_keys`` (its value is not read).

    Raises :class:`ExportParseError` on anything that is not a JSON object; with
    ``strict=False`` a value that does not fit in ``max_bytes`` ends the scan with
    ``partial=True`` instead of an error (used to peek at files cheaply).
    """
    display = display or str(path)
    stop_keys = set(stop_keys)
    with open(path, "rb") as fh:
        buf = _Buffer(fh, max_bytes)
        buf.more()
        bom = buf.data.startswith(BOM)
        pos = buf.skip_ws(3 if bom else 0)
        c = buf.byte(pos)
        if c is None:
            raise ExportParseError(display, "byte 0", "a JSON object", "the file is empty")
        if c != 0x7B:
            raise ExportParseError(display, f"byte {pos}", "a JSON object starting with '{'",
                                   f"found {_show(buf.data[pos:])}")
        scan = HeadScan(values={}, keys=[], has_bom=bom)
        pos += 1
        first = True
        while True:
            pos = buf.skip_ws(pos)
            c = buf.byte(pos)
            if c is None:
                return _head_eof(scan, buf, display, pos, strict)
            if c == 0x7D:  # }
                scan.complete = True
                return scan
            if not first:
                if c != 0x2C:
                    raise ExportParseError(display, f"byte {pos} (root object)",
                                           "',' or '}' after a root value",
                                           f"found {_show(buf.data[pos:])}")
                pos = buf.skip_ws(pos + 1)
                c = buf.byte(pos)
                if c is None:
                    return _head_eof(scan, buf, display, pos, strict)
            if c != 0x22:
                raise ExportParseError(display, f"byte {pos} (root object)", "a key string",
                                       f"found {_show(buf.data[pos:])}")
            kend = buf.value_end(pos)
            if kend is None:
                return _head_eof(scan, buf, display, pos, strict)
            try:
                key = _loads(buf.data[pos:kend])
            except ValueError as exc:
                raise ExportParseError(display, f"byte {pos} (root object)", "a key string",
                                       str(exc)) from exc
            pos = buf.skip_ws(kend)
            if buf.byte(pos) != 0x3A:
                if buf.byte(pos) is None:
                    return _head_eof(scan, buf, display, pos, strict)
                raise ExportParseError(display, f"byte {pos} (root key {key!r})", "':' after the key",
                                       f"found {_show(buf.data[pos:])}")
            pos = buf.skip_ws(pos + 1)
            scan.keys.append(key)
            if key in stop_keys:
                if buf.byte(pos) is None:
                    return _head_eof(scan, buf, display, pos, strict)
                scan.stop_key, scan.value_offset = key, pos
                return scan
            vend = buf.value_end(pos)
            if vend is None:
                return _head_eof(scan, buf, display, pos, strict, key)
            try:
                scan.values[key] = _loads(buf.data[pos:vend])
            except ValueError as exc:
                raise ExportParseError(display, f"root key {key!r} (byte {pos})", "a JSON value",
                                       str(exc)) from exc
            pos = vend
            first = False


def _head_eof(scan: HeadScan, buf: _Buffer, display: str, pos: int, strict: bool,
              key: str | None = None) -> HeadScan:
    if not buf.eof and not strict:
        scan.partial = True
        return scan
    if not buf.eof:
        raise ExportParseError(display, f"root key {key!r} (byte {pos})" if key else f"byte {pos}",
                               f"small root values before the big array (at most {HEAD_LIMIT >> 20} MB)",
                               "this value is bigger")
    where = f"root key {key!r} (byte {pos})" if key else f"end of file (byte {len(buf.data)})"
    raise ExportParseError(display, where, "the rest of the root object",
                           "the file ends early: it looks truncated")


def _parse_trailing_members(data: bytes, pos: int, end: int) -> dict | None:
    """Parse ``(, "key": value)* }`` from ``data[pos]`` to exactly ``end`` (the final '}').

    Returns the members, or None when the bytes are not exactly that.
    """
    members: dict = {}
    while True:
        pos = _WS_RE.match(data, pos).end()
        if pos >= len(data):
            return None
        c = data[pos]
        if c == 0x7D:
            return members if pos == end else None
        if c != 0x2C:
            return None
        kstart = _WS_RE.match(data, pos + 1).end()
        if kstart >= len(data) or data[kstart] != 0x22:
            return None
        kend = _value_end(data, kstart)
        if kend is None:
            return None
        pos = _WS_RE.match(data, kend).end()
        if pos >= len(data) or data[pos] != 0x3A:
            return None
        vstart = _WS_RE.match(data, pos + 1).end()
        vend = _value_end(data, vstart)
        if vend is None or vend > end:
            return None
        try:
            key = _loads(data[kstart:kend])
            members[key] = _loads(data[vstart:vend])
        except (ValueError, UnicodeDecodeError):
            return None
        pos = vend


@dataclass
class ArrayLocation:
    path: Path
    display: str
    key: str
    start: int                 # byte offset of the array's '['
    end: int                   # byte offset just past its ']'
    root: dict                 # every other root key, decoded
    keys: list[str]            # root keys in file order
    has_bom: bool = False
    size: int = 0
    fixed_escapes: int = 0     # \xNN escapes rewritten in the copy (0 = plain copy)
    fallback: bool = False     # read through the raw-JSON fallback (badly shaped records)
    rows: int = 0
    pieces: int = 1            # files the array was read as (parallel parse, see load_array)
    table: str | None = None   # qualified name of the loaded table (load_array); rowid = index


def locate_array(path: str | Path, key: str = "messages", *, display: str | None = None) -> ArrayLocation:
    """Find the byte range of the root object's ``key`` array and decode the other root keys."""
    path = Path(path)
    display = display or str(path)
    head = scan_head(path, {key}, display=display)
    if head.stop_key is None:
        found = ", ".join(head.keys) or "none"
        raise ExportParseError(display, "root object", f"a {key!r} array among the root keys",
                               f"root keys found: {found}")
    size = path.stat().st_size
    start = head.value_offset
    with open(path, "rb") as fh:
        fh.seek(start)
        first = fh.read(1)
    if first != b"[":
        raise ExportParseError(display, f"root key {key!r} (byte {start})", f"an array '[' as the value of {key!r}",
                               f"found {_show(first)}")
    end, trailing = _scan_tail(path, size, start, key, display)
    root = dict(head.values)
    root.update(trailing)
    return ArrayLocation(path=path, display=display, key=key, start=start, end=end, root=root,
                         keys=head.keys + list(trailing), has_bom=head.has_bom, size=size)


def _scan_tail(path: Path, size: int, start: int, key: str, display: str) -> tuple[int, dict]:
    with open(path, "rb") as fh:
        for window in TAIL_WINDOWS:
            lo = max(start + 1, size - window)
            fh.seek(lo)
            data = fh.read(size - lo)
            stripped = data.rstrip(b" \t\r\n\x00")
            if not stripped.endswith(b"}"):
                place = _truncation_place(path, start, key, display, size)
                raise ExportParseError(display, place,
                                       f"the end of the {key!r} array and the closing '}}' of the root object",
                                       "the file ends before them: it looks truncated")
            final = len(stripped) - 1
            p = data.find(b"]")
            while p != -1 and p < final:
                members = _parse_trailing_members(data, p + 1, final)
                if members is not None:
                    return lo + p + 1, members
                p = data.find(b"]", p + 1)
            if lo == start + 1:
                break
    place = _truncation_place(path, start, key, display, size)
    raise ExportParseError(display, place, f"the {key!r} array to end with ']' followed by the rest of the root object",
                           "no such end found: the file is cut short or malformed")


def _truncation_place(path: Path, start: int, key: str, display: str, size: int) -> str:
    problem = diagnose_array(path, start, key)
    if problem is not None:
        return problem.place
    return f"end of file (byte {size})"


# --------------------------------------------------------------------------------------------
# copy and DuckDB load
# --------------------------------------------------------------------------------------------

def copy_range(src: Path, start: int, end: int, dst: Path, *, append: bool = False) -> None:
    """Copy bytes [start, end) of ``src`` to a new file ``dst`` (kernel-side when possible), or
    to the end of ``dst`` (``append``)."""
    # not O_APPEND: copy_file_range refuses a destination opened for appending
    with open(src, "rb") as fin, open(dst, "r+b" if append else "wb") as fout:
        base = fout.seek(0, os.SEEK_END)
        remaining, offset = end - start, start
        if hasattr(os, "copy_file_range"):
            try:
                while remaining > 0:
                    n = os.copy_file_range(fin.fileno(), fout.fileno(), min(remaining, 1 << 30), offset)
                    if n == 0:
                        break
                    offset += n
                    remaining -= n
            except OSError:
                fout.seek(base)
                fout.truncate()
                remaining, offset = end - start, start
        fin.seek(offset)
        while remaining > 0:
            chunk = fin.read(min(CHUNK, remaining))
            if not chunk:
                break
            fout.write(chunk)
            remaining -= len(chunk)


def _element_separator(path: Path, start: int) -> bytes | None:
    """The bytes that separate two elements of a pretty-printed array of objects:
    ``},`` + the whitespace between the ``[`` at ``start`` and its first ``{`` (``b"},\\n    {"``
    for DiscordChatExporter). None when that whitespace has no newline (compact JSON) or the
    elements are not objects: such an array is not split."""
    with open(path, "rb") as fh:
        fh.seek(start)
        head = fh.read(4096)
    m = re.match(rb"\[([ \t\r\n]*)\{", head)
    if not m or b"\n" not in m.group(1):
        return None
    return b"}," + m.group(1) + b"{"


def split_points(path: Path, start: int, end: int, parts: int) -> list[int]:
    """Offsets of up to ``parts - 1`` commas between top-level elements of the array
    ``[start, end)``, near the even cut points, for reading the array as several files.

    A separator is found by its exact bytes (:func:`_element_separator`): it contains a newline,
    which JSON allows only between tokens, never inside a string. Reading the pieces is also
    the proof: ``[`` + a prefix of the elements + ``]`` is valid JSON only when the cut is
    between two top-level elements (anywhere else a bracket or a string stays open), and a
    piece that fails to parse sends the caller back to reading the array as one file.
    """
    sep = _element_separator(path, start) if parts > 1 else None
    if sep is None:
        return []
    cuts: list[int] = []
    with open(path, "rb") as fh:
        for i in range(1, parts):
            target = start + (end - start) * i // parts
            if cuts and target <= cuts[-1]:
                continue
            fh.seek(target)
            window = fh.read(min(SPLIT_WINDOW, max(0, end - target)))
            k = window.find(sep)
            if k == -1:
                continue
            cut = target + k + 1          # the comma
            if cut + len(sep) < end:
                cuts.append(cut)
    return cuts


def copy_pieces(src: Path, start: int, end: int, cuts: list[int], dst_stem: Path) -> list[Path]:
    """Copy the array ``[start, end)`` of ``src`` as ``len(cuts) + 1`` JSON-array files cut at
    the commas ``cuts`` (from :func:`split_points`): ``[`` + elements + ``]`` each."""
    paths = []
    bounds = [start, *cuts, end]
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1]
        dst = dst_stem.with_name(f"{dst_stem.name}.{i}.json")
        # piece 0 starts with the array's '[', the others after the comma; all but the last end
        # before the comma, so they get a closing ']' (the last keeps the array's own)
        with open(dst, "wb") as fout:
            if i > 0:
                fout.write(b"[")
        copy_range(src, lo if i == 0 else lo + 1, hi, dst, append=True)
        if i < len(bounds) - 2:
            with open(dst, "ab") as fout:
                fout.write(b"]")
        paths.append(dst)
    return paths


def copy_range_fixed(src: Path, start: int, end: int, dst: Path) -> EscapeFixer:
    """Like :func:`copy_range`, rewriting ``\\xNN`` escapes; returns the fixer (count, offsets)."""
    fixer = EscapeFixer()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        fin.seek(start)
        remaining = end - start
        while remaining > 0:
            chunk = fin.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            fout.write(fixer.feed(chunk))
        fout.write(fixer.feed(b"", final=True))
    return fixer


_ATTACH_LOCK = threading.Lock()
SCRATCH = "_jsonstream"   # in-memory database the arrays are loaded into (see scratch_cursor)


def _sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value) -> str:
    """A SQL literal for a str/None (for views, which cannot take parameters)."""
    return "null::varchar" if value is None else _sql_str(value)


def columns_sql(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"{_sql_str(k)}: {_sql_str(v)}" for k, v in columns.items()) + "}"


def scratch_cursor(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to the same DuckDB instance, with the scratch database attached.

    The ingest framework runs each export in ONE transaction, and in DuckDB a failed statement
    aborts its transaction, so a "try, then repair and retry" read cannot run on that
    connection. It runs on this cursor instead (autocommit, its own transactions) and writes
    into the in-memory database ``_jsonstream``, attached to the instance and so visible from
    the loader's connection too (a transaction sees an attached database as of its first use
    of it, i.e. after the load committed).
    """
    cur = conn.cursor()
    # DuckDB's "attach if not exists" races with itself: two connections attaching at once can
    # both try, and one fails with "already exists" (12 of 300 tries, measured). The loader runs
    # two lanes of units (pipeline/ingest/loader.py), so the attach is serialised here.
    with _ATTACH_LOCK:
        cur.execute(f"attach if not exists ':memory:' as {SCRATCH}")
    return cur


def scratch_name(prefix: str) -> str:
    """A scratch table name unique to this load (the scratch database is shared by every
    connection of the DuckDB instance, so concurrent loads must not collide)."""
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def scratch_table(name: str) -> str:
    return f"{SCRATCH}.{_ident(name)}"


def drop_scratch(conn: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Drop scratch tables (call when the adapter's SQL is done with them)."""
    cur = scratch_cursor(conn)
    try:
        for name in names:
            cur.execute(f"drop table if exists {scratch_table(name)}")
    finally:
        cur.close()


def read_array_file(cur: duckdb.DuckDBPyConnection, array_path: Path | list[Path], table: str,
                    columns: dict[str, str], *, fallback: bool = False) -> None:
    """Load a JSON-array file (or several, in order) into table ``table`` (a qualified name),
    in file order.

    ``fallback`` reads each element as a raw JSON value and takes every column with
    ``try_cast`` (VARCHAR columns with ``->>``), for arrays whose elements do not fit the
    typed columns: a badly shaped element becomes a row of NULLs instead of an error.
    """
    if isinstance(array_path, list):
        src = "[" + ", ".join(_sql_str(str(p)) for p in array_path) + "]"
    else:
        src = _sql_str(str(array_path))
    if not fallback:
        cur.execute(f"create or replace table {table} as "
                    f"select * from read_json({src}, format='array', columns={columns_sql(columns)})")
        return
    selects = []
    for name, typ in columns.items():
        path = _sql_str('$."' + name.replace('"', '\\"') + '"')
        if typ.upper() == "VARCHAR":
            selects.append(f"json ->> {path} as {_ident(name)}")
        elif typ.upper() == "JSON":
            selects.append(f"json -> {path} as {_ident(name)}")
        else:
            selects.append(f"try_cast(json -> {path} as {typ}) as {_ident(name)}")
    cur.execute(f"create or replace table {table} as select {', '.join(selects)} "
                f"from read_json({src}, format='array', records=false, columns={{'json': 'JSON'}})")


def _is_parse_error(exc: Exception) -> bool:
    return "Malformed JSON" in str(exc)


def is_shape_error(exc: Exception) -> bool:
    """A DuckDB JSON read that failed because a record does not fit the typed columns."""
    return "JSON transform error" in str(exc)


def read_array_robust(cur: duckdb.DuckDBPyConnection, array_path: Path | list[Path], table: str,
                      columns: dict[str, str]) -> tuple[bool, int]:
    """Typed read, falling back to the raw-JSON read when the records do not fit the types.

    Run it on a :func:`scratch_cursor`. Returns ``(fallback_used, rows)``; raises
    ``duckdb.Error`` when the file is not a readable JSON array.
    """
    fallback = False
    try:
        read_array_file(cur, array_path, table, columns)
    except duckdb.Error as exc:
        if not is_shape_error(exc):
            raise
        read_array_file(cur, array_path, table, columns, fallback=True)
        fallback = True
    rows = cur.execute(f"select count(*) from {table}").fetchone()[0]
    return fallback, int(rows)


def load_array(conn: duckdb.DuckDBPyConnection, loc: ArrayLocation, name: str,
               columns: dict[str, str], tmp_dir: Path) -> ArrayLocation:
    """Copy the located array to ``tmp_dir`` and load it into scratch table ``name``.

    Sets ``loc.table`` (the qualified name to query from ``conn``; ``rowid`` = index in the
    array). Handles the ``\\xNN`` repair and the raw-JSON fallback; raises
    :class:`ExportParseError` naming the element when the array cannot be read. Drop the
    table with :func:`drop_scratch` when done.
    """
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    array_path = tmp_dir / f"{name}.array.json"
    table = scratch_table(name)
    cur = scratch_cursor(conn)
    try:
        if _read_in_pieces(cur, loc, array_path, table, columns):
            loc.table = table
            return loc
        copy_range(loc.path, loc.start, loc.end, array_path)
        error = _try_read(cur, array_path, table, columns, loc)
        if error is not None and _is_parse_error(error):
            fixer = copy_range_fixed(loc.path, loc.start, loc.end, array_path)
            if fixer.count:
                loc.fixed_escapes = fixer.count
                error = _try_read(cur, array_path, table, columns, loc)
        if error is not None:
            raise _explain(loc, error)
        loc.table = table
    finally:
        cur.close()
        array_path.unlink(missing_ok=True)
    return loc


def _read_in_pieces(cur, loc: ArrayLocation, stem: Path, table: str, columns: dict) -> bool:
    """Read a big array as one file per DuckDB thread, so that its JSON is parsed in parallel
    (DuckDB parses ONE array file on one thread; several files are read side by side, rows in
    file order, so ``rowid`` stays the index in the array). False, with nothing left behind,
    when the array is too small to split, has no separator to cut at, or a piece does not parse
    (the caller then reads it as one file, with its repairs and exact error messages)."""
    threads = int(cur.execute("select current_setting('threads')").fetchone()[0])
    cuts = split_points(loc.path, loc.start, loc.end, min(threads, (loc.end - loc.start) // MIN_PIECE))
    if not cuts:
        return False
    pieces = copy_pieces(loc.path, loc.start, loc.end, cuts, stem)
    try:
        if _try_read(cur, pieces, table, columns, loc) is not None:
            return False
        loc.pieces = len(pieces)
        return True
    finally:
        for piece in pieces:
            piece.unlink(missing_ok=True)


def _try_read(cur, array_path: Path | list[Path], table: str, columns: dict,
              loc: ArrayLocation) -> Exception | None:
    try:
        loc.fallback, loc.rows = read_array_robust(cur, array_path, table, columns)
        return None
    except duckdb.Error as exc:
        return exc


def _explain(loc: ArrayLocation, error: Exception) -> ExportParseError:
    problem = diagnose_array(loc.path, loc.start, loc.key, end=loc.end)
    detail = str(error).split("\n")[0]
    if problem is not None:
        return ExportParseError(loc.display, problem.place, problem.expected, problem.detail)
    return ExportParseError(loc.display, f"{loc.key} array (bytes {loc.start}-{loc.end})",
                            f"a JSON array of {loc.key} objects", f"DuckDB: {detail}")


# --------------------------------------------------------------------------------------------
# diagnosis (failure path only)
# --------------------------------------------------------------------------------------------

@dataclass
class Problem:
    place: str
    expected: str
    detail: str
    index: int | None = None
    offset: int | None = None


def diagnose_array(path: str | Path, start: int, key: str = "messages", *, end: int | None = None,
                   element_kind: str | None = None) -> Problem | None:
    """Walk the array starting at byte ``start`` element by element and report the first
    element that is not valid JSON (or not an object), or the point where the file ends.

    Applies the ``\\xNN`` repair while reading, so it reports only problems the repair does
    not fix. Returns None when the array is well formed. Slow-ish (pure Python driver around
    the C decoder); used only to explain a failure.
    """
    element_kind = element_kind or f"a {key[:-1] if key.endswith('s') else key} object"
    decoder = json.JSONDecoder()
    fixer = EscapeFixer()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    path = Path(path)
    stop = end if end is not None else path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(start)
        remaining = stop - start
        text = ""
        base = 0            # output-byte offset (after repair) of text[0]
        eof = False

        def more() -> bool:
            nonlocal text, remaining, eof
            if eof:
                return False
            chunk = fh.read(min(CHUNK, remaining)) if remaining > 0 else b""
            remaining -= len(chunk)
            if not chunk:
                eof = True
                text += utf8.decode(fixer.feed(b"", final=True), final=True)
                return True
            text += utf8.decode(fixer.feed(chunk))
            return True

        def offset(pos: int) -> int:
            out = base + len(text[:pos].encode("utf-8", errors="surrogatepass"))
            return start + fixer.to_input_offset(out)

        def skip_ws(pos: int) -> int:
            while True:
                while pos < len(text) and text[pos] in " \t\r\n":
                    pos += 1
                if pos < len(text) or not more():
                    return pos

        try:
            more()
            pos = skip_ws(0)
            if pos >= len(text) or text[pos] != "[":
                return Problem(f"root key {key!r} (byte {offset(pos)})", f"an array '[' as the value of {key!r}",
                               "found something else")
            pos += 1
            index = 0
            pos = skip_ws(pos)
            if pos < len(text) and text[pos] == "]":
                return None
            while True:
                pos = skip_ws(pos)
                if pos >= len(text):
                    return Problem(f"{key}[{index}], at end of file (byte {offset(pos)})", element_kind,
                                   f"the file ends after {index} complete element(s): it looks truncated",
                                   index, offset(pos))
                while True:
                    try:
                        value, new_pos = decoder.raw_decode(text, pos)
                        break
                    except json.JSONDecodeError as exc:
                        if not eof and len(text) - pos < ELEMENT_LIMIT:
                            more()
                            continue
                        if eof and exc.pos >= len(text) - 1 or (eof and "Unterminated" in exc.msg):
                            return Problem(f"{key}[{index}] (byte {offset(pos)}), at end of file",
                                           element_kind, "the file ends inside this element: it looks truncated",
                                           index, offset(pos))
                        return Problem(f"{key}[{index}] (byte {offset(pos)})", element_kind,
                                       f"invalid JSON at byte {offset(exc.pos)}: {exc.msg}",
                                       index, offset(pos))
                if not isinstance(value, dict):
                    return Problem(f"{key}[{index}] (byte {offset(pos)})", element_kind,
                                   f"found a {type(value).__name__}", index, offset(pos))
                pos = skip_ws(new_pos)
                if pos >= len(text):
                    return Problem(f"after {key}[{index}], at end of file (byte {offset(pos)})",
                                   f"',' or the ']' that ends {key!r}",
                                   "the file ends here: it looks truncated", index + 1, offset(pos))
                if text[pos] == "]":
                    return None
                if text[pos] != ",":
                    return Problem(f"after {key}[{index}] (byte {offset(pos)})", f"',' or the ']' that ends {key!r}",
                                   f"found {text[pos:pos + 20]!r}", index + 1, offset(pos))
                pos += 1
                index += 1
                if pos > (4 << 20):
                    base += len(text[:pos].encode("utf-8", errors="surrogatepass"))
                    text = text[pos:]
                    pos = 0
        except UnicodeDecodeError as exc:
            return Problem(f"{key} array, near byte {start + fixer.to_input_offset(base) + exc.start}",
                           "UTF-8 text", f"invalid UTF-8 ({exc.reason})")


# --------------------------------------------------------------------------------------------
# nested lists (Telegram "export all data"): slower, ijson-based
# --------------------------------------------------------------------------------------------

class RepairedReader:
    """A binary file wrapper that skips a UTF-8 BOM and repairs ``\\xNN`` escapes on the fly."""

    def __init__(self, path: str | Path):
        self.fh = open(path, "rb")
        self.fixer = EscapeFixer()
        self.pending = b""
        self.done = False
        head = self.fh.read(3)
        self.pending = b"" if head == BOM else self.fixer.feed(head)

    def read(self, n: int = -1) -> bytes:
        size = CHUNK if n is None or n < 0 else n
        while len(self.pending) < size and not self.done:
            chunk = self.fh.read(max(size, 1 << 16))
            if not chunk:
                self.pending += self.fixer.feed(b"", final=True)
                self.done = True
            else:
                self.pending += self.fixer.feed(chunk)
        out, self.pending = self.pending[:size], self.pending[size:]
        return out

    def close(self) -> None:
        self.fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def iter_list_items(path: str | Path, prefix: str, *, display: str | None = None) -> Iterator[tuple[int, dict]]:
    """Yield ``(index, item)`` for each element of the array at ijson ``prefix``
    (e.g. ``"chats.list.item"``), one at a time; raises :class:`ExportParseError` on bad JSON.
    """
    import ijson  # only this slower path needs it

    display = display or str(path)
    index = -1
    base = prefix[: -len(".item")] if prefix.endswith(".item") else prefix
    with RepairedReader(path) as reader:
        try:
            for index, item in enumerate(ijson.items(reader, prefix, use_float=True)):
                yield index, item
        except ijson.JSONError as exc:
            message = str(exc).splitlines()[0][:200]
            place = f"{base}[{index + 1}] (read up to byte {reader.fh.tell()})"
            if "premature EOF" in message or "Incomplete JSON" in message:
                raise ExportParseError(display, place, "the rest of the export",
                                       f"the file ends early: it looks truncated ({message})") from exc
            raise ExportParseError(display, place, "valid JSON", message) from exc
