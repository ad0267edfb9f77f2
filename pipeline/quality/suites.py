"""Great Expectations suites as code: one function per validated table.

Severity ``critical`` makes the (blocking) asset check fail with ERROR and stop everything
downstream in the run; ``warning`` records a WARN and lets the run go on.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

KINDS = ["message", "reply", "system"]


def _suite(name: str, expectations: list) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=name, expectations=expectations)


def raw_messages_suite() -> gx.ExpectationSuite:
    return _suite("raw_messages", [
        gxe.ExpectColumnValuesToNotBeNull(column="message_id", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="sent_at", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="local_date", severity="critical"),
        gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=KINDS, severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="file_id", severity="critical"),
    ])


def staging_members_suite() -> gx.ExpectationSuite:
    return _suite("staging_members", [
        gxe.ExpectColumnValuesToNotBeNull(column="member_key", severity="critical"),
        gxe.ExpectColumnValuesToBeUnique(column="member_key", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="person_key", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="is_bot", severity="critical"),
    ])


def staging_messages_suite() -> gx.ExpectationSuite:
    return _suite("staging_messages", [
        gxe.ExpectColumnValuesToNotBeNull(column="message_key", severity="critical"),
        gxe.ExpectColumnValuesToBeUnique(column="message_key", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="sent_at", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="local_date", severity="critical"),
        gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=KINDS, severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="person_key", severity="critical"),
        gxe.ExpectColumnValuesToBeBetween(column="text_length", min_value=0, severity="warning"),
    ])


def staging_reactions_suite() -> gx.ExpectationSuite:
    return _suite("staging_reactions", [
        gxe.ExpectColumnValuesToNotBeNull(column="message_key", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="local_date", severity="critical"),
        gxe.ExpectColumnValuesToBeBetween(column="reaction_count", min_value=0, severity="critical"),
    ])


def staging_membership_events_suite() -> gx.ExpectationSuite:
    return _suite("staging_membership_events", [
        gxe.ExpectColumnValuesToNotBeNull(column="person_key", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="occurred_at", severity="critical"),
        gxe.ExpectColumnValuesToBeInSet(column="event", value_set=["join", "leave"], severity="critical"),
    ])


def raw_membership_events_suite() -> gx.ExpectationSuite:
    return _suite("raw_membership_events", [
        gxe.ExpectColumnValuesToNotBeNull(column="user_id", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="occurred_at", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="local_date", severity="critical"),
        gxe.ExpectColumnValuesToBeInSet(column="event", value_set=["join", "leave"], severity="critical"),
    ])


# table validated -> suite factory. Raw suites run per source (on that source's rows).
RAW_SUITES = {
    "raw.messages": raw_messages_suite,
    "raw.membership_events": raw_membership_events_suite,
}
STAGING_SUITES = {
    "staging.members": staging_members_suite,
    "staging.messages": staging_messages_suite,
    "staging.reactions": staging_reactions_suite,
    "staging.membership_events": staging_membership_events_suite,
}
