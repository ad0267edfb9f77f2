"""Which tables the Great Expectations suites validate, and each suite's name, without importing
Great Expectations: the project's definitions need only these (assets/checks.py), and GX's import
is ~2.4 s (see gx_runner.py). The suites themselves are built in suites.py, one function
``<suite name>_suite`` per table."""

# raw tables are shared by every source: their suites run per source, on that source's rows
RAW_TABLES = ("raw.messages", "raw.membership_events")

STAGING_TABLES = (
    "staging.members", "staging.messages", "staging.reactions", "staging.membership_events",
    # the business inputs (the team's spreadsheets) and what is derived from them
    "staging.goals", "staging.campaigns", "staging.campaign_participants", "staging.content", "staging.feedback",
    "staging.costs", "staging.conversions", "staging.competitors", "staging.plan", "staging.incidents",
    "staging.strategies", "staging.member_profiles", "staging.identity_map", "staging.identity_merges",
    "staging.input_status",
)


def suite_name(table: str) -> str:
    """The name of ``schema.table``'s suite: ``raw.messages`` -> ``raw_messages``."""
    return table.replace(".", "_")
