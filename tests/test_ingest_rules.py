"""The row rules of pipeline/ingest/rules.py, evaluated by DuckDB, against an independent path."""

from __future__ import annotations

import re
import unicodedata

import duckdb

from pipeline.ingest.rules import RULES


def test_scientific_notation_rule_matches_exactly_the_ids_a_spreadsheet_rewrote():
    """The rule's cheap pre-tests (an e, a first character that can start a number) must not
    change what it matches: the ids it flags are those whose space-trimmed text is a number in
    scientific notation, as Python's regex says."""
    (cond,) = [cond for name, cond, _ in RULES["users"] if name == "scientific_notation_id"]
    values = ["4.12E+17", " 4.12E+17 ", "4.12e17", ".5e3", "1e5", "  9E+2", "1.2E+", "E+17", "e5",
              "user123", "user1e5", "U0ABC1E2", "C0ABC:1690000000.123", "1234567890123456789",
              "12", "", " ", "\t4.12E+17", "4.12E+17x", "x4.12E+17", "1.2.3e4", "-4.12E+17", None]
    conn = duckdb.connect()
    flagged = conn.execute(f"select user_id, ({cond}) from unnest($v::varchar[]) t(user_id)",
                           {"v": values}).fetchall()
    expected = {v: (None if v is None else bool(re.fullmatch(r"[0-9.]+[eE][+]?[0-9]+", v.strip(" "))))
                for v in values}
    assert {v: (None if f is None else bool(f)) for v, f in flagged} == expected
    assert sum(1 for v in expected.values() if v) == 7            # the list has both kinds


def test_missing_id_rules_flag_exactly_the_blank_ids_trim_finds():
    """The missing-id and missing-author rules trim only ids that do not start with a printable
    ASCII character: they must still flag exactly the NULL ids and those DuckDB's trim() leaves
    empty (it removes the Unicode space separators, Zs: ideographic, no-break, ...), over every
    character of the Basic Multilingual Plane, alone and doubled, and a few mixed ids."""
    singles = [chr(i) for i in range(1, 0x10000) if not 0xD800 <= i <= 0xDFFF]
    values = singles + [c * 2 for c in singles] + [None, "", "   ", " a", "a ", "\u3000abc", "abc\u3000",
                                                   "\u00a0 ", " \u3000 ", "用户", "１２３", "user123", "\U0001F600"]
    blank = {v for v in values if v is None or all(unicodedata.category(ch) == "Zs" for ch in v)}
    assert len(blank) == 5 + 2 * 17        # None, '', '   ', '\u00a0 ', ' \u3000 '; the 17 Zs alone and doubled
    conn = duckdb.connect()
    conn.execute("create table ids (message_id varchar)")
    conn.execute("insert into ids select unnest($v::varchar[])", {"v": values})
    assert {v for (v,) in conn.execute("select message_id from ids where message_id is null "
                                       "or trim(message_id) = ''").fetchall()} == blank
    for entity, rule in (("messages", "missing_id"), ("reactions", "missing_id"), ("users", "missing_id"),
                         ("membership_events", "missing_id"), ("messages", "missing_author")):
        (cond,) = [c for name, c, _ in RULES[entity] if name == rule]
        column = re.search(r"(\w+) is null", cond).group(1)
        cond = cond.replace("kind <> 'system' and ", "").replace(column, "message_id")
        flagged = {v for (v,) in conn.execute(f"select message_id from ids where {cond}").fetchall()}
        assert flagged == blank, (entity, rule)
