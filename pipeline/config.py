"""community.yaml: loading, defaults and path resolution.

Only the keys of spec §2 are required; every other setting has a default here, so a
minimal config works. Relative paths are relative to the folder holding the config.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

KNOWN_PLATFORMS = ("slack", "discord", "telegram", "canonical", "qq", "wechat", "wecom", "discourse")


RESERVED_SOURCE_NAMES = {"business_inputs"}


class ConfigError(ValueError):
    """A community.yaml that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SourceConfig:
    name: str
    platform: str
    path: Path
    options: dict = field(default_factory=dict)   # any extra keys, e.g. bots: [U123]


@dataclass(frozen=True)
class CommunityConfig:
    config_path: Path
    name: str
    founded: date | None
    audience: str
    timezone: str
    language: str
    warehouse: Path
    reports_dir: Path
    sources: tuple[SourceConfig, ...]
    business_inputs: Path | None
    exporter_timezone: str          # zone of export times written without an offset
    history_start: date             # first daily partition
    duckdb_memory_limit: str
    duckdb_threads: int
    quarantine_threshold: float     # share of quarantined rows per source above which a check fails
    # settings.interest_tags: keyword -> tag dictionary of the profile section, a YAML file (resolved path)
    # or the mapping itself; None = pipeline/interest_tags.yaml
    interest_tags: Path | dict | None = None
    # settings.duckdb_temp_directory: where DuckDB spills (default <warehouse folder>/.duckdb_tmp)
    duckdb_temp_directory: Path | None = None
    # settings.report_workers: processes rendering the reports of a multi-period run (backfills);
    # default: the machine's CPU count, at most 4. 1 = render one after the other in the run's process
    report_workers: int = 1

    @property
    def project_dir(self) -> Path:
        return self.config_path.parent

    @property
    def dagster_home(self) -> Path:
        return self.project_dir / ".dagster"


def _resolve(base: Path, value: str | os.PathLike) -> Path:
    p = Path(os.path.expanduser(str(value)))
    return p if p.is_absolute() else (base / p).resolve()


def _as_date(value, where: str, config_path: Path) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{config_path}: {where}: expected a date YYYY-MM-DD, got {value!r}") from exc


def _check_zone(zone: str, where: str, config_path: Path) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{config_path}: {where}: expected an IANA time zone such as "
                          f"Asia/Shanghai, got {zone!r}") from exc
    return zone


def load_config(path: str | os.PathLike) -> CommunityConfig:
    """Read and validate a community.yaml; raise ConfigError naming the key on bad input."""
    config_path = Path(path).resolve()
    if not config_path.is_file():
        raise ConfigError(f"{config_path}: config file not found")
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: expected a mapping at the top level")
    base = config_path.parent
    community = raw.get("community") or {}
    if not isinstance(community, dict):
        raise ConfigError(f"{config_path}: community: expected a mapping")

    timezone = _check_zone(str(community.get("timezone") or "Asia/Shanghai"), "community.timezone", config_path)
    language = str(community.get("language") or "zh")
    if language not in ("zh", "en"):
        raise ConfigError(f"{config_path}: community.language: expected zh or en, got {language!r}")
    founded = _as_date(community.get("founded"), "community.founded", config_path)

    sources = []
    seen = set()
    for i, s in enumerate(raw.get("sources") or []):
        where = f"sources[{i}]"
        if not isinstance(s, dict):
            raise ConfigError(f"{config_path}: {where}: expected a mapping with name, platform, path")
        missing = [k for k in ("name", "platform", "path") if not s.get(k)]
        if missing:
            raise ConfigError(f"{config_path}: {where}: missing key(s) {', '.join(missing)}")
        name = str(s["name"])
        # the name becomes a Dagster asset key (raw/<name>): ASCII only
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise ConfigError(f"{config_path}: {where}.name: expected ASCII letters, digits and '_' "
                              f"starting with a letter, got {name!r}")
        if name in RESERVED_SOURCE_NAMES:
            raise ConfigError(f"{config_path}: {where}.name: {name!r} is reserved (the asset raw/{name} "
                              f"loads the business inputs); choose another name")
        if name in seen:
            raise ConfigError(f"{config_path}: {where}.name: duplicate source name {name!r}")
        seen.add(name)
        platform = str(s["platform"]).lower()
        if platform not in KNOWN_PLATFORMS:
            raise ConfigError(f"{config_path}: {where}.platform: expected one of "
                              f"{', '.join(KNOWN_PLATFORMS)}, got {platform!r}")
        options = {k: v for k, v in s.items() if k not in ("name", "platform", "path")}
        sources.append(SourceConfig(name=name, platform=platform, path=_resolve(base, s["path"]),
                                    options=options))

    settings = raw.get("settings") or {}
    history_start = _as_date(settings.get("history_start"), "settings.history_start", config_path)
    if history_start is None:
        history_start = founded or date(2020, 1, 1)
    exporter_tz = _check_zone(str(settings.get("exporter_timezone") or timezone),
                              "settings.exporter_timezone", config_path)
    business = raw.get("business_inputs")
    warehouse = _resolve(base, raw.get("warehouse") or "data/warehouse.duckdb")
    temp_dir = _resolve(base, settings.get("duckdb_temp_directory") or warehouse.parent / ".duckdb_tmp")
    from pipeline.warehouse import register_temp_directory   # every connection to the file uses it
    register_temp_directory(warehouse, temp_dir)
    return CommunityConfig(
        config_path=config_path,
        name=str(community.get("name") or "Community"),
        founded=founded,
        audience=str(community.get("audience") or ""),
        timezone=timezone,
        language=language,
        warehouse=warehouse,
        reports_dir=_resolve(base, raw.get("reports_dir") or "reports"),
        sources=tuple(sources),
        business_inputs=_resolve(base, business) if business else None,
        exporter_timezone=exporter_tz,
        history_start=history_start,
        duckdb_memory_limit=str(settings.get("duckdb_memory_limit") or "2GB"),
        duckdb_threads=int(settings.get("duckdb_threads") or 2),
        quarantine_threshold=float(settings.get("quarantine_threshold") or 0.05),
        interest_tags=_interest_tags(settings.get("interest_tags"), base, config_path),
        duckdb_temp_directory=temp_dir,
        report_workers=_positive_int(settings.get("report_workers"), min(os.cpu_count() or 1, 4),
                                     "settings.report_workers", config_path),
    )


def _positive_int(value, default: int, where: str, config_path: Path) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{config_path}: {where}: expected a whole number >= 1, found {value!r}")
    return value


def _interest_tags(value, base: Path, config_path: Path) -> Path | dict | None:
    """settings.interest_tags: a path (relative to community.yaml) to a YAML dictionary, or a mapping."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        path = _resolve(base, value)
        if not path.is_file():
            raise ConfigError(f"{config_path}: settings.interest_tags: file not found: {path}")
        return path
    raise ConfigError(f"{config_path}: settings.interest_tags: expected a file path or a mapping "
                      f"tag -> keywords, got {type(value).__name__}")
