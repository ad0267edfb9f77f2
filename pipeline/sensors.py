"""Sensor on the landing folders: a new or changed export triggers its source's raw asset.

The cursor is a fingerprint (path, size, mtime) per source; only sources whose folder
changed get a run. Downstream assets follow through declarative automation (eager).
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from pipeline.config import CommunityConfig


def folder_fingerprint(path) -> str:
    h = hashlib.sha256()
    if path.exists():
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            st = f.stat()
            h.update(f"{f.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def build_landing_sensor(config: CommunityConfig) -> dg.SensorDefinition:
    @dg.sensor(name="landing_folder_sensor", minimum_interval_seconds=300,
               asset_selection=dg.AssetSelection.keys(*(dg.AssetKey(["raw", s.name]) for s in config.sources)),
               default_status=dg.DefaultSensorStatus.STOPPED,
               description="Loads new or changed exports from the landing folders (one run per changed source).")
    def landing_folder_sensor(context: dg.SensorEvaluationContext):
        previous = json.loads(context.cursor) if context.cursor else {}
        current = {s.name: folder_fingerprint(s.path) for s in config.sources}
        changed = [name for name, fp in current.items() if previous.get(name) != fp]
        context.update_cursor(json.dumps(current))
        if not changed:
            return dg.SkipReason("no new or changed exports")
        return dg.RunRequest(run_key=hashlib.sha256(json.dumps(current).encode()).hexdigest()[:16],
                             asset_selection=[dg.AssetKey(["raw", name]) for name in changed])

    return landing_folder_sensor
