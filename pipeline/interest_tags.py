"""The interest-tag dictionary (product.md §5.9): keyword -> tag, compiled into one pattern per tag.

The dictionary is ``interest_tags.yaml`` beside this file, or ``settings.interest_tags`` of
community.yaml (a YAML path or the mapping itself). Each tag becomes one RE2 pattern over the
lower-cased text (:func:`tag_pattern`: Chinese keywords anywhere, Latin ones as whole words).

Two readers: the daily mart ``marts.interest_tags_daily`` (sql/marts/profile/interest_tags_daily.sql,
which gets the patterns from :func:`model_inputs`), and the profile section's direct count over a
period's messages (pipeline/report/sections/_text.py), used when the mart cannot answer.
:func:`fingerprint` identifies a dictionary's patterns, so a mart built with another dictionary
is recognised.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_TAGS = Path(__file__).resolve().parent / "interest_tags.yaml"
# the dictionary fingerprint of a mart built while the configured dictionary could not be read
INVALID_DICTIONARY = "invalid"

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Tag:
    key: str
    names: tuple[tuple[str, str], ...]       # (language, display name)
    keywords: tuple[str, ...]

    def name(self, language: str) -> str:
        return dict(self.names).get(language, self.key)


class TagDictionaryError(ValueError):
    """An interest-tag dictionary that cannot be used; the message says where and why."""


def parse_tags(mapping, where: str) -> list[Tag]:
    if not isinstance(mapping, dict) or not mapping:
        raise TagDictionaryError(f"{where}: expected a non-empty mapping tag -> keywords")
    tags = []
    for key, spec in mapping.items():
        names: dict[str, str] = {}
        if isinstance(spec, dict):
            keywords = spec.get("keywords")
            names = {lang: str(spec[lang]) for lang in ("zh", "en") if spec.get(lang)}
        else:
            keywords = spec
        if isinstance(keywords, str):
            keywords = [keywords]
        if not isinstance(keywords, list) or not keywords:
            raise TagDictionaryError(f"{where}: tag {key!r}: expected a list of keywords")
        clean = tuple(dict.fromkeys(str(k).strip() for k in keywords if str(k).strip()))
        if not clean:
            raise TagDictionaryError(f"{where}: tag {key!r}: no keywords")
        tags.append(Tag(str(key), tuple(sorted(names.items())), clean))
    return tags


def load_tags(source=None) -> list[Tag]:
    """The tag dictionary: ``source`` is None (the packaged default), a YAML path, or a mapping."""
    if source is None:
        source = DEFAULT_TAGS
    if isinstance(source, dict):
        return parse_tags(source, "settings.interest_tags")
    path = Path(source)
    try:
        mapping = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as exc:
        raise TagDictionaryError(f"{path}: cannot read the interest-tag dictionary: {exc}") from exc
    return parse_tags(mapping, str(path))


_REGEX_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")
_WORD_EDGE = "[^a-z0-9_]"


def _escape(keyword: str) -> str:
    return _REGEX_SPECIAL.sub(r"\\\1", keyword.lower())


def tag_pattern(tag: Tag) -> str:
    """One RE2 pattern over lower-cased text for all of a tag's keywords: Chinese keywords anywhere,
    Latin ones as whole words (not preceded or followed by a letter, digit or underscore)."""
    cjk = [_escape(k) for k in tag.keywords if CJK.search(k)]
    latin = [_escape(k) for k in tag.keywords if not CJK.search(k)]
    parts = cjk + ([f"(^|{_WORD_EDGE})(?:{'|'.join(latin)})($|{_WORD_EDGE})"] if latin else [])
    return "|".join(parts)


def fingerprint(tags: list[Tag]) -> str:
    """Identifies what a dictionary matches: its tag keys and patterns, in order (display names
    do not count: they change no number)."""
    canonical = json.dumps([[t.key, tag_pattern(t)] for t in tags], ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def current_fingerprint(source=None) -> str:
    """The fingerprint of the configured dictionary (:data:`INVALID_DICTIONARY` if unreadable)."""
    try:
        return fingerprint(load_tags(source))
    except TagDictionaryError:
        return INVALID_DICTIONARY


def model_inputs(source=None) -> tuple[dict, dict]:
    """(parameters, SQL fragments) of ``marts.interest_tags_daily`` for the configured dictionary.

    Parameters: ``$tag_<i>`` (tag i's pattern), ``$tag_any`` (:func:`any_tag_pattern`),
    ``$tag_keys`` (the keys, in order) and ``$tag_dictionary`` (:func:`fingerprint`). Fragment
    ``tag_flags``: the list ``[regexp_matches(text, $tag_0), ...]``, evaluated only for a text
    that ``$tag_any`` matches (all false otherwise: DuckDB runs a CASE branch on the rows that
    take it). One pass then settles the texts with no tag, instead of one pass per tag (the
    year's interest-tag mart: a month 6.0 -> 4.5 s on the benchmark's sample, where 48 % of the
    texts carry a tag; the fewer do, the more it saves). It is SQL because each pattern must be
    a constant of its own call: DuckDB compiles a constant pattern once, and one taken from a
    column or a list element once per row (130x slower, measured). The fragment holds only
    parameter names made from positions; the patterns stay bound values. An unreadable
    dictionary builds the mart without tags (the report says why there are none)."""
    try:
        tags = load_tags(source)
        dictionary = fingerprint(tags)
    except TagDictionaryError:
        tags, dictionary = [], INVALID_DICTIONARY
    params = {"tag_keys": [t.key for t in tags], "tag_dictionary": dictionary, "tag_any": any_tag_pattern(tags),
              **{f"tag_{i}": tag_pattern(t) for i, t in enumerate(tags)}}
    if not tags:
        return params, {"tag_flags": "cast([] as boolean[])"}
    flags = ", ".join(f"regexp_matches(text, $tag_{i})" for i in range(len(tags)))
    no_tag = ", ".join("false" for _ in tags)
    return params, {"tag_flags": f"(case when regexp_matches(text, $tag_any) then cast([{flags}] as boolean[]) "
                                 f"else cast([{no_tag}] as boolean[]) end)"}


def any_tag_pattern(tags: list[Tag]) -> str:
    """One pattern that matches a text exactly when some tag's pattern does (their alternation;
    each is a search, so the alternation of searches is the OR of them). Never matches without tags."""
    if not tags:
        return "[^\\s\\S]"
    return "|".join(f"(?:{tag_pattern(t)})" for t in tags)
