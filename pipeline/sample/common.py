"""Helpers shared by the three platform writers: export windows, ids, texts, truth counts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from . import model as Mo
from . import text as T

LOCAL_TZ = timezone(timedelta(hours=8))
CHUNK = 20_000          # rows serialized per batch when streaming


@dataclass(frozen=True)
class ExportWindow:
    """One export run: the messages with lo_us <= t <= hi_us, in their state at export_us."""
    lo_us: int
    hi_us: int
    export_us: int

    def contains(self, t: np.ndarray) -> np.ndarray:
        return (t >= self.lo_us) & (t <= self.hi_us)


def overlapping_windows(world: Mo.World, export_hour: float) -> tuple[int, int, list[ExportWindow]]:
    """Two overlapping exports: days [0, d1] exported the morning after d1, and days [d0, end]
    exported the morning after the last day (d0 < d1: about two weeks of overlap)."""
    days = world.days
    d1 = int(round(days * 0.54)) - 1
    d0 = int(round(days * 0.40))
    x1 = world.local_midnight(d1 + 1) + int(export_hour * Mo.HOUR_US)
    x2 = world.local_midnight(days) + int((export_hour + 0.37) * Mo.HOUR_US)
    return d0, d1, [
        ExportWindow(world.start_us - 3650 * Mo.DAY_US, world.local_midnight(d1 + 1) - 1, x1),
        ExportWindow(world.local_midnight(d0), world.local_midnight(days) - 1, x2),
    ]


def local_dt(t_us: int) -> datetime:
    return datetime.fromtimestamp(t_us / Mo.US, tz=LOCAL_TZ)


_DATE_CACHE: dict[int, str] = {}


def local_iso_s(t_us: int) -> str:
    """Local (UTC+8) time ``YYYY-MM-DDTHH:MM:SS`` without offset, fast."""
    secs = t_us // Mo.US + 8 * 3600
    d, r = divmod(secs, 86400)
    ds = _DATE_CACHE.get(d)
    if ds is None:
        ds = _DATE_CACHE[d] = (datetime(1970, 1, 1) + timedelta(days=d)).date().isoformat()
    return f"{ds}T{r // 3600:02d}:{r % 3600 // 60:02d}:{r % 60:02d}"


def local_iso_s_many(t_us: np.ndarray) -> list[str]:
    loc = (np.asarray(t_us) // Mo.US + 8 * 3600).astype("datetime64[s]")
    return np.datetime_as_string(loc, unit="s").tolist()


def local_iso_ms_many(t_us: np.ndarray) -> list[str]:
    """DiscordChatExporter's timestamps: local, +08:00, milliseconds without trailing zeros."""
    loc = (np.asarray(t_us) // 1000 + 8 * 3600 * 1000).astype("datetime64[ms]")
    return [s.rstrip("0").rstrip(".") + "+08:00" for s in np.datetime_as_string(loc, unit="ms").tolist()]


def set_mtime(path: Path, t_us: int) -> None:
    os.utime(path, (t_us / Mo.US, t_us / Mo.US))


def splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix64_np(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def uuids_for(seed: int, ns: np.ndarray) -> list[str]:
    """``uuid_for`` for many rows at once."""
    a = _splitmix64_np(np.asarray(ns, dtype=np.uint64) + np.uint64(seed * 1_000_003))
    b = _splitmix64_np(a ^ np.uint64(0x5DEECE66D))
    out = []
    for x, y in zip(a.tolist(), b.tolist()):
        h = f"{x:016x}{y:016x}"
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[y & 3]}{h[17:20]}-{h[20:32]}")
    return out


def uuid_for(seed: int, n: int) -> str:
    a = splitmix64(seed * 1_000_003 + n)
    b = splitmix64(a ^ 0x5DEECE66D)
    h = f"{a:016x}{b:016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[b & 3]}{h[17:20]}-{h[20:32]}"


_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def slack_id(prefix: str, n: int, salt: int) -> str:
    """Slack-looking ids (U/C/B/A/F/T + 10 chars), unique per (prefix, n)."""
    x = (n * 2_654_435_761 + salt * 97_531) % (36 ** 9)
    out = []
    for _ in range(9):
        x, r = divmod(x, 36)
        out.append(_B36[r])
    return prefix + "0" + "".join(reversed(out))


def hexhash(n: int, width: int = 32) -> str:
    return f"{splitmix64(n):016x}{splitmix64(n + 1):016x}"[:width]


# ---- texts --------------------------------------------------------------------------------

class Texts:
    """Builds the text of a row from its small integer fields (same text in every export)."""

    def __init__(self, world: Mo.World):
        self.world = world
        self.camp_names = [c.name for c in world.campaigns]

    def campaign_at(self, t_us: int) -> str:
        d = int((t_us - self.world.start_us) // Mo.DAY_US)
        if 0 <= d < self.world.days:
            c = self.world.campaign_of_day[d]
            if c >= 0:
                return self.camp_names[c]
        return ""

    def human(self, kind: int, sub: int, role: str, t_us: int, tpl: int, a: int, b: int, zh: bool,
              self_reply: bool = False) -> str:
        if sub == Mo.S_SPAM:
            lst = T.SPAM_ZH if zh else T.SPAM_EN
            return lst[tpl % len(lst)]
        if sub == Mo.S_GREETING:
            return T.fill("大家好，新人报到，平时主要写 {tool}，请多指教 🙏" if zh
                          else "Hi all, new here, mostly writing {tool} these days 👋", a, b)
        if kind == Mo.K_REPLY:
            if self_reply:
                lst = T.SELF_REPLY_ZH if zh else T.SELF_REPLY_EN
            else:
                lst = T.REPLY_ZH if zh else T.REPLY_EN
            return T.fill(lst[tpl % len(lst)], a, b)
        camp = ""
        if role in ("general", "events") and tpl % 6 == 0 or role == "events":
            camp = self.campaign_at(t_us)
            if camp:
                role = "events"
            elif role == "events":
                role = "general"
        lst = T.top_templates(zh, role)
        return T.fill(lst[tpl % len(lst)], a, b, campaign=camp)

    @staticmethod
    def edited(text: str, a: int, b: int, zh: bool) -> str:
        lst = T.EDIT_SUFFIX_ZH if zh else T.EDIT_SUFFIX_EN
        return text + lst[(a + b) % len(lst)]

    def bot(self, sub: int, t_us: int, tpl: int, a: int, b: int, zh: bool, mention: str = "",
            user: str = "") -> str:
        if sub == Mo.S_WELCOME:
            return (T.BOT_WELCOME_ZH if zh else T.BOT_WELCOME_EN).format(mention=mention)
        if sub == Mo.S_GITHUB:
            lst = T.GITHUB_ZH if zh else T.GITHUB_EN
            return T.fill(lst[tpl % len(lst)], a, b, user=user)
        lst = T.BOT_DIGEST_ZH if zh else T.BOT_DIGEST_EN
        camp = self.campaign_at(t_us)
        i = tpl % len(lst)
        if i == 2 and not camp:
            i = 0
        return T.fill(lst[i], a, b, campaign=camp)


def draw_text_fields(rng, n: int, lang_zh_p: np.ndarray):
    """tpl, a, b and language for n rows."""
    return (rng.integers(0, 10_000, n).astype(np.int16), rng.integers(0, 10_000, n).astype(np.int16),
            rng.integers(0, 10_000, n).astype(np.int16), rng.random(n) < lang_zh_p)


# ---- truth -------------------------------------------------------------------------------

def kind_counts(kind: np.ndarray) -> dict:
    c = np.bincount(kind.astype(np.int64), minlength=3)
    return {"message": int(c[0]), "reply": int(c[1]), "system": int(c[2]), "total": int(c.sum())}


def truth_block(world: Mo.World, platform: str, tab: Mo.Table, is_bot_row: np.ndarray,
                author_key: np.ndarray, joins: int, leaves: int, bot_joins: int, users: int,
                bot_users: int, reactions: int, edited: int, channels: int, files: list[str],
                rows_in_files: int, extra: dict | None = None) -> tuple[dict, np.ndarray]:
    """Per-source truth and the daily counts of non-system, non-bot messages."""
    human_content = (tab.kind != Mo.K_SYS) & ~is_bot_row
    day = (tab.t - world.start_us) // Mo.DAY_US
    daily = np.bincount(day[human_content], minlength=world.days)[:world.days]
    out = {
        "platform": platform,
        "messages": kind_counts(tab.kind),
        "bot_messages": kind_counts(tab.kind[is_bot_row]),
        "human_authors": int(np.unique(author_key[human_content]).size),
        "membership_events": {"join": int(joins), "leave": int(leaves), "bot_join": int(bot_joins)},
        "users": int(users),
        "bot_users": int(bot_users),
        "reactions": int(reactions),
        "edited_messages": int(edited),
        "channels": int(channels),
        "export_files": sorted(files),
        "message_rows_in_files": int(rows_in_files),
    }
    if extra:
        out.update(extra)
    return out, daily


def add_late_reactions(rng, mem, tab, human: np.ndarray, r, windows: list[ExportWindow], emoji: int):
    """A few reactions, on messages both exports contain, that only the later export sees.

    ``r`` = (msg, member, emoji, t) sorted by (msg, t); returns the same, deduplicated.
    """
    r_msg, r_who, r_emo, r_t = r
    x1 = windows[0].export_us
    ov = np.nonzero(human & (tab.t >= windows[1].lo_us) & (tab.t < x1 - Mo.DAY_US))[0]
    late_m = ov[rng.permutation(ov.size)[:max(5, ov.size // 30)]]
    pool = np.nonzero(human)[0]
    near = np.clip(np.searchsorted(tab.t[pool], tab.t[late_m]) - 2, 0, pool.size - 1)
    who = tab.actor[pool[near]]
    ok = mem.active_at(who, x1 + Mo.HOUR_US) & (who != tab.actor[late_m])
    r_msg = np.concatenate([r_msg, late_m[ok]])
    r_who = np.concatenate([r_who, who[ok]]).astype(np.int32)
    r_emo = np.concatenate([r_emo, np.full(int(ok.sum()), emoji, dtype=np.int16)])
    r_t = np.concatenate([r_t, np.full(int(ok.sum()), x1 + 5 * Mo.HOUR_US, dtype=np.int64)])
    key = (r_msg.astype(np.int64) * (mem.n + 1) + r_who) * 64 + r_emo
    _, first = np.unique(key, return_index=True)
    sel = first[np.lexsort((r_t[first], r_msg[first]))]
    return r_msg[sel], r_who[sel], r_emo[sel], r_t[sel]


def last_export_index(t: np.ndarray, windows: list[ExportWindow]) -> np.ndarray:
    """For each row, the index of the last export that contains it (-1: none)."""
    last = np.full(t.size, -1, dtype=np.int64)
    for i, w in enumerate(windows):
        last = np.where(w.contains(t), i, last)
    return last


# ---- what a platform hands back (truth + facts for the business inputs) ----------------

@dataclass
class PlatformResult:
    source: str
    truth: dict
    daily: np.ndarray
    member_keys: list
    member_pid: np.ndarray
    member_join_day: np.ndarray
    member_left: np.ndarray
    activity: np.ndarray                  # unique member*days + day of contributions
    member_seen: np.ndarray               # the member's id is in the exports (author/actor; Slack: users.json)
    top_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    top_responded: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    top_first_min: np.ndarray = field(default_factory=lambda: np.zeros(0))


def response_stats(tab: Mo.Table, human_top: np.ndarray, reply_rows: np.ndarray, reply_root: np.ndarray,
                   is_human_reply: np.ndarray):
    """First reply by another human within 7 days, for each human top-level row (rough)."""
    first = np.full(tab.size, np.iinfo(np.int64).max, dtype=np.int64)
    ok = is_human_reply & (reply_root >= 0)
    ok &= tab.actor[reply_rows] != tab.actor[np.maximum(reply_root, 0)]
    np.minimum.at(first, reply_root[ok], tab.t[reply_rows[ok]])
    tops = np.nonzero(human_top)[0]
    delay = (first[tops] - tab.t[tops]) / 60e6
    responded = delay <= 7 * 24 * 60
    return tops, responded, np.where(responded, delay, np.nan)


def platform_result(world, source, mem, tab, is_bot, r_msg, r_who, r_t, vis, truth, daily, keys,
                    all_listed: bool = False):
    days = world.days
    human = (tab.kind != Mo.K_SYS) & ~is_bot
    act = tab.actor[human].astype(np.int64) * days + (tab.t[human] - world.start_us) // Mo.DAY_US
    react_day = np.clip((r_t[vis] - world.start_us) // Mo.DAY_US, 0, days - 1)
    act2 = r_who[vis].astype(np.int64) * days + react_day
    activity = np.unique(np.concatenate([act, act2]))
    top = human & (tab.kind == Mo.K_MSG)
    rep = np.nonzero(human & (tab.kind == Mo.K_REPLY))[0]
    tops, responded, first = response_stats(tab, top, rep, tab.root[rep], np.ones(rep.size, bool))
    join_day = np.where(mem.founder, -1, (mem.join_us - world.start_us) // Mo.DAY_US)
    left = (mem.leave_us < world.end_us) & (mem.rejoin_us >= world.end_us)
    seen = np.ones(mem.n, dtype=bool) if all_listed else np.isin(np.arange(mem.n), tab.actor)
    return PlatformResult(source=source, truth=truth, daily=daily, member_keys=keys, member_pid=mem.pid,
                          member_join_day=join_day, member_left=left, activity=activity, member_seen=seen,
                          top_day=(tab.t[tops] - world.start_us) // Mo.DAY_US, top_responded=responded,
                          top_first_min=first)


