"""Deterministic sample community: native platform exports, business inputs and ground truth.

    from pipeline.sample.generator import generate_sample
    config_path = generate_sample(Path("demo"), scale="small", seed=7, language="zh")

writes ``community.yaml`` plus::

    data/landing/slack_main/slack_export_part{1,2}.zip          Slack workspace exports
    data/landing/discord/<YYYY-MM-DD>/<Guild> - … [id].json      DiscordChatExporter runs
    data/landing/telegram/ChatExport_<YYYY-MM-DD>/result.json    Telegram Desktop exports
    data/inputs/*.csv                                            the team's spreadsheets
    data/sample_truth.json                                       what the generator counted

Every pair of exports of a platform overlaps (about two weeks), so the same messages
appear twice, the later copy sometimes edited and with more reactions. The same
``(scale, seed, language)`` always gives byte-identical files: no wall-clock time, every
random draw from a seeded PCG64 stream (see ``model.py``).

Scales: ``small`` (about 300 people, ~17k messages over 16 weeks ending Sunday 2026-11-22,
a few seconds) and ``large`` (100k people, ~10M messages over the year ending there,
streamed to disk; the platforms are written by parallel processes).
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import business, discord, slack, telegram
from . import model as Mo
from .common import PlatformResult

SOURCES = (  # config name, platform, landing folder, module
    ("slack_main", "slack", "data/landing/slack_main", slack),
    ("discord", "discord", "data/landing/discord", discord),
    ("tg_group", "telegram", "data/landing/telegram", telegram),
)
TRUTH_PATH = "data/sample_truth.json"
INPUTS_DIR = "data/inputs"

TRUTH_CONVENTIONS = {
    "distinct": "each platform message counted once, however many export files contain it "
                "(Slack: channel id + ts; Discord: message id; Telegram: chat id + message id)",
    "kind": "system = platform event messages (Slack subtypes channel_join, channel_leave, channel_topic, "
            "channel_purpose, pinned_item; Discord GuildMemberJoin, ChannelPinnedMessage, ThreadCreated; "
            "Telegram type service); reply = Slack thread_ts != ts (thread_broadcast included), Discord a "
            "message with reference.messageId or any message in a thread channel, Telegram reply_to_message_id; "
            "message = every other (top-level) message",
    "bot": "Slack: subtype bot_message or a user with is_bot; Discord: author.isBot; Telegram: from_id listed "
           "under the source's bots: key in community.yaml",
    "human_authors": "distinct non-bot authors of non-system messages",
    "membership_events": "join = Slack channel_join (per channel), Discord GuildMemberJoin, Telegram "
                         "join_group_by_link (actor) and invite_members (each member); leave = Slack "
                         "channel_leave, Telegram remove_members (each member: self = left, else removed); "
                         "Discord exports have no leaves; bot_join = joins of bot accounts (included in join)",
    "users": "Slack: entries of users.json (bots and USLACKBOT included); Discord and Telegram: distinct "
             "author/actor ids over all messages",
    "reactions": "sum of reaction counts on the latest exported version of each message",
    "edited_messages": "messages whose latest exported version is edited",
    "daily_messages": "non-system messages by non-bot authors per local date (Asia/Shanghai), all sources",
}


def _run_platform(args) -> PlatformResult:
    scale, seed, language, idx, out_dir = args
    world = Mo.build_world(scale, seed, language)
    name, _platform, rel, module = SOURCES[idx]
    source_dir = Path(out_dir) / rel
    source_dir.mkdir(parents=True, exist_ok=True)
    sim = module.simulate(world)
    return module.write(world, sim, source_dir, name)


def community_yaml(world: Mo.World, bots: list[str]) -> str:
    zh = world.zh
    name = "星火开发者社区" if zh else "Spark Developer Community"
    audience = "独立开发者与技术爱好者" if zh else "indie developers and tech enthusiasts"
    return f"""\
# community.yaml: configuration of a community-report project (a generated sample).
#
# community        who the report is about
#   name           shown in the report title
#   founded        when the community started (YYYY-MM-DD)
#   audience       who it is for (shown in the community overview)
#   timezone       IANA zone: every local date and the daily/weekly/monthly periods use it
#   language       zh or en: the language of the report
# warehouse        the DuckDB file all tables live in
# reports_dir      where reports/<weekly|monthly>/<period>/ are written
# sources          one entry per folder of platform exports
#   name           the source name; member keys are <name>:<platform user id>
#   platform       slack | discord | telegram | qq | wechat | wecom | discourse | canonical
#   path           the folder the exports are dropped into (new files are picked up)
#   bots           (optional) platform user ids that are bots when the export cannot say so
# business_inputs  folder of the team's spreadsheets (goals.csv, campaigns.csv, ...)
#
# Relative paths are relative to this file's folder.
community:
  name: {name}
  founded: 2024-03-01
  audience: {audience}
  timezone: Asia/Shanghai
  language: {world.language}
warehouse: data/warehouse.duckdb
reports_dir: reports
sources:
  - {{name: slack_main, platform: slack, path: data/landing/slack_main}}
  - {{name: discord, platform: discord, path: data/landing/discord}}
  - {{name: tg_group, platform: telegram, path: data/landing/telegram, bots: [{", ".join(bots)}]}}
business_inputs: data/inputs
"""


def _clear(out_dir: Path, overwrite: bool | None) -> None:
    """Empty the folders the sample owns. A previous sample (it left its truth file) is
    replaced unless ``overwrite=False``; other content only with ``overwrite=True``."""
    owned = [out_dir / rel for _, _, rel, _ in SOURCES] + [out_dir / INPUTS_DIR]
    busy = [p for p in owned if p.exists() and any(p.iterdir())]
    if overwrite is None:
        overwrite = (out_dir / TRUTH_PATH).is_file()
    if busy and not overwrite:
        raise FileExistsError(f"{busy[0]} is not empty and holds no generated sample; "
                              f"pass overwrite=True to replace its content")
    for p in busy:
        shutil.rmtree(p)


def generate_sample(out_dir: Path, scale: str = "small", seed: int = 7, language: str = "zh",
                    workers: int | None = None, overwrite: bool | None = None,
                    flavour: str | None = None) -> Path:
    """Write a complete sample project into ``out_dir``; return the path of its community.yaml.

    ``workers``: processes writing the platforms in parallel (default 1 for small, 3 for
    large). Output does not depend on it. ``overwrite``: whether non-empty landing/inputs
    folders in ``out_dir`` may be replaced; by default only a previously generated sample is
    (a warehouse or reports already built from it are left alone). ``flavour="zh"`` also
    writes QQ, WeChat and WeCom sources (``pipeline/sample/chinese.py``).
    """
    if flavour not in (None, "zh"):
        raise ValueError(f"flavour: expected None or 'zh', got {flavour!r}")
    out_dir = Path(out_dir)
    world = Mo.build_world(scale, seed, language)       # validates the arguments early
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir, overwrite)
    if workers is None:
        workers = 1 if scale == "small" else 3       # one process per platform (they share the cores)
    jobs = [(scale, seed, language, i, str(out_dir)) for i in (1, 2, 0)]   # biggest first
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(_run_platform, jobs))
    else:
        done = [_run_platform(j) for j in jobs]
    by_source = {r.source: r for r in done}
    results = [by_source[name] for name, _, _, _ in SOURCES]

    inputs = business.write_inputs(world, results, out_dir / INPUTS_DIR)

    daily = sum(r.daily for r in results)
    truth = {
        "schema_version": 1,
        "generator": {"scale": scale, "seed": seed, "language": language, "timezone": "Asia/Shanghai",
                      "first_date": world.local_date(0).isoformat(),
                      "last_date": world.local_date(world.days - 1).isoformat(),
                      "persons": world.persons.n},
        "conventions": TRUTH_CONVENTIONS,
        "sources": {r.source: r.truth for r in results},
        "totals": {
            "messages": int(sum(r.truth["messages"]["total"] for r in results)),
            "human_content_messages": int(daily.sum()),
        },
        "daily_messages": {world.local_date(d).isoformat(): int(daily[d]) for d in range(world.days)},
        "daily_messages_by_source": {
            r.source: {world.local_date(d).isoformat(): int(r.daily[d]) for d in range(world.days)}
            for r in results},
        "business_inputs_rows": inputs,
    }
    if flavour == "zh":           # Chinese-platform sources of the same community
        from . import chinese
        zh_truth, zh_daily = chinese.write(world, out_dir)
        truth["generator"]["flavour"] = "zh"
        truth["sources"].update(zh_truth)
        for name, d in zh_daily.items():
            daily = daily + d
            truth["daily_messages_by_source"][name] = {
                world.local_date(i).isoformat(): int(d[i]) for i in range(world.days)}
        truth["totals"] = {"messages": int(sum(t["messages"]["total"] for t in truth["sources"].values()
                                               if "messages" in t)),
                           "human_content_messages": int(daily.sum())}
        truth["daily_messages"] = {world.local_date(d).isoformat(): int(daily[d]) for d in range(world.days)}
    truth_path = out_dir / TRUTH_PATH
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    bots = results[2].truth["bot_user_ids"]
    cfg = out_dir / "community.yaml"
    text = community_yaml(world, bots)
    cfg.write_text(chinese.add_sources(text) if flavour == "zh" else text, encoding="utf-8")
    return cfg
