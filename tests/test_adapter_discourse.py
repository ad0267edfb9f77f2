"""Discourse API JSON adapter through the real ingest framework into a real DuckDB file.

The real samples (``../shared/fixtures/real/discourse``: responses captured by the official
Ruby client's tests, 2013–2020) are read in place and copied into ``tmp_path``; expected rows
are computed here with Python's ``json`` over the same files.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.build import build_all  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.ingest.loader import ingest_source  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402

DISCOURSE = ROOT.parent / "shared" / "fixtures" / "real" / "discourse" / "discourse_api"
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
TZ = "Asia/Shanghai"

pytestmark = pytest.mark.skipif(not DISCOURSE.is_dir(), reason=f"real Discourse samples not found at {DISCOURSE}")


def _project(tmp_path: Path, extra: str = "") -> Path:
    landing = tmp_path / "landing"
    landing.mkdir(parents=True)
    (tmp_path / "community.yaml").write_text(
        "community:\n  name: Test\n  timezone: " + TZ + "\nwarehouse: data/warehouse.duckdb\n"
        "sources:\n  - name: forum\n    platform: discourse\n    path: landing\n" + extra, encoding="utf-8")
    return landing


def _ingest(tmp_path: Path):
    cfg = load_config(tmp_path / "community.yaml")
    conn = connect(cfg.warehouse)
    return cfg, conn, ingest_source(conn, cfg, cfg.sources[0], now=NOW)


def _rows(conn, sql: str, params=None):
    return conn.execute(sql, params or {}).fetchall()


def _load(path: Path):
    return json.loads(path.read_bytes().decode("utf-8-sig"))


def _posts(doc) -> list[tuple[str, dict, str | None]]:
    """(location prefix, post, topic id from the enclosing topic) for every post of a response."""
    if not isinstance(doc, dict):
        return []
    out = [(f"post_stream.posts[{i}]", p, doc.get("id")) for i, p in enumerate((doc.get("post_stream") or {}).get("posts", []))]
    out += [(f"latest_posts[{i}]", p, None) for i, p in enumerate(doc.get("latest_posts") or [])]
    if "post_number" in doc and "topic_id" in doc:
        out.append(("root", doc, None))
    return out


def _expected_messages(path: Path) -> list[tuple]:
    doc = _load(path)
    out = []
    for loc, p, topic in _posts(doc):
        t = p.get("topic_id", topic)
        n = p["post_number"]
        kind = "system" if p.get("post_type") in (2, 3) else ("message" if n == 1 else "reply")
        parent = f"{t}:{p.get('reply_to_post_number') or 1}" if kind == "reply" else None
        out.append((f"{loc} (post {p['id']})", f"{t}:{n}", str(p.get("user_id")), kind, parent))
    if isinstance(doc, dict):
        for i, t in enumerate((doc.get("topic_list") or {}).get("topics", [])):
            posters = t.get("posters") or []
            if not posters:
                continue
            op = next((x for x in posters if "Original Poster" in (x.get("description") or "")), posters[0])
            out.append((f"topic_list.topics[{i}] (topic {t['id']})", f"{t['id']}:1", str(op["user_id"]), "message", None))
    return out


def _expected_user_ids(path: Path) -> set[str]:
    doc = _load(path)
    ids = set()
    if isinstance(doc, list):
        ids |= {str(u["id"]) for u in doc}
        return ids
    for key in ("users", "featured_users", "members"):
        ids |= {str(u["id"]) for u in doc.get(key) or []}
    details = doc.get("details") or {}
    ids |= {str(u["id"]) for u in details.get("participants") or []}
    ids |= {str(details[k]["id"]) for k in ("created_by", "last_poster") if isinstance(details.get(k), dict)}
    ids |= {str((item.get("user") or item)["id"]) for item in doc.get("directory_items") or []}
    if isinstance(doc.get("user"), dict):
        ids.add(str(doc["user"]["id"]))
    if "username" in doc and "post_number" not in doc:
        ids.add(str(doc["id"]))
    ids |= {str(p["user_id"]) for _, p, _ in _posts(doc) if "user_id" in p}
    return ids


def _expected_likes(path: Path) -> list[tuple]:
    out = []
    for loc, p, topic in _posts(_load(path)):
        for j, a in enumerate(p.get("actions_summary") or []):
            if a.get("id") == 2 and (a.get("count") or 0) > 0:
                out.append((f"{loc} (post {p['id']}).actions_summary[{j}]",
                            f"{p.get('topic_id', topic)}:{p['post_number']}", a["count"]))
    return out


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("discourse_real")
    landing = _project(tmp_path)
    for f in DISCOURSE.glob("*.json"):
        shutil.copy(f, landing / f.name)
    cfg, conn, result = _ingest(tmp_path)
    yield cfg, conn, result
    conn.close()


def _files() -> list[Path]:
    return sorted(DISCOURSE.glob("*.json"))


def test_every_real_sample_loads(real):
    _, conn, result = real
    assert len(result.units) == len(_files()) == 15
    assert {u.status for u in result.units} == {"loaded"}, [u.error for u in result.units if u.error]
    assert _rows(conn, "select count(*) from raw.quarantine") == [(0,)]


@pytest.mark.parametrize("path", _files() if DISCOURSE.is_dir() else [], ids=lambda p: p.name)
def test_messages_users_and_likes_match_json(real, path):
    _, conn, _ = real
    got = _rows(conn, "select location, message_id, author_id, kind, parent_id from raw.messages "
                      "where file_path = $p", {"p": path.name})
    assert sorted(got, key=str) == sorted(_expected_messages(path), key=str)
    users = {u for (u,) in _rows(conn, "select user_id from raw.user_listings where file_path = $p", {"p": path.name})}
    assert users == _expected_user_ids(path)
    likes = _rows(conn, "select location, message_id, reaction_count from raw.reactions where file_path = $p",
                  {"p": path.name})
    assert sorted(likes) == sorted(_expected_likes(path))
    assert _rows(conn, "select count(*) from raw.reactions where file_path = $p and (reactor_id is not null "
                       "or reaction <> 'like')", {"p": path.name}) == [(0,)]


def test_topic_threads_and_fields(real):
    _, conn, _ = real
    rows = _rows(conn, """select message_id, kind, system_event, parent_id, thread_id, author_name, author_is_bot,
                                 channel_id, channel_name, sent_at, is_edited, has_attachment
                          from raw.messages where file_path = 'topic.json' order by location""")
    assert [r[:5] for r in rows] == [
        ("57:1", "message", None, None, None),
        ("57:2", "system", "other", None, "57:1"),        # moderator action (pinned notice)
        ("57:3", "reply", None, "57:1", "57:1"),          # reply_to_post_number null → the topic
        ("57:14", "reply", None, "57:1", "57:1"),         # reply_to_post_number 1
    ]
    assert rows[0][5:10] == ("Sam Saffron", None, "13", "category 13",
                             datetime(2013, 2, 4, 20, 26, 26, 278000, tzinfo=timezone.utc))   # -05:00 offset
    assert [r[11] for r in rows] == [False, False, True, True]                  # images in cooked
    # the system user (id -1) is a bot; posts.json text comes from raw
    assert _rows(conn, "select author_is_bot, text from raw.messages where location = 'latest_posts[0] (post 15)' "
                       "and file_path = 'posts_latest.json'") == [(None, "holla bullhonky.")]
    assert _rows(conn, "select distinct author_is_bot from raw.messages where author_id = '-1'") == [(True,)]
    assert _rows(conn, "select is_bot from raw.users where user_id = '-1' limit 1") == [(True,)]
    # private-message topics get their own channel
    assert _rows(conn, "select channel_id from raw.messages where file_path = 'private_messages.json'") \
        == [("private_messages",)]
    # user objects carry created_at (the join date) and e-mail
    assert _rows(conn, "select joined_at, email from raw.user_listings where file_path = 'user.json'") == [
        (datetime(2014, 9, 4, 12, 4, 25, 104000, tzinfo=timezone.utc), "test_user@example.com")]


def test_overlapping_pages_are_one_message_in_staging(real):
    cfg, conn, _ = real
    # posts_latest.json and posts_before.json repeat posts 14, 10 and 2
    ids = {m[1] for f in ("posts_latest.json", "posts_before.json") for m in _expected_messages(DISCOURSE / f)}
    assert ids == {"11:2", "11:1", "7:1", "2:1"}
    build_all(conn, date(2020, 1, 24), date(2020, 1, 27), cfg.timezone)
    got = {k for (k,) in _rows(conn, "select message_key from staging.messages")}
    assert got == {f"forum:{i}" for i in ids}
    assert _rows(conn, "select parent_key, thread_key from staging.messages where message_key = 'forum:11:2'") \
        == [("forum:11:1", "forum:11:1")]


def test_category_names_option(tmp_path):
    landing = _project(tmp_path, extra="    categories: {1: 公告, 3: 站务}\n")
    shutil.copy(DISCOURSE / "posts_latest.json", landing / "posts.json")
    _, conn, _ = _ingest(tmp_path)
    assert sorted(set(_rows(conn, "select channel_id, channel_name from raw.messages"))) == [("1", "公告"), ("3", "站务")]


def test_damaged_inputs(tmp_path):
    landing = _project(tmp_path)
    doc = _load(DISCOURSE / "posts_latest.json")
    doc["latest_posts"][0]["created_at"] = "yesterday at noon"
    doc["latest_posts"][1]["user_id"] = 4.12e17                 # a float id: digits may be lost
    doc["latest_posts"][2]["user_id"] = "4.12E+17"              # a spreadsheet's rendering
    (landing / "posts_bad.json").write_text(json.dumps(doc), encoding="utf-8")
    text = (DISCOURSE / "topic.json").read_text(encoding="utf-8")
    (landing / "topic_truncated.json").write_text(text[: len(text) // 3], encoding="utf-8")
    (landing / "error.json").write_text('{"errors": ["The requested URL or resource could not be found."], '
                                        '"error_type": "not_found"}', encoding="utf-8")
    (landing / "report.json").write_text('{"report": {"type": "signups", "data": []}}', encoding="utf-8")
    (landing / "topic_utf16.json").write_bytes(text.encode("utf-16"))
    _, conn, result = _ingest(tmp_path)
    errors = {u.file_path: u.error for u in result.units}
    assert errors["posts_bad.json"] is None and errors["topic_utf16.json"] is None
    assert errors["topic_truncated.json"].startswith("topic_truncated.json: at line ")
    assert "a complete JSON document" in errors["topic_truncated.json"]
    assert errors["error.json"].startswith("error.json: at root key 'errors': expected a successful Discourse")
    assert errors["report.json"].startswith("report.json: at root object: expected a Discourse API response")
    sci = ("is a number in scientific notation: a spreadsheet rewrote it and its digits are lost (expected "
           "the id as text: re-export the file, or format the column as text before saving)")
    assert _rows(conn, "select entity, rule, location, reason from raw.quarantine order by all") == [
        ("messages", "scientific_notation_id", "latest_posts[1] (post 14)",
         f"posts_bad.json at latest_posts[1] (post 14): id 4.12e+17 {sci}"),
        ("messages", "scientific_notation_id", "latest_posts[2] (post 10)",
         f"posts_bad.json at latest_posts[2] (post 10): id 4.12E+17 {sci}"),
        ("messages", "unparseable_time", "latest_posts[0] (post 15)",
         "posts_bad.json at latest_posts[0] (post 15): expected a timestamp, found 'yesterday at noon'"),
        ("users", "scientific_notation_id", "latest_posts[1] (post 14).user_id",
         f"posts_bad.json at latest_posts[1] (post 14).user_id: id 4.12e+17 {sci}"),
        ("users", "scientific_notation_id", "latest_posts[2] (post 10).user_id",
         f"posts_bad.json at latest_posts[2] (post 10).user_id: id 4.12E+17 {sci}"),
    ]
    assert _rows(conn, "select count(*) from raw.messages where file_path = 'topic_utf16.json'") == [(4,)]
