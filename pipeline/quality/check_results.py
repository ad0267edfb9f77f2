"""Latest asset-check results from the Dagster instance, for the report's data-quality appendix."""

from __future__ import annotations

import dagster as dg


def latest_check_results(instance: dg.DagsterInstance | None) -> list[dict]:
    """One dict per asset check that has run: name, asset, passed, severity, description.

    Reads the instance's event log (best effort: an instance without records gives []).
    """
    if instance is None:
        return []
    out = []
    try:
        records = instance.event_log_storage.get_event_records(
            dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION), limit=5000,
            ascending=False)
    except Exception:  # noqa: BLE001 - the appendix must render even if the storage cannot answer
        return []
    seen = set()
    for rec in records:
        evaluation = rec.event_log_entry.dagster_event.event_specific_data
        key = (evaluation.asset_key.to_user_string(), evaluation.check_name)
        if key in seen:
            continue
        seen.add(key)
        out.append({
            "asset": key[0],
            "name": key[1],
            "passed": bool(evaluation.passed),
            "severity": evaluation.severity.value if evaluation.severity else "ERROR",
            "description": evaluation.description or "",
        })
    return sorted(out, key=lambda r: (r["asset"], r["name"]))
