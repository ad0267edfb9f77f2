"""Latest asset-check results from the Dagster instance, for the report's data-quality appendix."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg


def latest_check_results(instance: dg.DagsterInstance | None, check_keys: Iterable[dg.AssetCheckKey]) -> list[dict]:
    """One dict per check of ``check_keys`` that has completed at least once: name, asset,
    passed, severity, description of its latest evaluation.

    Read from the instance's asset-check index (one small query per check), never by scanning
    the event log: on SQLite storage a query for check events by type alone opens every run's
    own database file, which grew with the project's history (11 s of a demo re-run after ~100
    runs). Best effort: a storage that cannot answer gives [].
    """
    if instance is None:
        return []
    from dagster._core.storage.asset_check_execution_record import COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES

    out = []
    for key in check_keys:
        try:
            records = instance.event_log_storage.get_asset_check_execution_history(
                key, limit=1, status=COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES)
        except Exception:  # noqa: BLE001 - the appendix must render even if the storage cannot answer
            return []
        if not records or records[0].event is None or records[0].event.dagster_event is None:
            continue
        evaluation = records[0].event.dagster_event.event_specific_data
        out.append({
            "asset": key.asset_key.to_user_string(),
            "name": key.name,
            "passed": bool(evaluation.passed),
            "severity": evaluation.severity.value if evaluation.severity else "ERROR",
            "description": evaluation.description or "",
        })
    return sorted(out, key=lambda r: (r["asset"], r["name"]))
