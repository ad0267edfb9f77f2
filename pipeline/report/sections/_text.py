"""What members write: top keywords (content section) and interest tags (profile section).

Not a section: it registers nothing.

Keywords. Chinese has no spaces, so the period's member messages are segmented as jieba does
(jieba's dictionary and algorithm, computed by its Rust port jieba-rs: :class:`Segmenter`; loaded
once per process, no network; HMM on, which is deterministic). Latin-script text is lower-cased
and split into word tokens by the same pass.
Stop words (``stopwords_zh.txt`` / ``stopwords_en.txt`` beside this file), one-character tokens,
numbers, URLs, mentions and emoji codes are removed. The segmentation is a DuckDB scalar Python UDF
(``cr_segment``) registered on the report's connection for the duration of one query; DuckDB reads
the period's texts, unnests the tokens and does the counting (mentions, messages, distinct
persons). Only one period's member messages go through Python, and only their text, at most
``KEYWORD_SAMPLE`` of them (a fixed hash-ordered sample beyond that, said in the report), each
distinct text once (a text several messages share is segmented for all of them).

Interest tags. The keyword -> tag dictionary (pipeline/interest_tags.py: ``interest_tags.yaml``
or ``settings.interest_tags`` of community.yaml) is compiled into one regular expression per tag
(Chinese keywords as substrings, Latin keywords as whole words, case-insensitive). Each message is
matched when its day is modelled (``marts.interest_tags_daily``); a period's counts are sums over
its days (:func:`period_tag_counts`). Where the mart cannot answer for the period (not built, built
with another dictionary, or missing days), DuckDB matches the period's member messages directly
(:func:`tag_counts`): same numbers, one regex pass over the period's text.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

import duckdb

from pipeline.interest_tags import CJK as _CJK
from pipeline.interest_tags import DEFAULT_TAGS, Tag, fingerprint, load_tags, tag_pattern
from pipeline.periods import Period
from pipeline.report.sections._util import query_text, run_sql, table_exists

HERE = Path(__file__).resolve().parent
UDF_NAME = "cr_segment"
USER_WORD_FREQ = 10_000

_LATIN_TOKEN = re.compile(r"[a-z][a-z0-9+#._\-]*|[0-9]+[a-z][a-z0-9+#._\-]*")
_NOISE = re.compile(
    r"https?://\S+|www\.\S+"            # links
    r"|<[@#!][^>]*>"                    # Slack / Discord mentions <@U123>, <#C1>, <!here>
    r"|@\S+"                            # @name
    r"|:[a-z0-9_+\-]+:"                 # emoji codes :thumbsup:
    r"|`[^`]*`",                        # inline code: error messages are not topics
    re.IGNORECASE)
_LOCK = threading.Lock()
log = logging.getLogger(__name__)


def _word_list(path: Path) -> list[str]:
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line.lower())
    return words


@lru_cache(maxsize=None)
def stop_words() -> frozenset[str]:
    return frozenset(_word_list(HERE / "stopwords_zh.txt") + _word_list(HERE / "stopwords_en.txt"))


class Segmenter:
    """jieba's segmentation (``jieba.cut``, HMM on) computed by jieba-rs (``rjieba``), its Rust port.

    Same dictionary (jieba's own ``dict.txt``, loaded word by word with its frequencies), same
    algorithm (prefix DAG, best route, HMM for runs of unknown characters), ~5x faster than the
    Python package: jieba was ~12 % of a backfill's report CPU. One difference is undone here:
    jieba-rs keeps a run of Latin letters and digits joined by ``. _ - % & + #`` as one token
    (``node.js``), where jieba splits it with its HMM's skip pattern (``node`` ``.`` ``js``;
    decimals such as ``3.5`` and ``20%`` stay whole); such a token is split the same way unless it
    is a dictionary word (``c++``, ``c#``, ``at&t``). tests/test_sections_analytics.py checks that
    the tokens equal the Python package's on the real fixtures' texts and on edge cases.
    """

    _JOINED = re.compile(r"[._\-%&+#]")
    _SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")        # jieba.finalseg.re_skip

    def __init__(self, rjieba_instance, joined_words: frozenset[str]):
        self._rj = rjieba_instance
        self._joined_words = joined_words

    def cut(self, text: str) -> list[str]:
        out: list[str] = []
        for token in self._rj.cut(text, True):
            if len(token) > 1 and token.isascii() and self._JOINED.search(token) \
                    and token not in self._joined_words:
                out.extend(piece for piece in self._SKIP.split(token) if piece)
            else:
                out.append(token)
        return out


def _jieba_dictionary() -> Path:
    """jieba's dictionary file (the ``jieba`` package's dict.txt), found without importing jieba."""
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the jieba package (its dictionary) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


@lru_cache(maxsize=None)
def tokenizer() -> Segmenter:
    """The segmenter: jieba's dictionary + ``userdict_zh.txt`` + the default tag's Chinese keywords.

    Built once per process (~0.5 s: 349k dictionary words). The extra words do not depend on the
    community's config, so segmentation is the same everywhere.
    """
    import rjieba

    with _LOCK:
        rj = rjieba.Jieba.empty()
        extra = set(_word_list(HERE / "userdict_zh.txt"))
        in_dictionary: dict[str, int] = {}          # frequency in jieba's dictionary of an extra word
        joined = {w for w in extra if w.isascii() and Segmenter._JOINED.search(w)}
        with _jieba_dictionary().open(encoding="utf-8") as f:
            for line in f:
                word, count, *tag = line.split()
                rj.add_word(word, int(count), tag[0] if tag else None)
                if word in extra:
                    in_dictionary[word] = int(count)
                if word.isascii() and Segmenter._JOINED.search(word):
                    joined.add(word)                 # stays whole: c++, c#, at&t
        # community words get a frequency that beats common overlapping words of jieba's dictionary
        # (做出 3,306; 海产品 52), so 做出海产品 is 做 / 出海 / 产品 and not 做出 / 海产品
        for w in sorted(extra):
            rj.add_word(w, max(USER_WORD_FREQ, in_dictionary.get(w, 0)), None)
        for w in sorted({k.lower() for tag in load_tags(DEFAULT_TAGS) for k in tag.keywords if _CJK.search(k)}):
            if not rj.has_word(w):
                rj.add_word(w, None, None)   # jieba suggests a frequency that keeps the word whole
    return Segmenter(rj, frozenset(joined))


def _keep(token: str) -> bool:
    if token in stop_words():
        return False
    if _CJK.search(token):
        return len(token) >= 2 and not any(c.isspace() for c in token)
    return len(token) >= 2 and _LATIN_TOKEN.fullmatch(token) is not None


def segment(text: str | None) -> list[str]:
    """Content words of one message, in order (duplicates kept: mentions count occurrences)."""
    if not text:
        return []
    clean = _NOISE.sub(" ", text).lower()
    return [tok for tok in (t.strip() for t in tokenizer().cut(clean)) if tok and _keep(tok)]


def _register(conn: duckdb.DuckDBPyConnection) -> None:
    try:
        from duckdb.sqltypes import VARCHAR
    except ImportError:                      # older duckdb
        from duckdb.typing import VARCHAR
    try:
        conn.remove_function(UDF_NAME)
    except Exception:                        # not registered on this connection
        pass
    conn.create_function(UDF_NAME, segment, [VARCHAR], duckdb.list_type(VARCHAR), side_effects=False)


# jieba segments ~0.5 MB of text per second: a period with more member messages than this has its
# keywords counted on a fixed sample of them (the report says so). 20,000 chat messages take ~2 s.
KEYWORD_SAMPLE = 20_000


def top_keywords(conn: duckdb.DuckDBPyConnection, period: Period, limit: int = 20,
                 sample: int = KEYWORD_SAMPLE) -> list[dict]:
    """keyword, mentions, messages, persons of the period's member messages (at most ``sample`` of
    them, the same ones on every run), most mentioned first."""
    tokenizer()                              # load jieba outside the query (once per process)
    _register(conn)
    try:
        return run_sql(conn, over_member_texts(query_text("content_keywords")),
                     {"period_start": period.start, "period_end": period.end, "limit": limit, "sample": sample})
    finally:
        conn.remove_function(UDF_NAME)


def over_member_texts(ctes_then_select: str) -> str:
    """A query over the period's member messages: ``queries/member_texts.sql`` as the first CTE,
    ``texts``, followed by ``ctes_then_select`` (one or more CTEs reading it, then the SELECT)."""
    return f"with texts as (\n{query_text('member_texts').strip()}\n),\n\n{ctes_then_select}"


def member_text_count(conn: duckdb.DuckDBPyConnection, period: Period) -> int:
    sql = over_member_texts("counted as (select count(*) as messages from texts)\nselect messages from counted")
    return int(run_sql(conn, sql, {"period_start": period.start, "period_end": period.end})[0]["messages"])


# ---------------------------------------------------------------------------------------------
# interest tags
# ---------------------------------------------------------------------------------------------

def tag_counts(conn: duckdb.DuckDBPyConnection, period: Period, tags: list[Tag]) -> tuple[dict[str, dict], dict]:
    """({tag key: {persons, messages}}, {persons, messages} with any tag) for the period.

    One pass over the period's member messages (``queries/member_texts.sql``): each lower-cased
    text is matched once against each tag's pattern, bound as a constant ``$tag_<i>`` (DuckDB compiles
    a constant pattern once; a pattern taken from a joined column would be compiled again for
    every message), and "any tag" is the OR of those matches. The generated SQL holds only
    column names made from the tags' positions; the patterns are parameters. (It replaced one
    query per tag plus one with all patterns: the texts were read, joined and lower-cased
    ``len(tags) + 1`` times and matched ``2 * len(tags)`` times.) ``texts`` has one row per
    message, so a tag's messages are a plain count.
    """
    if not tags:                                   # load_tags never returns none; be explicit anyway
        return {}, {"persons": 0, "messages": 0}
    flags = ",\n        ".join(f"regexp_matches(text, $tag_{i}) as tag_{i}" for i in range(len(tags)))
    any_tag = " or ".join(f"tag_{i}" for i in range(len(tags)))
    counts = ",\n    ".join(
        f"count(distinct person_key) filter (where {cond}) as persons_{name},\n    "
        f"count(*) filter (where {cond}) as messages_{name}"
        for name, cond in [*((str(i), f"tag_{i}") for i in range(len(tags))), ("any", any_tag)])
    sql = over_member_texts(
        "lowered as (\n    select message_key, person_key, lower(text) as text from texts\n),\n\n"
        f"flagged as (\n    select\n        message_key,\n        person_key,\n        {flags}\n    from lowered\n)\n\n"
        f"select\n    {counts}\nfrom flagged")
    params = {"period_start": period.start, "period_end": period.end,
              **{f"tag_{i}": tag_pattern(t) for i, t in enumerate(tags)}}
    values = run_sql(conn, sql, params)[0]
    by_tag = {t.key: {"persons": values[f"persons_{i}"], "messages": values[f"messages_{i}"]}
              for i, t in enumerate(tags)}
    return by_tag, {"persons": values["persons_any"], "messages": values["messages_any"]}


def period_tag_counts(conn: duckdb.DuckDBPyConnection, period: Period, tags: list[Tag],
                      member_messages: int) -> tuple[dict[str, dict], dict]:
    """:func:`tag_counts` of the period, from ``marts.interest_tags_daily`` when it can answer.

    It can when it exists, every row of the period was matched with this dictionary
    (:func:`pipeline.interest_tags.fingerprint`) and its member messages add up to
    ``member_messages``, the period's count from the messages themselves (a day not modelled yet,
    or modelled before its messages changed, would not). Otherwise the period's text is matched
    here, and the log says why."""
    if not tags:
        return {}, {"persons": 0, "messages": 0}
    why = "it does not exist"
    if table_exists(conn, "marts", "interest_tags_daily"):
        rows = run_sql(conn, query_text("interest_tags_period"),
                       {"period_start": period.start, "period_end": period.end, "dictionary": fingerprint(tags)})
        by_key = {r["tag_key"]: r for r in rows}
        counted = by_key.get(None, {}).get("messages") or 0
        if any(r["other_dictionary_rows"] for r in rows):
            why = "it was built with another interest-tag dictionary"
        elif counted != member_messages:
            why = f"it holds {counted} of the period's {member_messages} member messages"
        else:
            by_tag = {t.key: {"persons": by_key.get(t.key, {}).get("persons", 0),
                              "messages": by_key.get(t.key, {}).get("messages", 0)} for t in tags}
            total = by_key[None]
            return by_tag, {"persons": total["persons"], "messages": total["tagged_messages"]}
    log.warning("interest tags of %s %s: marts.interest_tags_daily not used (%s); matching the period's "
                "messages instead (rebuild the mart's daily partitions to make this fast again)",
                period.grain, period.key, why)
    return tag_counts(conn, period, tags)
