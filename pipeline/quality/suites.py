"""Great Expectations suites as code: one function per validated table.

Severity ``critical`` makes the (blocking) asset check fail with ERROR and stop everything
downstream in the run; ``warning`` records a WARN and lets the run go on.
"""

from __future__ import annotations

from pipeline.ingest.inputs_schema import BY_NAME as _INPUTS
from pipeline.quality.gx_runner import import_gx
from pipeline.quality.validated_tables import RAW_TABLES, STAGING_TABLES, suite_name

gx, gxe = import_gx()       # GX without the modules our suites never use (deferred_imports.py)

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


# --- business inputs (staging.<input>): derived from the input contract -------------------------
# The rows that reach staging passed the row rules (pipeline/ingest/inputs_schema.py), so these
# suites guard the modelling: required columns filled, enums in their sets, bounds, one row per key.


def _input_suite(name: str, extra: list | None = None) -> gx.ExpectationSuite:
    spec = _INPUTS[name]
    expectations = []
    for col in spec.columns:
        c = col.canonical
        if col.required:
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=c, severity="critical"))
        if col.kind == "enum":
            expectations.append(gxe.ExpectColumnValuesToBeInSet(column=c, value_set=list(col.values),
                                                                 severity="critical"))
        if col.min is not None or col.max is not None:
            expectations.append(gxe.ExpectColumnValuesToBeBetween(column=c, min_value=col.min, max_value=col.max,
                                                                  severity="critical"))
        if col.kind == "period":
            expectations.append(gxe.ExpectColumnValuesToBeInSet(column=f"{c}_grain", value_set=["weekly", "monthly"],
                                                                 severity="critical"))
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=f"{c}_start", severity="critical"))
    if len(spec.key) == 1:
        expectations.append(gxe.ExpectColumnValuesToBeUnique(column=spec.key[0], severity="critical"))
    elif spec.key:
        expectations.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(spec.key), severity="critical"))
    return _suite(f"staging_{name}", expectations + (extra or []))


def staging_goals_suite() -> gx.ExpectationSuite:
    return _input_suite("goals")


def staging_campaigns_suite() -> gx.ExpectationSuite:
    return _input_suite("campaigns", [
        # walk-ins can make attendees exceed registrations: worth a look, not wrong
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="registrations", column_B="attendees", or_equal=True,
                                                    ignore_row_if="either_value_is_missing", severity="warning"),
    ])


def staging_campaign_participants_suite() -> gx.ExpectationSuite:
    return _input_suite("campaign_participants", [
        gxe.ExpectColumnValuesToNotBeNull(column="person_key", severity="critical")])


def staging_content_suite() -> gx.ExpectationSuite:
    return _input_suite("content", [gxe.ExpectColumnValuesToNotBeNull(column="local_date", severity="critical")])


def staging_feedback_suite() -> gx.ExpectationSuite:
    return _input_suite("feedback", [gxe.ExpectColumnValuesToNotBeNull(column="local_date", severity="critical")])


def staging_costs_suite() -> gx.ExpectationSuite:
    return _input_suite("costs")


def staging_conversions_suite() -> gx.ExpectationSuite:
    return _input_suite("conversions", [
        gxe.ExpectColumnValuesToNotBeNull(column="person_key", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="local_date", severity="critical")])


def staging_competitors_suite() -> gx.ExpectationSuite:
    return _input_suite("competitors")


def staging_plan_suite() -> gx.ExpectationSuite:
    return _input_suite("plan")


def staging_incidents_suite() -> gx.ExpectationSuite:
    return _input_suite("incidents", [gxe.ExpectColumnValuesToNotBeNull(column="local_date", severity="critical")])


def staging_strategies_suite() -> gx.ExpectationSuite:
    return _input_suite("strategies")


def staging_member_profiles_suite() -> gx.ExpectationSuite:
    return _input_suite("member_profiles")


def staging_identity_map_suite() -> gx.ExpectationSuite:
    return _input_suite("identity_map", [gxe.ExpectColumnValuesToNotBeNull(column="person_key", severity="critical")])


def staging_identity_merges_suite() -> gx.ExpectationSuite:
    return _suite("staging_identity_merges", [
        gxe.ExpectColumnValuesToNotBeNull(column="person_key", severity="critical"),
        gxe.ExpectColumnValuesToBeUnique(column="member_key", severity="critical"),
        gxe.ExpectColumnValuesToBeInSet(column="basis", value_set=["identity_map", "email", "phone"],
                                        severity="critical"),
    ])


def staging_input_status_suite() -> gx.ExpectationSuite:
    return _suite("staging_input_status", [
        gxe.ExpectTableRowCountToEqual(value=len(_INPUTS), severity="critical"),
        gxe.ExpectColumnValuesToBeUnique(column="input", severity="critical"),
        gxe.ExpectColumnValuesToNotBeNull(column="present", severity="critical"),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["loaded", "failed", "absent"], severity="critical"),
    ])


# table validated (validated_tables.py) -> its suite's function. Raw suites run per source (on
# that source's rows).
RAW_SUITES = {table: globals()[f"{suite_name(table)}_suite"] for table in RAW_TABLES}
STAGING_SUITES = {table: globals()[f"{suite_name(table)}_suite"] for table in STAGING_TABLES}
