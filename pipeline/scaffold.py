"""``community-report init``: scaffold a project folder a community team can fill in."""

from __future__ import annotations

from pathlib import Path

COMMUNITY_YAML = """\
# community.yaml: the one file that describes your community to community-report.
# Relative paths are relative to this file's folder.

community:
  name: 我的社区               # shown on every report
  founded: 2024-03-01          # YYYY-MM-DD
  audience: 独立开发者与技术爱好者  # who the community is for (one line)
  timezone: Asia/Shanghai      # IANA zone: every date in the report is a local date here
  language: zh                 # zh or en: the language of the report

warehouse: data/warehouse.duckdb   # the DuckDB file all tables live in (query it with any DuckDB client)
reports_dir: reports               # reports/<weekly|monthly>/<period start>/report.html ...

sources:                  # one entry per folder of exports of one platform
  - {name: slack_main, platform: slack, path: data/landing/slack_main}      # Slack workspace export zips
  - {name: discord, platform: discord, path: data/landing/discord}          # DiscordChatExporter JSON files
  - {name: tg_group, platform: telegram, path: data/landing/telegram}       # Telegram Desktop result.json
  # - {name: qq_group, platform: qq, path: data/landing/qq}                 # QQ message-manager .txt exports
  # - {name: wechat_group, platform: wechat, path: data/landing/wechat, self_id: wxid_owner}  # MemoTrace / PyWxDump CSVs
  # - {name: wecom_groups, platform: wecom, path: data/landing/wecom}       # WeCom customer-group API JSON (statistics, rosters)
  # - {name: forum, platform: discourse, path: data/landing/forum}          # Discourse API JSON (topics, posts, users)
  # - {name: other, platform: canonical, path: data/landing/other}          # CSV/Parquet in the canonical shape
  # Telegram has no bot flag in its exports: list bot user ids per source, e.g.
  #   - {name: tg_group, platform: telegram, path: ..., bots: [user123456]}

business_inputs: data/inputs   # spreadsheets kept by the team (CSV or XLSX), see data/inputs/README.md

# Optional settings (defaults shown):
# settings:
#   history_start: 2024-03-01      # first daily partition (default: community.founded)
#   exporter_timezone: Asia/Shanghai  # zone of export times written without an offset (default: community.timezone)
#   quarantine_threshold: 0.05     # a source check fails when more than this share of rows is quarantined
#   duckdb_memory_limit: 2GB
#   duckdb_threads: 2
#   duckdb_temp_directory: data/.duckdb_tmp  # where DuckDB spills (default: beside the warehouse; created when missing)
#   report_workers: 2              # processes rendering a backfill's reports (default: CPU count, max 4)
"""

LANDING_README = """\
# Landing folders

Drop platform exports here, one folder per source of `community.yaml`. CSV and TXT files may be UTF-8
(with or without BOM), GB18030/GBK or UTF-16. Exports may overlap
(this week's export repeats last week's messages): each message is counted once. Loading the
same export twice adds nothing. Keep old exports or delete them, as you like: loaded rows stay
in the warehouse.

| folder | platform | what to put in it |
|---|---|---|
| slack_main/ | slack | Slack workspace export `.zip` (Workspace settings → Import/Export → Export), or the unzipped folder |
| discord/ | discord | DiscordChatExporter JSON exports (`--format Json`), one file per channel/thread |
| telegram/ | telegram | Telegram Desktop export folder(s) `ChatExport_YYYY-MM-DD/` holding `result.json` (format: JSON) |
| qq/ | qq | QQ 消息管理器 → 导出消息记录 → `.txt` files (one group per file, or several conversation blocks) |
| wechat/ | wechat | WeChat history CSVs from MemoTrace/WeChatMsg (`<name>_utf8.csv`) or PyWxDump |
| wecom/ | wecom | WeCom API responses as JSON: `groupchat/statistic_group_by_day`, `groupchat/statistic` (+ its request body as `<name>.request.json`), `groupchat/get` |
| forum/ | discourse | Discourse API responses as JSON: `/latest.json`, `/t/<id>.json`, `/t/<id>/posts.json`, `/directory_items.json` |
| (any) | canonical | `messages*.csv`, `members*.csv`, `reactions*.csv`, `membership_events*.csv` (or `.parquet`) with the canonical columns of docs/ARCHITECTURE.md |
"""

# input name -> [(column, explanation)]
BUSINESS_INPUTS: dict[str, list[tuple[str, str]]] = {
    "goals": [("period", "YYYY-MM (a month) or YYYY-Www (an ISO week) the target applies to"),
              ("metric", "a KPI key of metrics.json, e.g. new_members, avg_dau, response_rate"),
              ("target", "the target value (rates as fractions: 0.6 = 60 %)")],
    "campaigns": [("id", "unique campaign id"), ("name", "campaign name"), ("type", "online or offline"),
                  ("theme", "topic of the event"), ("start", "first day YYYY-MM-DD"), ("end", "last day YYYY-MM-DD"),
                  ("registrations", "number registered"), ("attendees", "number who attended"),
                  ("cost", "total cost")],
    "campaign_participants": [("campaign_id", "id from campaigns"), ("member", "member key <source>:<user id>"),
                              ("attended", "true/false")],
    "content": [("id", "content id"), ("title", "title"), ("format", "article, video, live, ..."),
                ("topic", "topic"), ("published_at", "YYYY-MM-DD HH:MM"), ("views", "views"), ("likes", "likes"),
                ("comments", "comments"), ("shares", "shares")],
    "feedback": [("id", "feedback id"), ("member", "member key"), ("received_at", "YYYY-MM-DD HH:MM"),
                 ("channel", "where it came in"), ("kind", "suggestion, complaint, praise, question or bug"),
                 ("category", "team's category"), ("rating", "1-5 (optional)"), ("score", "0-10 NPS score (optional)"),
                 ("text", "what the member said"), ("status", "open, in_progress or resolved"),
                 ("resolved_at", "YYYY-MM-DD HH:MM when resolved")],
    "costs": [("date", "YYYY-MM-DD"), ("category", "e.g. events, tools, ads"), ("amount", "amount spent")],
    "conversions": [("member", "member key"), ("converted_at", "YYYY-MM-DD HH:MM"), ("type", "e.g. trial, paid"),
                    ("value", "revenue of the conversion")],
    "competitors": [("competitor", "name"), ("period", "YYYY-MM or YYYY-Www"), ("metric", "KPI key"),
                    ("value", "their figure")],
    "plan": [("period", "YYYY-MM or YYYY-Www"), ("item", "what is planned"), ("owner", "who"),
             ("due", "YYYY-MM-DD"), ("status", "done, in_progress, not_started, blocked or cancelled"),
             ("note", "free text")],
    "incidents": [("opened_at", "YYYY-MM-DD HH:MM"), ("category", "e.g. bot, access, spam"), ("title", "what happened"),
                  ("impact", "low, medium or high"), ("status", "open or resolved"),
                  ("resolved_at", "YYYY-MM-DD HH:MM"), ("resolution", "how it was solved")],
    "strategies": [("date", "YYYY-MM-DD the strategy started"), ("name", "short name"),
                   ("description", "what changed")],
    "member_profiles": [("member", "member key <source>:<user id>"), ("region", "region"), ("gender", "gender"),
                        ("age_band", "e.g. 18-24"), ("acquisition_channel", "how they found the community")],
    "identity_map": [("person", "one id for the person"), ("member", "a member key of theirs (one row per account)")],
}


def inputs_readme() -> str:
    lines = ["# Business inputs", "",
             "One CSV (UTF-8 with or without BOM, GB18030/GBK or UTF-16) or XLSX file per input, all optional: a "
             "report section whose",
             "input is missing says so. The first row holds the column names below.", ""]
    for name, cols in BUSINESS_INPUTS.items():
        lines += [f"## {name}.csv", "", "| column | meaning |", "|---|---|"]
        lines += [f"| {c} | {m} |" for c, m in cols]
        lines.append("")
    return "\n".join(lines)


def scaffold_project(target: Path, force: bool = False) -> list[Path]:
    """Write community.yaml, landing folders and input templates; never overwrite unless forced."""
    target = Path(target)
    files: dict[Path, str] = {
        target / "community.yaml": COMMUNITY_YAML,
        target / "data" / "landing" / "README.md": LANDING_README,
        target / "data" / "inputs" / "README.md": inputs_readme(),
    }
    for folder in ("slack_main", "discord", "telegram"):
        (target / "data" / "landing" / folder).mkdir(parents=True, exist_ok=True)
    for name, cols in BUSINESS_INPUTS.items():
        files[target / "data" / "inputs" / "templates" / f"{name}.csv"] = ",".join(c for c, _ in cols) + "\n"
    written = []
    for path, text in files.items():
        if path.exists() and not force:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
