"""Row rules applied to every candidate row before it enters ``raw.*``.

Each rule is (name, SQL condition that marks a row as breaking it, SQL expression for the
human reason). The first rule a row breaks is the one recorded in ``raw.quarantine``.
Conditions may use ``$now`` (the ingest instant; a time more than a day after it is "in the
future").
"""

from __future__ import annotations

_WHERE = "file_path || ' at ' || coalesce(location, '?') || ': '"

# An id a spreadsheet rewrote as a number in scientific notation (4.12E+17): its digits are lost.
_SCI = "[0-9.]+[eE][+]?[0-9]+"


def _sci(col: str) -> str:
    # cheap tests first, so that the regex runs on few rows: such an id contains an e, which
    # most ids (digits, Slack's C0ABC:169...) do not (the rules over 1.28M Discord messages:
    # 0.43 -> 0.18 s), and starts with a digit or a dot (or with a space, which trim removes),
    # which Telegram's user123 does not
    return (f"({col} ilike '%e%' and ({col} glob '[0-9.]*' or {col} glob '[ ]*') "
            f"and regexp_full_match(trim({col}), '{_SCI}'))")


def _missing(col: str) -> str:
    """SQL: ``col`` is NULL or blank (``trim(col) = ''``: DuckDB's trim removes Unicode spaces
    too). trim() makes a new string of every id (~0.06 s of the rules over 1.24M Telegram
    messages), so it runs only on values whose first byte is not a printable ASCII character
    other than the space ('!'..'~', the two comparisons): no such value can be blank."""
    return f"({col} is null or {col} = '' or (({col} < '!' or {col} >= chr(127)) and trim({col}) = ''))"


def _sci_reason(col: str) -> str:
    return (f"{_WHERE} || 'id ' || trim({col}) || ' is a number in scientific notation: a spreadsheet "
            f"rewrote it and its digits are lost (expected the id as text: re-export the file, or format "
            f"the column as text before saving)'")


def _sci_rule(*cols: str) -> tuple[str, str, str]:
    cond = " or ".join(_sci(c) for c in cols)
    reason = "case " + " ".join(f"when {_sci(c)} then {_sci_reason(c)}" for c in cols) + " end"
    return ("scientific_notation_id", cond, reason)


RULES: dict[str, list[tuple[str, str, str]]] = {
    "messages": [
        ("missing_id", _missing("message_id"),
         f"{_WHERE} || 'expected a message id, found none'"),
        _sci_rule("message_id", "author_id"),
        ("unparseable_time", "sent_at is null",
         f"{_WHERE} || 'expected a timestamp, found ' || coalesce('''' || raw_time || '''', 'none')"),
        ("time_in_future", "sent_at > $now + interval 1 day",
         f"{_WHERE} || 'time ' || coalesce(raw_time, '') || ' is in the future (ingested at ' || cast($now as varchar) || ')'"),
        ("unknown_kind", "kind is null or kind not in ('message', 'reply', 'system')",
         f"{_WHERE} || 'expected kind message, reply or system, found ' || coalesce(kind, 'none')"),
        ("missing_author", "kind <> 'system' and " + _missing("author_id"),
         f"{_WHERE} || 'expected an author id on a non-system message, found none'"),
    ],
    "users": [
        ("missing_id", _missing("user_id"),
         f"{_WHERE} || 'expected a user id, found none'"),
        _sci_rule("user_id"),
    ],
    "reactions": [
        ("missing_id", _missing("message_id"),
         f"{_WHERE} || 'expected the id of the message reacted to, found none'"),
        _sci_rule("message_id", "reactor_id"),
        ("invalid_count", "reaction_count is null or reaction_count < 0",
         f"{_WHERE} || 'expected a reaction count >= 0, found ' || coalesce(cast(reaction_count as varchar), 'none')"),
        ("unparseable_time", "raw_time is not null and reacted_at is null",
         f"{_WHERE} || 'expected a timestamp, found ''' || raw_time || ''''"),
        ("time_in_future", "reacted_at > $now + interval 1 day",
         f"{_WHERE} || 'time ' || coalesce(raw_time, '') || ' is in the future'"),
    ],
    "membership_events": [
        ("missing_id", _missing("user_id"),
         f"{_WHERE} || 'expected the id of the member who joined or left, found none'"),
        _sci_rule("user_id"),
        ("unparseable_time", "occurred_at is null",
         f"{_WHERE} || 'expected a timestamp, found ' || coalesce('''' || raw_time || '''', 'none')"),
        ("time_in_future", "occurred_at > $now + interval 1 day",
         f"{_WHERE} || 'time ' || coalesce(raw_time, '') || ' is in the future'"),
        ("unknown_event", "event is null or event not in ('join', 'leave')",
         f"{_WHERE} || 'expected event join or leave, found ' || coalesce(event, 'none')"),
    ],
    # platform aggregates (WeCom statistics), see schema.py
    "daily_aggregates": [
        ("unparseable_time", "stat_date is null",
         f"{_WHERE} || 'expected the statistics day (stat_time, or day_begin_time of the request saved "
         f"beside the response), found ' || coalesce('''' || raw_time || '''', 'none')"),
        ("time_in_future", "stat_date > cast($now as date) + 1",
         f"{_WHERE} || 'statistics day ' || cast(stat_date as varchar) || ' is in the future'"),
        ("invalid_count", "least(new_chat_cnt, chat_total, chat_has_msg, new_member_cnt, member_total, "
                          "member_has_msg, msg_total) < 0",
         f"{_WHERE} || 'expected counts >= 0'"),
    ],
}

# Entities whose raw rows carry a local date computed from this instant column.
LOCAL_DATE_FROM = {"messages": "sent_at", "membership_events": "occurred_at"}


def rule_case_sql(entity: str) -> str:
    """``case when <cond> then '<rule>' ... end`` for one entity."""
    whens = " ".join(f"when {cond} then '{name}'" for name, cond, _ in RULES[entity])
    return f"case {whens} end"


def reason_case_sql(entity: str) -> str:
    whens = " ".join(f"when _rule = '{name}' then {reason}" for name, _, reason in RULES[entity])
    return f"case {whens} end"
