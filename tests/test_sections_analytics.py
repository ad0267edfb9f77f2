"""The analytics sections (profile, strategy, recommendations, next_plan, outlook) and the extra
blocks of growth / activity / content, on real DuckDB files.

Two warehouses:
- ``community``: hand-built raw rows (tests/builders.py) run through every SQL model, so member
  segments, channel cohorts, profile distributions and the strategy's daily metrics come from the
  real SQL. A copy without business inputs (``bare``) and one with them (``full``: rows put straight
  into staging.content, strategies, plan, goals, input_status, and member profiles onto
  staging.members, where the business-input ingestion puts them; then our marts are rebuilt)
  render the report in zh and en.
- ``hand``: tables shaped by the pipeline, rows inserted by hand (strategy_metrics_daily, kpis_weekly),
  for the Mann–Whitney and forecast numbers.

The community (Asia/Shanghai), ISO week W1 = 2026-03-02 .. 03-08; a, b, c, d, e join on 2026-02-23:
  a active Mar 2, 3, 4, 5 (4 of 7 days: core), b Mar 2, 6 (2/7 = 28.6 %: regular), c Mar 8 (1/7 = 14.3 %:
  casual), d not at all in W1 (silent); e posts on Mar 2 and leaves on Mar 5 (not a member at the end);
  a bot posts every day (never counted). Later: a Mar 24, c Mar 25, d Mar 26 and 29 (week W+4 of the
  join week), a also on Feb 24 (activation).

PDF / PPTX writing (tested by their own module) is stubbed out here to keep the renders fast.
"""

from __future__ import annotations

import json
import shutil
import socket
from dataclasses import replace
from pathlib import Path
from datetime import date, timedelta

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from pipeline import interest_tags, warehouse
from pipeline.build import build_all, build_model
from pipeline.config import load_config
from pipeline.ingest.schema import create_raw_tables
from pipeline.model_registry import MODELS
from pipeline.periods import Period, period_containing
from pipeline.report import render
from pipeline.report.data import Kpi, collect
from pipeline.report.i18n import METRIC_KINDS, SECTION_TITLES, Formatter
from pipeline.report.render import md_escape, render_report
from pipeline.report.sections import SectionContext
from pipeline.report.sections import _text, extras, next_plan, outlook, profile, recommendations, strategy
from tests.builders import Raw, at, build, connect, rows

TZ = "Asia/Shanghai"
W0 = period_containing("weekly", date(2026, 2, 23))     # join week
W1 = period_containing("weekly", date(2026, 3, 2))
W4 = period_containing("weekly", date(2026, 3, 23))     # week W0 + 4
MARCH = period_containing("monthly", date(2026, 3, 1))
OUR_MARTS = ["activity_segments_weekly", "activity_segments_monthly", "profile_distribution_weekly",
             "profile_distribution_monthly", "growth_channel_cohorts", "strategy_metrics_daily",
             "outlook_forecast_weekly", "outlook_forecast_monthly"]
OVERRIDE_TAGS = {"ai": {"zh": "人工智能", "en": "AI", "keywords": ["大模型", "LLM"]},
                 "web": ["React", "前端"], "rust": "Rust", "chat": ["hi"]}

REAL_FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "real"


@pytest.fixture(autouse=True)
def _no_pdf_pptx(monkeypatch):
    monkeypatch.setattr(render, "write_documents", lambda *a, **k: {})


def _config(root, language="en", extra=""):
    root.mkdir(parents=True, exist_ok=True)
    (root / "community.yaml").write_text(
        "community:\n  name: 星火\n  founded: 2026-01-01\n  timezone: Asia/Shanghai\n"
        f"  language: {language}\n{extra}", encoding="utf-8")
    return load_config(root / "community.yaml")


def _ctx(conn, config, period, language="en"):
    config = replace(config, language=language)
    return SectionContext(conn=conn, config=config, period=period, data=collect(conn, config, period),
                          f=Formatter(language))


def _insert(conn, table: str, rows: list[dict]) -> None:
    for row in rows:
        cols = ", ".join(f"${k} as {k}" for k in row)
        conn.execute(f"insert into {table} by name select {cols}", row)


def _rebuild(conn, names):
    for spec in MODELS:
        if spec.relation.split(".")[1] in names:
            build_model(conn, spec, date(2026, 2, 16), date(2026, 4, 6), TZ)


# ---------------------------------------------------------------------------------------------
# the community warehouse
# ---------------------------------------------------------------------------------------------

def _fill_community(conn) -> None:
    r = Raw(conn)
    s = "forum"
    r.user(s, "bot1", name="HelperBot", is_bot=True)
    for u in "abcde":
        r.event(s, u, "join", at(2026, 2, 23, 10))
    r.event(s, "e", "leave", at(2026, 3, 5, 18))
    r.message(s, "a0", "a", at(2026, 2, 24, 9), text="大家好")
    r.message(s, "a1", "a", at(2026, 3, 2, 10), text="我们在用大模型做代码生成")
    r.message(s, "b1", "b", at(2026, 3, 2, 11), kind="reply", parent_id="a1", text="he said hi")
    r.message(s, "e1", "e", at(2026, 3, 2, 12), text="大模型")
    r.message(s, "a2", "a", at(2026, 3, 3, 10), text="大模型的代码生成效果不错")
    r.message(s, "a3", "a", at(2026, 3, 4, 10), text="Using an LLM for code review, the LLM is great")
    r.message(s, "sys", None, at(2026, 3, 4, 11), kind="system", system_event="pin", text="systemword 大模型")
    r.message(s, "a4", "a", at(2026, 3, 5, 10), text="我在学 React 前端")
    r.message(s, "b2", "b", at(2026, 3, 6, 20), text="大模型 真的 很强 https://example.com/大模型 @小明")
    r.message(s, "c1", "c", at(2026, 3, 8, 21), text="用 Rust 写 CLI 工具")
    for i in range(7):
        r.message(s, f"bot{i}", "bot1", at(2026, 3, 2 + i, 8), text="spamword 大模型 大模型 大模型")
    r.message(s, "a5", "a", at(2026, 3, 24, 10), text="hello again")
    r.message(s, "c2", "c", at(2026, 3, 25, 10), text="周末见")
    r.message(s, "d1", "d", at(2026, 3, 26, 10), text="终于来了")
    r.message(s, "d2", "d", at(2026, 3, 29, 10), text="晚安")
    build(conn, date(2026, 2, 16), date(2026, 4, 6))


PROFILES = {  # member_profiles, as the business-input ingestion copies them onto staging.members
    "forum:a": ("北京", "女", "25-34", "朋友推荐"),
    "forum:b": ("上海", "男", "25-34", "公众号"),
    "forum:c": ("北京", None, None, "朋友推荐"),
    "forum:e": ("深圳", "男", "18-24", "公众号"),
}


def _add_inputs(conn) -> None:
    for key, (region, gender, age, channel) in PROFILES.items():
        conn.execute("update staging.members set region = $r, gender = $g, age_band = $a, acquisition_channel = $c "
                     "where member_key = $k", {"r": region, "g": gender, "a": age, "c": channel, "k": key})
    _rebuild(conn, OUR_MARTS)
    _insert(conn, "staging.content", [
        {"content_id": "C0", "title": "上周的文章", "format": "article", "topic": "AI", "local_date": date(2026, 2, 25),
         "views": 400, "likes": 8, "comments": 4, "shares": 8},
        {"content_id": "C1", "title": "大模型实战", "format": "article", "topic": "AI", "local_date": date(2026, 3, 3),
         "views": 1000, "likes": 50, "comments": 10, "shares": 40},
        {"content_id": "C2", "title": "<b>直播回放</b>", "format": "video", "topic": "AI",
         "local_date": date(2026, 3, 5), "views": 500, "likes": 10, "comments": 5, "shares": 10},
        {"content_id": "C3", "title": "Rust 入门", "format": "article", "topic": "Rust",
         "local_date": date(2026, 3, 7), "views": 200, "likes": 2, "comments": 1, "shares": 1}])
    _insert(conn, "staging.strategies", [
        {"date": date(2026, 3, 2), "name": "新人引导私信", "description": "DM every newcomer"},
        {"date": date(2026, 4, 20), "name": "未来的策略", "description": "not started yet"}])
    _insert(conn, "staging.plan", [
        {"period": "2026-03", "period_grain": "monthly", "period_start": date(2026, 3, 1), "item": "整理新人 FAQ",
         "owner": "小王", "due": date(2026, 3, 20), "status": "in_progress", "note": "进行中"},
        {"period": "2026-W11", "period_grain": "weekly", "period_start": date(2026, 3, 9), "item": "发布周报",
         "owner": "小李", "due": date(2026, 3, 13), "status": "not_started", "note": None},
        {"period": "2026-W10", "period_grain": "weekly", "period_start": date(2026, 3, 2), "item": "招募志愿者",
         "owner": "小张", "due": date(2026, 3, 6), "status": "blocked", "note": "等待预算"},
        {"period": "2026-W10", "period_grain": "weekly", "period_start": date(2026, 3, 2), "item": "上线积分",
         "owner": "小张", "due": date(2026, 3, 6), "status": "done", "note": None},
        {"period": "2026-W11", "period_grain": "weekly", "period_start": date(2026, 3, 9), "item": "已提前完成",
         "owner": "小李", "due": date(2026, 3, 12), "status": "done", "note": None},
        {"period": "2026-04", "period_grain": "monthly", "period_start": date(2026, 4, 1), "item": "四月活动",
         "owner": "小王", "due": date(2026, 4, 20), "status": "not_started", "note": None}])
    _insert(conn, "staging.goals", [{"period": "2026-W11", "period_grain": "weekly", "period_start": date(2026, 3, 9),
                                     "metric": "new_members", "target": 5.0}])
    for name, rows in (("member_profiles", 4), ("content", 4), ("strategies", 2), ("plan", 6), ("goals", 1)):
        conn.execute("update staging.input_status set present = true, status = 'loaded', rows = $r, "
                     "file_path = $f where input = $i", {"r": rows, "f": f"data/inputs/{name}.csv", "i": name})


@pytest.fixture(scope="module")
def community_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("community") / "warehouse.duckdb"
    conn = connect(path)
    _fill_community(conn)
    conn.close()
    return path


@pytest.fixture(scope="module")
def bare(community_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("bare") / "warehouse.duckdb"
    shutil.copy(community_file, path)
    conn = connect(path)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def full(community_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("full") / "warehouse.duckdb"
    shutil.copy(community_file, path)
    conn = connect(path)
    _add_inputs(conn)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    return _config(tmp_path_factory.mktemp("project"))


# ---------------------------------------------------------------------------------------------
# member segments
# ---------------------------------------------------------------------------------------------

def _segments(conn, grain, start):
    return {s: (persons, share, members) for s, persons, share, members in conn.execute(
        f"select segment, persons, share, members from marts.activity_segments_{grain} where period_start = $p",
        {"p": start}).fetchall()}


def test_member_segments_of_a_week_are_exact(bare):
    # a 4/7 days (57.1 %), b 2/7 (28.6 %), c 1/7 (14.3 % < 15 %), d 0; e left before the end, the bot never counts
    assert _segments(bare, "weekly", W1.start) == {"core": (1, 0.25, 4), "regular": (1, 0.25, 4),
                                                   "casual": (1, 0.25, 4), "silent": (1, 0.25, 4)}


def test_member_segments_of_a_month_use_its_31_days(bare):
    # March: a 5 days (16.1 % >= 15 %: regular), b 2, c 2, d 2 (6.5 %: casual); nobody reaches 50 % (15.5 days)
    assert _segments(bare, "monthly", MARCH.start) == {"core": (0, 0.0, 4), "regular": (1, 0.25, 4),
                                                       "casual": (3, 0.75, 4), "silent": (0, 0.0, 4)}


def test_segment_kpis_with_previous_period(bare, config):
    kpis, rows = extras.segment_kpis(_ctx(bare, config, W1))
    # the week before (Feb 23 - Mar 1): 5 members, only a active (1 day: casual), 4 silent
    assert kpis["segment_core"] == Kpi(1, 0, None)
    assert kpis["segment_casual"] == Kpi(1, 1, 0.0)
    assert kpis["segment_silent"] == Kpi(1, 4, -0.75)
    assert kpis["segment_silent_share"].value == 0.25 and kpis["segment_silent_share"].previous == 0.8
    assert [r["segment"] for r in rows] == ["core", "regular", "casual", "silent"]


# ---------------------------------------------------------------------------------------------
# keywords and interest tags
# ---------------------------------------------------------------------------------------------

def test_jieba_segments_chinese_and_removes_stop_words():
    assert "大模型" in _text.segment("我们在用大模型做代码生成")
    assert _text.segment("我们在用大模型做代码生成") == ["大模型", "代码生成"]
    assert _text.segment("有没有人在做出海产品") == ["出海", "产品"]          # not 做出 / 海产品
    assert _text.segment("Using an LLM for code review, the LLM is great") == ["llm", "code", "review", "llm",
                                                                                 "great"]
    assert _text.segment("大模型 真的 很强 https://example.com/x @小明 :tada: `err`") == ["大模型", "很强"]
    assert _text.segment("") == [] and _text.segment(None) == []


def test_jieba_loads_once_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network access at run time")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    _text.tokenizer.cache_clear()
    first = _text.tokenizer()
    assert _text.segment("我们在用大模型做代码生成") == ["大模型", "代码生成"]
    assert _text.tokenizer() is first                     # loaded once per process
    from importlib.metadata import version
    assert version("jieba") == "0.42.1" and version("rjieba") == "0.2.2"


# Edge cases of the Latin runs jieba-rs joins and jieba splits, of dictionary words with those
# characters, and of the HMM at block edges.
SEGMENTER_EDGE_CASES = [
    "Next.js 在这个场景下确实更合适", "把 Node.js 升级到 3.11 就好了", "open-source image host", "c++ 和 c# 都行，at&t 也行",
    "export NODE_OPTIONS=--max-old-space-size=4096", "2014-09-11T00:02:55.028Z", "增长了 3.5% 和 20%", "真好+1",
    "[图片]需要学号&密码 或者 校园卡", "姓名+学号，报给我。", "v2ray配置 iphone15很好 用python3写代码 3d打印 第3期",
    "ｆｕｌｌ全角ＡＢＣ", "k8s 上的 Pod 一直重启 #2", "a.b.c_d-e%f&g+h#i", "...", "-", "有没有人在做出海产品",
]


def _real_fixture_texts() -> list[str]:
    """Every string value of the real JSON fixtures and every line of the other text fixtures."""
    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    texts = set()
    for path in REAL_FIXTURES.rglob("*"):
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        try:
            raw = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        texts.update(line.strip() for line in raw.splitlines() if line.strip())
        if path.suffix == ".json":
            try:
                texts.update(s for s in strings(json.loads(raw)) if s.strip())
            except ValueError:
                pass
    return sorted(texts)


def test_segmenter_gives_the_python_jieba_tokens():
    """The segmenter (jieba-rs + the Latin-run split) against the jieba package itself, built
    with the same extra words as the code before it: the same tokens for every text of the
    real fixtures (~40k, Chinese chat of QQ / WeChat / WeCom among them) and the edge cases."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()
    reference.initialize()
    for w in sorted(set(_text._word_list(_text.HERE / "userdict_zh.txt"))):
        reference.add_word(w, max(_text.USER_WORD_FREQ, reference.FREQ.get(w) or 0))
    for w in sorted({k.lower() for tag in interest_tags.load_tags(interest_tags.DEFAULT_TAGS)
                     for k in tag.keywords if interest_tags.CJK.search(k)}):
        if not reference.FREQ.get(w):
            reference.add_word(w)
    texts = _real_fixture_texts()
    assert len(texts) > 20_000 and sum(1 for t in texts if interest_tags.CJK.search(t)) > 5_000
    ours = _text.tokenizer()
    differ = []
    for text in SEGMENTER_EDGE_CASES + texts:
        clean = text.lower()
        expected = list(reference.cut(clean))
        if ours.cut(clean) != expected:
            differ.append((text[:80], expected[:12], ours.cut(clean)[:12]))
    assert differ == []
    assert _text.segment("把 Node.js 升级到 3.11 就好了") == ["node", "js", "升级"]
    assert _text.segment("c++ 和 c# 都行") == ["c++", "c#", "都行"]     # dictionary words: not split


def test_top_keywords_are_counted_in_duckdb(bare):
    rows = _text.top_keywords(bare, W1, limit=50)
    by_word = {r["keyword"]: (r["mentions"], r["messages"], r["persons"]) for r in rows}
    # 大模型: a twice, b once, e once (e left later but wrote it as a member); the bot's and the system
    # message's never count
    assert rows[:3] == [{"keyword": "大模型", "mentions": 4, "messages": 4, "persons": 3},
                        {"keyword": "llm", "mentions": 2, "messages": 1, "persons": 1},
                        {"keyword": "代码生成", "mentions": 2, "messages": 2, "persons": 1}]
    assert by_word["rust"] == (1, 1, 1) and by_word["前端"] == (1, 1, 1)
    for absent in ("spamword", "systemword", "said", "the", "我们", "https", "小明"):
        assert absent not in by_word
    # the UDF is removed again: the connection is left as it was
    assert bare.execute("select count(*) from duckdb_functions() where function_name = 'cr_segment'").fetchone()[0] == 0


def test_interest_tags_default_dictionary(bare):
    by_tag, total = _text.tag_counts(bare, W1, interest_tags.load_tags())
    # ai: a1, a2, a3 (LLM), e1, b2; "he said hi" does not match the whole word AI
    assert by_tag["ai"] == {"persons": 3, "messages": 5}
    assert by_tag["frontend"] == {"persons": 1, "messages": 1} and by_tag["rust"] == {"persons": 1, "messages": 1}
    assert total == {"persons": 4, "messages": 7}


def test_interest_tags_overriding_dictionary(bare, tmp_path):
    tags = interest_tags.load_tags(OVERRIDE_TAGS)
    assert [t.key for t in tags] == ["ai", "web", "rust", "chat"]
    assert tags[0].name("zh") == "人工智能" and tags[0].name("en") == "AI" and tags[1].name("zh") == "web"
    by_tag, total = _text.tag_counts(bare, W1, tags)
    assert by_tag == {"ai": {"persons": 3, "messages": 5}, "web": {"persons": 1, "messages": 1},
                      "rust": {"persons": 1, "messages": 1}, "chat": {"persons": 1, "messages": 1}}
    assert total == {"persons": 4, "messages": 8}
    # the same dictionary as a YAML file named in community.yaml (relative to it)
    (tmp_path / "tags.yaml").write_text("web: [React, 前端]\n", encoding="utf-8")
    cfg = _config(tmp_path, extra="settings:\n  interest_tags: tags.yaml\n")
    assert cfg.interest_tags == tmp_path / "tags.yaml"
    assert [t.key for t in interest_tags.load_tags(cfg.interest_tags)] == ["web"]
    cfg = _config(tmp_path / "inline", extra="settings:\n  interest_tags: {ops: [Docker]}\n")
    assert cfg.interest_tags == {"ops": ["Docker"]}
    with pytest.raises(interest_tags.TagDictionaryError, match="tag 'x'"):
        interest_tags.load_tags({"x": []})


def test_interest_tag_mart_rows(bare):
    # W1 of the hand-built community, default dictionary: one row per person-day with member messages
    # (tag NULL: messages, tagged_messages) and one per tag they carry; the bot's and the system
    # message never count, b's "he said hi" is a member message without a tag
    assert rows(bare, "select date, person_key, tag_key, messages, tagged_messages from marts.interest_tags_daily "
                      "where date between '2026-03-02' and '2026-03-08' order by all") == [
        (date(2026, 3, 2), "forum:a", "ai", 1, 1), (date(2026, 3, 2), "forum:a", None, 1, 1),
        (date(2026, 3, 2), "forum:b", None, 1, 0),
        (date(2026, 3, 2), "forum:e", "ai", 1, 1), (date(2026, 3, 2), "forum:e", None, 1, 1),
        (date(2026, 3, 3), "forum:a", "ai", 1, 1), (date(2026, 3, 3), "forum:a", None, 1, 1),
        (date(2026, 3, 4), "forum:a", "ai", 1, 1), (date(2026, 3, 4), "forum:a", None, 1, 1),
        (date(2026, 3, 5), "forum:a", "frontend", 1, 1), (date(2026, 3, 5), "forum:a", None, 1, 1),
        (date(2026, 3, 6), "forum:b", "ai", 1, 1), (date(2026, 3, 6), "forum:b", None, 1, 1),
        (date(2026, 3, 8), "forum:c", "rust", 1, 1), (date(2026, 3, 8), "forum:c", None, 1, 1)]
    assert rows(bare, "select distinct dictionary from marts.interest_tags_daily") == [
        (interest_tags.fingerprint(interest_tags.load_tags()),)]


def test_the_any_tag_pattern_matches_exactly_when_some_tag_does():
    """The mart matches a text against every tag only when this one pattern matches it: it must
    agree with the OR of the tags' patterns on every text (whole-word Latin keywords included)."""
    import duckdb

    tags = interest_tags.load_tags()
    texts = ["said hi", "AI 工具真好用", "ai", "用 react-native 写的", "reactive", "我们在用大模型", "k8s!", "rusty",
             "rust", "fine-tune it", "fine-tuned", "", "no topic here", "TypeScript,Vue", "agent_x", "(llm)"]
    conn = duckdb.connect()
    any_tag = interest_tags.any_tag_pattern(tags)
    flags = " or ".join(f"regexp_matches(t, $tag_{i})" for i in range(len(tags)))
    got = conn.execute(f"select t, regexp_matches(t, $any), {flags} from (select lower(unnest($texts)) as t)",
                       {"texts": texts, "any": any_tag,
                        **{f"tag_{i}": interest_tags.tag_pattern(t) for i, t in enumerate(tags)}}).fetchall()
    assert [(t, a) for t, a, _ in got] == [(t, each) for t, _, each in got]
    assert sum(a for _, a, _ in got) == 9          # both kinds of text are there
    assert conn.execute("select regexp_matches('anything at all', $p)",
                        {"p": interest_tags.any_tag_pattern([])}).fetchone() == (False,)


def test_interest_tag_mart_sums_a_person_day(tmp_path):
    """Several messages and tags in one person-day, a local date that is not the UTC date, the
    dictionary of the model inputs, an unreadable dictionary, and a rebuild that replaces."""
    conn = connect(tmp_path / "warehouse.duckdb")
    r = Raw(conn)
    r.user("forum", "bot1", is_bot=True)
    r.message("forum", "m1", "a", at(2026, 3, 2, 0, 30), text="大模型 和 React")      # 2026-03-01 16:30 UTC
    r.message("forum", "m2", "a", at(2026, 3, 2, 9), text="an llm, again")
    r.message("forum", "m3", "a", at(2026, 3, 2, 10), text="hello")
    r.message("forum", "m4", "a", at(2026, 3, 2, 11), text="   ")                    # no text: not counted
    r.message("forum", "m5", "bot1", at(2026, 3, 2, 12), text="大模型")
    r.message("forum", "m6", "a", at(2026, 3, 3, 23, 59), text="rust")
    spec = next(m for m in MODELS if m.relation == "marts.interest_tags_daily")
    mine = {"ai": ["大模型", "LLM"], "web": ["react"], "systems": ["Rust"]}
    for _ in range(2):                                  # the second build replaces the window
        for dep in ("staging/members.sql", "staging/messages.sql"):
            build_model(conn, next(m for m in MODELS if m.path == dep), date(2026, 3, 1), date(2026, 3, 5), TZ)
        build_model(conn, spec, date(2026, 3, 1), date(2026, 3, 5), TZ, tag_dictionary=mine)
    assert rows(conn, "select date, person_key, tag_key, messages, tagged_messages, dictionary "
                      "from marts.interest_tags_daily order by all") == [
        (date(2026, 3, 2), "forum:a", "ai", 2, 2, fp := interest_tags.fingerprint(interest_tags.load_tags(mine))),
        (date(2026, 3, 2), "forum:a", "web", 1, 1, fp),
        (date(2026, 3, 2), "forum:a", None, 3, 2, fp),
        (date(2026, 3, 3), "forum:a", "systems", 1, 1, fp),
        (date(2026, 3, 3), "forum:a", None, 1, 1, fp)]
    week = period_containing("weekly", date(2026, 3, 2))
    assert _text.period_tag_counts(conn, week, interest_tags.load_tags(mine), 4) == _text.tag_counts(
        conn, week, interest_tags.load_tags(mine)) == ({"ai": {"persons": 1, "messages": 2}, "web": {"persons": 1, "messages": 1},
                                                "systems": {"persons": 1, "messages": 1}}, {"persons": 1, "messages": 3})
    # a dictionary that cannot be read: member messages are still counted, no tag, marked "invalid"
    build_model(conn, spec, date(2026, 3, 1), date(2026, 3, 5), TZ, tag_dictionary={"broken": []})
    assert rows(conn, "select date, tag_key, messages, tagged_messages, dictionary from marts.interest_tags_daily "
                      "order by all") == [(date(2026, 3, 2), None, 3, 0, "invalid"),
                                          (date(2026, 3, 3), None, 1, 0, "invalid")]
    conn.close()


def test_period_tag_counts_read_the_mart_only_when_it_can_answer(bare, caplog):
    tags, texts = interest_tags.load_tags(), _text.member_text_count(bare, W1)
    expected = _text.tag_counts(bare, W1, tags)
    bare.execute("begin transaction")
    try:
        # the mart answers: a changed mart row shows (what the report reads is the mart)
        bare.execute("update marts.interest_tags_daily set messages = 10 "
                     "where date = '2026-03-08' and tag_key = 'rust'")
        by_tag, total = _text.period_tag_counts(bare, W1, tags, texts)
        assert by_tag["rust"] == {"persons": 1, "messages": 10} and by_tag["ai"] == expected[0]["ai"]
        assert total == expected[1] and not caplog.records
        # another dictionary than the mart's: the period's messages are matched instead
        override = interest_tags.load_tags(OVERRIDE_TAGS)
        assert _text.period_tag_counts(bare, W1, override, texts) == _text.tag_counts(bare, W1, override)
        assert "built with another interest-tag dictionary" in caplog.text
        # a day missing from the mart: its member messages do not add up
        caplog.clear()
        bare.execute("delete from marts.interest_tags_daily where date = '2026-03-06'")
        assert _text.period_tag_counts(bare, W1, tags, texts) == expected
        assert texts == 8 and f"it holds 7 of the period's {texts} member messages" in caplog.text
        # no mart at all (a warehouse modelled before it existed)
        caplog.clear()
        bare.execute("drop table marts.interest_tags_daily")
        assert _text.period_tag_counts(bare, W1, tags, texts) == expected
        assert "it does not exist" in caplog.text
    finally:
        bare.execute("rollback")
    assert rows(bare, "select sum(messages) from marts.interest_tags_daily where tag_key = 'rust'") == [(1,)]


def test_profile_section_uses_the_override(bare, config):
    ctx = _ctx(bare, replace(config, interest_tags=OVERRIDE_TAGS), W1, "zh")
    section, kpis = profile.build(ctx)
    tags = next(b for b in section.blocks if b.kind == "table" and b.title.startswith("兴趣标签"))
    assert tags.table.rows[0][:4] == ["人工智能", "大模型, LLM", "3", "5"]
    # W0 has one member message ("大家好") and no tag in it
    assert kpis["tagged_members"] == Kpi(4, 0, None)


# ---------------------------------------------------------------------------------------------
# profile distributions and acquisition channels
# ---------------------------------------------------------------------------------------------

def test_profile_distribution(full, config):
    rows = full.execute("select dimension, value, members, active_members, share from marts.profile_distribution_weekly "
                        "where period_start = $p order by dimension, value nulls last", {"p": W1.start}).fetchall()
    region = [r for r in rows if r[0] == "region"]
    assert region == [("region", "上海", 1, 1, 0.25), ("region", "北京", 2, 2, 0.5), ("region", None, 1, 0, 0.25)]
    assert [r for r in rows if r[0] == "profile"] == [("profile", "known", 3, 3, 0.75), ("profile", None, 1, 0, 0.25)]
    section, kpis = profile.build(_ctx(full, config, W1))
    assert kpis["profile_coverage"].value == 0.75
    assert section.narrative[0] == "75.0% of the 4 members at period end have a profile."
    assert section.narrative[1] == "Largest groups: Region 北京 (50.0%); Age band 25-34 (50.0%)."


def test_missing_profiles_are_said(bare, config):
    section, kpis = profile.build(_ctx(bare, config, W1))
    note = ("No member profiles (member_profiles) were provided, so region, gender, age band and acquisition "
            "channel cannot be shown.")
    assert note in section.narrative and any(b.note == note for b in section.blocks)
    assert kpis["profile_coverage"] == Kpi(0.0, 0.0, None)
    blocks, _ = extras.extra_blocks(_ctx(bare, config, W0), "growth")
    assert blocks[0].kind == "empty" and "No member profiles (member_profiles)" in blocks[0].note


def test_acquisition_channel_volume_and_quality(full, config):
    rows = {r["acquisition_channel"]: r for r in extras.channel_rows(_ctx(full, config, W0))}
    # joined Feb 23: a, c (朋友推荐), b, e (公众号), d (unknown); only a contributed within days 0-6
    assert {k: (r["new_members"], r["activation_rate_7d"]) for k, r in rows.items()} == {
        "朋友推荐": (2, 0.5), "公众号": (2, 0.0), None: (1, 0.0)}
    # week W+4 (Mar 23-29) of join week Feb 23 ends in W4: a, c and d active then
    rows = {r["acquisition_channel"]: r for r in extras.channel_rows(_ctx(full, config, W4))}
    assert {k: (r["week4_cohort"], r["week4_retained"], r["week4_retention"]) for k, r in rows.items()} == {
        "朋友推荐": (2, 2, 1.0), "公众号": (2, 0, 0.0), None: (1, 1, 1.0)}
    blocks, _ = extras.extra_blocks(_ctx(full, config, W4, "zh"), "growth")
    table = next(b for b in blocks if b.kind == "table").table
    assert table.headers[0] == "获客渠道"
    assert table.rows[-1] == ["未知", "0", "0", "n/a", "n/a", "n/a", "1", "100.0%"]        # unknown channel last


# ---------------------------------------------------------------------------------------------
# strategy: daily metrics and Mann-Whitney U
# ---------------------------------------------------------------------------------------------

def test_strategy_daily_metrics_mart(bare):
    row = bare.execute("select dau, messages, new_members, top_level_messages, responded_messages, response_rate "
                       "from marts.strategy_metrics_daily where date = '2026-03-02'").fetchone()
    # a, b, e active; a1 and e1 are top-level, a1 got b's reply
    assert row == (3, 3, 0, 2, 1, 0.5)
    assert bare.execute("select new_members from marts.strategy_metrics_daily where date = '2026-02-23'").fetchone() == (5,)


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    """Pipeline-shaped tables with hand-inserted rows: strategy days and weekly KPIs."""
    conn = warehouse.connect(tmp_path_factory.mktemp("hand") / "warehouse.duckdb")
    create_raw_tables(conn)
    build_all(conn, date(2026, 1, 1), date(2026, 3, 31), TZ)
    for schema, table in conn.execute("select schema_name, table_name from duckdb_tables() "
                                      "where schema_name in ('staging', 'intermediate', 'marts')").fetchall():
        conn.execute(f"delete from {schema}.{table}")
    days = [date(2026, 2, 1) + timedelta(days=i) for i in range(59)]       # Feb 1 .. Mar 31
    _insert(conn, "marts.strategy_metrics_daily", [
        {"date": d, "dau": 10 + (i % 5) + (6 if d >= date(2026, 3, 2) else 0), "messages": 30 + (i % 7),
         "new_members": i % 3, "top_level_messages": 4, "responded_messages": 2,
         "response_rate": None if d == date(2026, 2, 20) else 0.5} for i, d in enumerate(days)])
    _insert(conn, "staging.strategies", [
        {"date": date(2026, 3, 2), "name": "每周答疑值班", "description": "Q&A rota"},
        {"date": date(2026, 2, 16), "name": "积分激励计划", "description": "points"},
        {"date": date(2026, 3, 20), "name": "later", "description": "after W1"}])
    yield conn
    conn.close()


def test_mann_whitney_p_value_equals_scipy(hand, config):
    ctx = _ctx(hand, config, W1)
    result = strategy.evaluate(ctx, W1)
    assert [s["name"] for s in result] == ["每周答疑值班", "积分激励计划"]      # started by Mar 8, latest first
    dau = result[0]["effects"][0]
    i = {d: k for k, d in enumerate(date(2026, 2, 1) + timedelta(days=n) for n in range(59))}
    before = [10 + i[date(2026, 2, 16) + timedelta(days=k)] % 5 for k in range(14)]       # Feb 16 .. Mar 1
    after = [16 + i[date(2026, 3, 2) + timedelta(days=k)] % 5 for k in range(7)]          # Mar 2 .. 8 (period end)
    assert dau.before == before and dau.after == after
    assert dau.p_value == mannwhitneyu(after, before, alternative="two-sided").pvalue
    assert dau.p_value == mannwhitneyu(before, after).pvalue                  # two-sided: symmetric
    assert dau.change == pytest.approx(np.mean(after) / np.mean(before) - 1)
    # the response rate of Feb 20 is NULL (no top-level message): left out of the windows that hold it
    rr = result[1]["effects"][3]                                  # started Feb 16: after = Feb 16 .. Mar 1
    assert len(rr.before) == 14 and len(rr.after) == 13 and rr.p_value == 1.0      # all 0.5: no difference
    assert len(result[0]["effects"][3].before) == 13
    section, kpis = strategy.build(ctx)
    assert kpis["strategies_evaluated"] == Kpi(2, 1, 1.0)
    assert section.narrative[0].startswith("Strategies evaluated (started by the end of this period): 2, "
                                           "of which 1 started in it and 1 earlier")


def test_strategies_missing_or_not_started(bare, full, config):
    section, kpis = strategy.build(_ctx(bare, config, W1))
    assert section.narrative == ["No strategies input (strategies) was provided, so no strategy can be evaluated."]
    assert kpis["strategies_evaluated"].value is None
    section, kpis = strategy.build(_ctx(full, config, W0, "zh"))
    assert section.narrative == ["截至本期末没有已开始的运营策略。"] and kpis["strategies_evaluated"].value == 0


# ---------------------------------------------------------------------------------------------
# forecast (outlook) and next-period targets
# ---------------------------------------------------------------------------------------------

def _week(k: int) -> Period:
    start = W1.start + timedelta(days=7 * k)
    return Period("weekly", start, start + timedelta(days=7))


@pytest.fixture(scope="module")
def forecast_conn(hand):
    # new members of weeks W1-4 .. W1 = 10, 12, 11, 15, 14; W1-7 has no members yet (left out),
    # W1-9 is outside the 8-week windows of W1 and of the week before; avg_dau only in two weeks (too short)
    values = {-9: (1000.0, 50.0), -7: (500.0, 0.0), -4: (10.0, 60.0), -3: (12.0, 70.0), -2: (11.0, 80.0),
              -1: (15.0, 90.0), 0: (14.0, 100.0)}
    rows = []
    for k, (new, total) in values.items():
        p = _week(k)
        metrics = {"new_members": new, "total_members": total, "response_rate": 0.5}
        if k in (-1, 0):
            metrics["avg_dau"] = 3.0 + k
        rows += [{"period_start": p.start, "period_end": p.end, "grain": "weekly", "period_key": p.key,
                  "metric": m, "value": v} for m, v in metrics.items()]
    _insert(hand, "marts.kpis_weekly", rows)
    spec = next(s for s in MODELS if s.relation == "marts.outlook_forecast_weekly")
    build_model(hand, spec, _week(-1).start, W1.end, TZ)
    return hand


def test_forecast_is_the_least_squares_line(forecast_conn, config):
    row = forecast_conn.execute("select points, slope, intercept, current_value, forecast from marts.outlook_forecast_weekly "
                                "where period_start = $p and metric = 'new_members'", {"p": W1.start}).fetchone()
    # x = -4..0, y = 10, 12, 11, 15, 14: slope = 11 / 10 = 1.1, value at x=0: 12.4 + 2 * 1.1 = 14.6,
    # next week (x = 1): 15.7
    assert row[0] == 5 and row[1] == pytest.approx(1.1) and row[2] == pytest.approx(14.6) and row[3] == 14.0
    assert row[4] == pytest.approx(15.7)
    x, y = np.arange(-4, 1), np.array([10, 12, 11, 15, 14])
    assert row[4] == pytest.approx(np.polyval(np.polyfit(x, y, 1), 1))
    # made in the week before: x = -3..0, y = 10, 12, 11, 15 -> slope 1.4, forecast 15.5
    kpis = outlook.forecast_kpis(_ctx(forecast_conn, config, W1))
    assert kpis["forecast_new_members"].value == pytest.approx(15.7)
    assert kpis["forecast_new_members"].previous == pytest.approx(15.5)
    assert kpis["forecast_avg_dau"] == Kpi(None, None, None)                  # 2 values: no forecast
    assert kpis["forecast_response_rate"].value == pytest.approx(0.5)         # flat line


def test_outlook_and_targets_state_the_method(forecast_conn, config):
    ctx = _ctx(forecast_conn, config, W1)
    section, _ = outlook.build(ctx)
    assert any("least-squares linear trend over the last 8 weekly values" in s for s in section.narrative)
    assert any(b.kind == "chart" and b.chart.name == "forecast" for b in section.blocks)
    section, kpis = next_plan.build(ctx)
    targets = next(b for b in section.blocks if b.kind == "table" and b.title.startswith("Suggested targets")).table
    # new members: max(15.7, 14) x 1.1 = 17.27 -> "17.3"; response rate: max(0.5, 0.5) x 1.1 = 55%
    assert targets.rows[0][:4] == ["New members", "14", "15.7", "17.3"]
    assert next_plan.suggested_target("new_members", 15.7, 14.0) == pytest.approx(17.27)
    assert next_plan.suggested_target("response_rate", 0.95, 0.5) == 1.0                       # capped
    assert next_plan.suggested_target("median_first_response_minutes", 30.0, 20.0) == pytest.approx(18.0)
    assert next_plan.suggested_target("new_members", None, 14.0) is None


def test_next_plan_items(full, bare, config):
    section, kpis = next_plan.build(_ctx(full, config, W1))
    planned = next(b for b in section.blocks if b.title.startswith("Planned items"))
    # next week (W11): the March item and the open W11 item (not the one already done); the W10 blocked
    # item carries over, the done one not
    assert [r[0] for r in planned.table.rows] == ["发布周报", "整理新人 FAQ"]
    carry = next(b for b in section.blocks if b.title.startswith("Unfinished"))
    assert carry.table.rows == [["招募志愿者", "小张", "2026-03-06", "blocked", "等待预算"]]
    assert kpis["plan_items_next"] == Kpi(2, 2, 0.0)              # open items this week: March, W10 blocked
    assert section.narrative[0] == ("Items planned for 2026-W11: 2; unfinished items of this period that "
                                    "could carry over: 1.")
    section, kpis = next_plan.build(_ctx(bare, config, W1, "zh"))
    assert section.narrative[0] == "未提供运营计划文件（plan），无法列出下期计划事项。"
    assert kpis["plan_items_next"].value is None



# ---------------------------------------------------------------------------------------------
# recommendations
# ---------------------------------------------------------------------------------------------

def _rule(rules, key):
    return next(r for r in rules if r.key == key)


def test_recommendation_thresholds(bare, config):
    ctx = _ctx(bare, config, W1)
    ctx.data.kpis["response_rate"] = Kpi(0.5, 0.6, None)
    ctx.data.kpis["median_first_response_minutes"] = Kpi(60.0, None, None)
    rules, _ = recommendations.evaluate(ctx)
    assert not _rule(rules, "response_rate").triggered            # exactly at the threshold
    assert not _rule(rules, "first_response").triggered
    ctx.data.kpis["response_rate"] = Kpi(0.4999, 0.6, None)
    ctx.data.kpis["median_first_response_minutes"] = Kpi(60.5, None, None)
    rules, _ = recommendations.evaluate(ctx)
    assert _rule(rules, "response_rate").triggered and _rule(rules, "first_response").triggered
    section, _ = recommendations.build(ctx)
    table = section.blocks[0].table
    row = next(r for r in table.rows if r[2] == "Response rate")
    assert row[3:] == ["50.0%", "< 50.0%"] and "back above 50.0%" in row[1]
    checked = section.blocks[1].table.rows
    assert ["Unresolved complaints", "n/a", "> 0", "no data, not evaluated"] in checked
    assert section.kpis[0].metric == "response_rate" and section.kpis[0].value == "50.0%"


def test_recommendations_from_the_warehouse(bare, config):
    rules, _ = recommendations.evaluate(_ctx(bare, config, W1))
    silent = _rule(rules, "silent")
    assert silent.value == 0.25 and not silent.triggered          # 25 % silent <= 50 %
    slot = _rule(rules, "slot")
    assert slot.value is None and not slot.triggered              # 8 member messages (< 20): not evaluated
    ctx = _ctx(bare, config, W1)
    ctx.data.kpis["activation_rate_7d"] = Kpi(0.1, 0.2, -0.5)
    rules, _ = recommendations.evaluate(ctx)
    assert _rule(rules, "onboarding").triggered


def test_recommendations_on_slots_channels_complaints_incidents(hand, config):
    def ts(d, h=12):
        return at(2026, 3, d, h)
    _insert(hand, "marts.activity_heatmap_daily",
            [{"date": date(2026, 3, 3), "weekday": 2, "hour": 20, "messages": 10}]
            + [{"date": date(2026, 3, 4), "weekday": 3, "hour": h, "messages": 2} for h in range(9, 14)])
    _insert(hand, "marts.content_channel_daily", [
        {"date": date(2026, 2, 24), "source": "forum", "channel_id": "c1", "channel_name": "help", "messages": 40},
        {"date": date(2026, 3, 3), "source": "forum", "channel_id": "c1", "channel_name": "help", "messages": 20},
        {"date": date(2026, 2, 24), "source": "forum", "channel_id": "c2", "channel_name": "tiny", "messages": 10},
        {"date": date(2026, 3, 3), "source": "forum", "channel_id": "c2", "channel_name": "tiny", "messages": 1}])
    _insert(hand, "staging.feedback", [
        {"feedback_id": "F1", "kind": "complaint", "status": "open", "received_at": ts(3), "local_date": date(2026, 3, 3)},
        {"feedback_id": "F2", "kind": "complaint", "status": "resolved", "received_at": ts(4),
         "local_date": date(2026, 3, 4), "resolved_at": ts(10)},                      # resolved after the week
        {"feedback_id": "F3", "kind": "complaint", "status": "resolved", "received_at": ts(4),
         "local_date": date(2026, 3, 4), "resolved_at": ts(5)},
        {"feedback_id": "F4", "kind": "suggestion", "status": "open", "received_at": ts(4), "local_date": date(2026, 3, 4)},
        {"feedback_id": "F5", "kind": "complaint", "status": "open", "received_at": ts(9), "local_date": date(2026, 3, 9)}])
    _insert(hand, "staging.incidents", [
        {"title": "bot down", "status": "open", "opened_at": ts(1), "local_date": date(2026, 3, 1)},
        {"title": "export failed", "status": "resolved", "opened_at": ts(4), "local_date": date(2026, 3, 4),
         "resolved_at": ts(6)}])
    try:
        rules, _ = recommendations.evaluate(_ctx(hand, config, W1))
        slot = _rule(rules, "slot")                     # 10 messages vs the mean of 6 slots (20 / 6): 3x
        assert slot.value == pytest.approx(3.0) and slot.triggered and slot.params["slot"] == "Tue 20:00–21:00"
        channel = _rule(rules, "channel")               # help: 40 -> 20 (-50 %); tiny had < 20 before: ignored
        assert channel.value == pytest.approx(-0.5) and channel.triggered and channel.params["channel"] == "help"
        assert _rule(rules, "complaints").value == 2 and _rule(rules, "complaints").triggered
        assert _rule(rules, "incidents").value == 1 and _rule(rules, "incidents").triggered
        section, _ = recommendations.build(_ctx(hand, config, W1, "zh"))
        texts = [r[1] for r in section.blocks[0].table.rows]
        assert "把公告和活动预告安排在最活跃的时段 周二 20:00–21:00（10 条消息，是平均时段的 3.0 倍）。" in texts
        assert "有 2 条投诉尚未解决：指定负责人，一周内回复。" in texts
    finally:
        for table in ("marts.activity_heatmap_daily", "marts.content_channel_daily", "staging.feedback",
                      "staging.incidents"):
            hand.execute(f"delete from {table}")

# ---------------------------------------------------------------------------------------------
# the rendered report, zh and en
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered(full, bare, config, tmp_path_factory):
    out = {}
    mp = pytest.MonkeyPatch()
    mp.setattr(render, "write_documents", lambda *a, **k: {})
    try:
        for name, conn in (("full", full), ("bare", bare)):
            for lang in ("zh", "en"):
                folder = tmp_path_factory.mktemp(f"{name}_{lang}")
                paths = render_report(conn, replace(config, language=lang), W1, folder)
                out[(name, lang)] = (paths["html"].read_text("utf-8"), paths["md"].read_text("utf-8"),
                                     json.loads(paths["metrics"].read_text("utf-8")), paths)
    finally:
        mp.undo()
    return out


MY_SECTIONS = ["profile", "strategy", "recommendations", "next_plan", "outlook"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sections_render_in_both_languages(rendered, lang):
    html, md, metrics, _ = rendered[("full", lang)]
    for slug in MY_SECTIONS:
        title = SECTION_TITLES[lang][slug]
        assert f'<section id="{slug}">' in html and f"\n## {title}\n" in md
    other = "en" if lang == "zh" else "zh"
    for slug in MY_SECTIONS:
        assert f"## {SECTION_TITLES[other][slug]}\n" not in md
    m = metrics["metrics"]
    for key in ("segment_core", "segment_silent_share", "published_items", "profile_coverage", "tagged_members",
                "strategies_evaluated", "plan_items_next", "forecast_new_members", "forecast_avg_dau"):
        assert key in m and key in METRIC_KINDS
    assert m["segment_core"] == {"value": 1, "previous": 0, "change": None}
    assert m["published_items"] == {"value": 3, "previous": 1, "change": 2.0}
    assert m["published_views"] == {"value": 1700, "previous": 400, "change": 3.25}
    assert m["published_engagement_rate"]["value"] == pytest.approx(129 / 1700)
    assert m["profile_coverage"]["value"] == 0.75


def test_rendered_tables_and_sentences(rendered):
    html, md, _, _ = rendered[("full", "en")]
    assert "| Core | active on ≥ 50% of days | 1 | 25.0% | 0 | n/a |" in md
    assert "| Silent | not active in the period | 1 | 25.0% | 4 | -75.0% |" in md
    assert "| 1 | 大模型 | 4 | 4 | 3 |" in md
    assert "| article | 2 | 1,200 | 52 | 11 | 41 | 8.7% |" in md
    assert "&lt;b&gt;直播回放&lt;/b&gt;" in html and "<b>直播回放</b>" not in html      # input text is escaped
    assert "75.0% of the 4 members at period end have a profile." in html
    zh_html, zh_md, _, _ = rendered[("full", "zh")]
    assert "| 核心 | 活跃天数 ≥ 50% | 1 | 25.0% | 0 | n/a |" in zh_md
    assert "期末 4 名成员中，75.0% 有画像资料。" in zh_html


@pytest.mark.parametrize("lang, sentences", [
    ("en", ["No published-content input (content) was provided, so content performance is not shown.",
            "No member profiles (member_profiles) were provided, so region, gender, age band and acquisition channel cannot be shown.",
            "No strategies input (strategies) was provided, so no strategy can be evaluated.",
            "No plan input (plan) was provided, so no planned items can be listed."]),
    ("zh", ["未提供已发布内容文件（content），本节不含内容表现数据。",
            "未提供成员画像文件（member_profiles），无法统计地区、性别、年龄段和获客渠道分布。",
            "未提供运营策略文件（strategies），无法评估策略成效。",
            "未提供运营计划文件（plan），无法列出下期计划事项。"]),
])
def test_missing_inputs_are_said(rendered, lang, sentences):
    html, md, metrics, _ = rendered[("bare", lang)]
    for sentence in sentences:
        assert sentence in html and md_escape(sentence) in md
    m = metrics["metrics"]
    assert m["published_items"]["value"] is None and m["strategies_evaluated"]["value"] is None
    assert m["plan_items_next"]["value"] is None and m["segment_core"]["value"] == 1


def test_rendering_is_deterministic(full, config, tmp_path, monkeypatch):
    cfg = replace(config, language="zh")
    a = render_report(full, cfg, W1, tmp_path / "a")
    b = render_report(full, cfg, W1, tmp_path / "b")
    for name in ("html", "md", "metrics"):
        assert a[name].read_bytes() == b[name].read_bytes(), name
    charts = {p.name for p in (tmp_path / "a" / "charts").glob("*.svg")}
    assert {"segments.svg", "keywords.svg", "profile.svg", "interest_tags.svg", "published.svg"} <= charts


def test_a_text_shared_by_several_messages_is_segmented_once(monkeypatch):
    """Chat repeats itself ("谢谢", "+1", bot lines): each distinct text of the sample goes through
    jieba once, and its keywords still count for every message (and person) that wrote it."""
    import duckdb

    conn = duckdb.connect()
    conn.execute("create schema staging")
    conn.execute("create table staging.members (person_key varchar, is_bot boolean)")
    conn.execute("insert into staging.members values ('p1', false), ('p2', false), ('p3', false)")
    conn.execute("""create table staging.messages (message_key varchar, person_key varchar, text varchar,
                                                   local_date date, kind varchar, is_bot boolean, has_text boolean)""")
    texts = [("m1", "p1", "大模型 大模型 rust"), ("m2", "p1", "大模型 大模型 rust"), ("m3", "p2", "大模型 大模型 rust"),
             ("m4", "p3", "rust 前端")]
    conn.executemany("insert into staging.messages values (?, ?, ?, date '2026-11-17', 'message', false, true)", texts)
    calls = []
    original = _text.segment
    monkeypatch.setattr(_text, "segment", lambda text: calls.append(text) or original(text))
    week = period_containing("weekly", date(2026, 11, 17))
    rows = _text.top_keywords(conn, week, limit=10)
    assert sorted(calls) == ["rust 前端", "大模型 大模型 rust"]
    assert rows == [{"keyword": "大模型", "mentions": 6, "messages": 3, "persons": 2},
                    {"keyword": "rust", "mentions": 4, "messages": 4, "persons": 3},
                    {"keyword": "前端", "mentions": 1, "messages": 1, "persons": 1}]


def test_a_report_counts_each_periods_member_messages_once(bare, config, tmp_path, monkeypatch):
    """The profile (interest tags) and the content section (keywords) both need the current
    period's member-message count, a scan of the period's messages: one query per period."""
    counted = []
    original = _text.member_text_count
    monkeypatch.setattr(_text, "member_text_count", lambda conn, period: counted.append(period) or original(conn, period))
    render_report(bare, config, W1, tmp_path / "w1")
    assert sorted(counted, key=lambda p: p.start) == [W1.previous(), W1]


def test_top_keywords_of_a_big_period_count_a_fixed_sample(bare):
    """Over ``sample`` member messages, the keywords are counted on the ones with the smallest
    hash(message_key): checked against segmenting exactly those messages here, in Python."""
    from collections import Counter

    texts = bare.execute("""
        select m.message_key, m.person_key, m.text from staging.messages m
        left join (select person_key, bool_or(is_bot) as is_bot from staging.members group by 1) p using (person_key)
        where m.local_date >= $s and m.local_date < $e and m.kind <> 'system' and not m.is_bot
          and not coalesce(p.is_bot, false) and nullif(trim(m.text), '') is not null
        order by hash(m.message_key), m.message_key limit 3""", {"s": W1.start, "e": W1.end}).fetchall()
    assert _text.member_text_count(bare, W1) > 3
    mentions, messages, persons = Counter(), {}, {}
    for key, person, text in texts:
        for word in _text.segment(text):
            mentions[word] += 1
            messages.setdefault(word, set()).add(key)
            persons.setdefault(word, set()).add(person)
    rows = _text.top_keywords(bare, W1, limit=100, sample=3)
    assert {r["keyword"]: (r["mentions"], r["messages"], r["persons"]) for r in rows} == {
        w: (n, len(messages[w]), len(persons[w])) for w, n in mentions.items()}
    assert rows == _text.top_keywords(bare, W1, limit=100, sample=3)          # the same sample every time
