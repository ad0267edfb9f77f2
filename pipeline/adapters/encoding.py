"""Text encodings of CSV / TXT exports, and small JSON documents, for DuckDB readers.

DuckDB reads UTF-8 only, but Chinese chat exports arrive in whatever the exporting tool or a
spreadsheet re-save wrote (``formats.md`` §6, §7): UTF-8 with or without a BOM, GB18030/GBK,
UTF-16 LE/BE with or without a BOM. :func:`decode_to_utf8` finds the encoding and writes a
UTF-8 copy (no BOM) into the unit's scratch folder, streaming in chunks (constant memory,
~0.5 s per 100 MB), so the adapters then read the copy with ``read_csv``.

Detection (deterministic, no statistical guessing):

1. a byte-order mark decides: ``EF BB BF`` UTF-8, ``FF FE 00 00`` / ``00 00 FE FF`` UTF-32,
   ``FF FE`` UTF-16 LE, ``FE FF`` UTF-16 BE;
2. without a BOM, UTF-16 is recognised by its zero bytes: chat exports are full of ASCII
   digits, spaces and line breaks, which UTF-16 writes as ``xx 00`` (LE) or ``00 xx`` (BE). When
   at least 10 % of the first 64 KB are zero bytes and 80 % of those sit on the odd (LE) or
   even (BE) positions, the file is UTF-16;
3. otherwise the whole file must decode as strict UTF-8; if it does not, and the part before
   the first invalid byte is pure ASCII, as strict GB18030 (a superset of GBK and GB2312).
   A file that has valid multi-byte UTF-8 *and* invalid bytes is a damaged UTF-8 file, not
   GBK (decoding it as GBK would turn every Chinese character before the damage into
   mojibake): it is decoded as UTF-8 with the invalid bytes replaced by U+FFFD and
   :attr:`DecodedText.replaced` says so;
4. a file that fits none of these raises :class:`ExportParseError` naming the byte offset.

Options of the copy: ``normalize_newlines`` turns ``\\r\\n``, lone ``\\r`` and lone ``\\n`` into
``\\n`` (QQ writes stray CRs and LFs inside messages, formats.md §6), so one physical line of
the copy is one line as an editor counts them; ``strip_nul`` drops NUL characters (never
text; this lets the QQ reader use NUL as a delimiter that cannot occur).

:func:`load_json_document` reads a small single JSON document (an API response: a Discourse
page, a WeCom response) into a scratch table with one JSON value, on a separate cursor, so a
truncated or malformed file becomes an :class:`ExportParseError` naming line and column
instead of aborting the loader's transaction.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.adapters import jsonstream
from pipeline.adapters.base import ExportParseError

CHUNK = 8 << 20
SNIFF = 64 << 10

BOMS = (  # longest first: FF FE 00 00 is UTF-32 LE, not UTF-16 LE + NUL
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

EXPECTED = "text in UTF-8, GB18030/GBK or UTF-16 (with or without a byte-order mark)"


@dataclass
class DecodedText:
    path: Path            # a UTF-8 file without BOM (a copy in the scratch folder)
    encoding: str         # python codec name of the source: utf-8, gb18030, utf-16-le, ...
    bom: bool             # the source started with a byte-order mark
    replaced: bool = False  # invalid bytes of a damaged UTF-8 file were replaced by U+FFFD


def _bom(head: bytes) -> tuple[str, int] | None:
    for mark, enc in BOMS:
        if head.startswith(mark):
            return enc, len(mark)
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    n = len(head) - len(head) % 2
    if n < 4:
        return None
    sample = head[:n]
    zeros = sample.count(0)
    if zeros < n * 0.10:
        return None
    odd = sample[1::2].count(0)
    even = sample[0::2].count(0)
    for enc, share in (("utf-16-le", odd), ("utf-16-be", even)):
        if share >= 0.8 * zeros:
            try:
                codecs.getincrementaldecoder(enc)("strict").decode(sample)
            except UnicodeDecodeError:
                return None
            return enc
    return None


def _first_invalid_utf8(path: Path, skip: int) -> tuple[int | None, bool]:
    """(offset of the first invalid UTF-8 byte or None, whether non-ASCII UTF-8 came before it)."""
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    offset = skip
    seen_multibyte = False
    with open(path, "rb") as fh:
        fh.seek(skip)
        while True:
            chunk = fh.read(CHUNK)
            final = not chunk
            try:
                dec.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                if not seen_multibyte:
                    seen_multibyte = not chunk[:exc.start].isascii()
                return bad, seen_multibyte
            if not seen_multibyte and not chunk.isascii():
                seen_multibyte = True
            offset += len(chunk)
            if final:
                return None, seen_multibyte


def detect_encoding(path: str | Path, display: str | None = None) -> tuple[str, int, bool]:
    """(python codec, BOM length to skip, replace invalid bytes) for a text file.

    Reads the whole file once when there is no BOM (to validate UTF-8). Raises
    :class:`ExportParseError` for an empty file.
    """
    path = Path(path)
    display = display or str(path)
    with open(path, "rb") as fh:
        head = fh.read(SNIFF)
    if not head:
        raise ExportParseError(display, "byte 0", EXPECTED, "the file is empty")
    found = _bom(head)
    if found:
        return found[0], found[1], False
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16, 0, False
    bad, multibyte = _first_invalid_utf8(path, 0)
    if bad is None:
        return "utf-8", 0, False
    if multibyte:
        return "utf-8", 0, True
    return "gb18030", 0, False


def decode_to_utf8(path: str | Path, tmp_dir: str | Path, *, display: str | None = None,
                   normalize_newlines: bool = False, strip_nul: bool = False,
                   name: str = "decoded.txt") -> DecodedText:
    """Write ``path`` as UTF-8 (no BOM) into ``tmp_dir``; see the module docstring."""
    path = Path(path)
    display = display or str(path)
    encoding, skip, replace = detect_encoding(path, display)
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    out_path = tmp_dir / name
    dec = codecs.getincrementaldecoder(encoding)("replace" if replace else "strict")
    offset = skip
    carry = ""
    with open(path, "rb") as fin, open(out_path, "w", encoding="utf-8", newline="") as fout:
        fin.seek(skip)
        while True:
            chunk = fin.read(CHUNK)
            final = not chunk
            try:
                text = dec.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                raise ExportParseError(
                    display, f"byte {offset + exc.start}", EXPECTED,
                    f"read as {encoding}: {exc.reason} (byte {exc.object[exc.start:exc.start + 4]!r})") from exc
            offset += len(chunk)
            if normalize_newlines:
                text = carry + text
                carry = ""
                if not final and text.endswith("\r"):
                    carry, text = "\r", text[:-1]
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            if strip_nul and "\x00" in text:
                text = text.replace("\x00", "")
            if text.startswith("\ufeff") and fout.tell() == 0:
                text = text[1:]     # a BOM the detection did not strip (e.g. UTF-8 BOM after UTF-16 decode)
            fout.write(text)
            if final:
                break
    return DecodedText(path=out_path, encoding=encoding, bom=skip > 0, replaced=replace)


# --------------------------------------------------------------------------------------------
# small JSON documents
# --------------------------------------------------------------------------------------------

def _json_problem(path: Path, display: str) -> ExportParseError:
    """Name where a JSON document breaks (Python's decoder, failure path only)."""
    text = path.read_text(encoding="utf-8")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        detail = exc.msg
        if exc.pos >= len(text.rstrip()) - 1:
            detail += "; the file ends early: it looks truncated"
        return ExportParseError(display, f"line {exc.lineno} column {exc.colno} (character {exc.pos})",
                                "a complete JSON document", detail)
    return ExportParseError(display, "file", "a JSON document DuckDB can read", "unknown reason")


def load_json_document(conn: duckdb.DuckDBPyConnection, path: str | Path, tmp_dir: str | Path,
                       scratch: str, *, display: str | None = None) -> str:
    """Load one JSON document into scratch table ``scratch`` (one row, column ``doc`` JSON).

    Returns the qualified table name to query from ``conn`` (drop it with
    ``jsonstream.drop_scratch(conn, scratch)``). The file may carry a BOM or be UTF-16.
    Raises :class:`ExportParseError` naming line and column when the JSON is malformed.
    """
    path = Path(path)
    display = display or str(path)
    decoded = decode_to_utf8(path, tmp_dir, display=display, name=f"{scratch}.json")
    table = jsonstream.scratch_table(scratch)
    cur = jsonstream.scratch_cursor(conn)
    try:
        cur.execute(f"create or replace table {table} as "
                    f"select json(content) as doc from read_text({jsonstream.sql_literal(str(decoded.path))})")
    except duckdb.Error as exc:
        problem = _json_problem(decoded.path, display)
        if problem.detail == "unknown reason":
            problem = ExportParseError(display, "file", "a JSON document", str(exc).split("\n")[0])
        raise problem from exc
    finally:
        cur.close()
        decoded.path.unlink(missing_ok=True)
    return table
