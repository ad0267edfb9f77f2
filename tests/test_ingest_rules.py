"""The row rules of pipeline/ingest/rules.py, evaluated by DuckDB, against an independent path."""

from __future__ import annotations

import re

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
