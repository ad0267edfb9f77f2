"""The simulated community: people, memberships, campaigns and message/reaction plans.

Everything is drawn with numpy up front, as arrays (never one Python object per message),
from ``numpy.random.Generator(PCG64(SeedSequence([seed, stream])))`` streams, one stream per
purpose, so results do not depend on the order platforms are generated in or on how many
processes run them.

Times are int64 microseconds since the Unix epoch (UTC). Day ``d`` is the local
(Asia/Shanghai, UTC+8, no DST) calendar day ``start + d``; ``world.start_us`` is local
midnight of day 0 expressed in UTC.

Activity model, per platform member:
- a join instant (founders joined before the sample starts: no join event), optionally a
  leave instant and a rejoin instant;
- a base rate (messages/day) by engagement segment x acquisition channel x noise, decaying
  exponentially from the join (``tau`` days: churn);
- candidate message days drawn from that decay over the member's active span, local time
  of day from a daily profile (lunch and 20:00-22:00 peaks; night owls later), then thinned
  by a global day factor (weekday/weekend seasonality x campaign lift).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import numpy as np

from . import text as T

US = 1_000_000
HOUR_US = 3600 * US
DAY_US = 86_400 * US
TZ_OFFSET_US = 8 * HOUR_US            # Asia/Shanghai: UTC+8 all year (no DST since 1991)
NEVER = np.int64(2**62)

STREAM = {"persons": 2, "slack": 11, "discord": 12, "telegram": 13, "business": 20}

# local hour-of-day weights (00..23)
HOURS_DAY = np.array([0.8, 0.4, 0.2, 0.1, 0.1, 0.15, 0.4, 1.0, 2.0, 3.5, 4.5, 5.0,
                      6.2, 5.6, 4.5, 4.4, 4.5, 4.0, 3.0, 3.6, 6.0, 6.6, 5.4, 2.6])
HOURS_NIGHT = np.array([4.0, 3.2, 2.2, 1.2, 0.5, 0.3, 0.3, 0.6, 1.2, 1.6, 2.0, 2.4,
                        3.0, 2.6, 2.2, 2.2, 2.4, 2.4, 2.4, 3.0, 4.5, 5.5, 6.0, 5.5])
HOURS_DAY = HOURS_DAY / HOURS_DAY.sum()
HOURS_NIGHT = HOURS_NIGHT / HOURS_NIGHT.sum()
WEEKDAY_FACTOR = np.array([1.0, 1.03, 1.0, 0.97, 0.9, 0.6, 0.55])   # Mon..Sun

# engagement segments: share, base messages/day, decay tau (days)
SEGMENTS = {"core": (0.06, 5.0, 400.0), "regular": (0.22, 1.1, 140.0),
            "casual": (0.42, 0.18, 50.0), "lurker": (0.30, 0.015, 25.0)}


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *keys])))


@dataclass(frozen=True)
class Scale:
    name: str
    start: date                 # a Monday
    days: int                   # whole weeks: the sample ends on a Sunday
    persons: int
    messages: dict              # platform -> target human messages (top-level + replies)
    dce_partition: int | None   # DiscordChatExporter --partition size for the big channel


SCALES = {
    "small": Scale("small", date(2026, 8, 3), 112, 300,
                   {"slack": 6200, "discord": 5600, "telegram": 4800}, 1000),
    "large": Scale("large", date(2025, 11, 24), 364, 100_000,
                   {"slack": 3_050_000, "discord": 3_850_000, "telegram": 3_300_000}, None),
}


@dataclass
class Campaign:
    id: str
    name: str
    type: str                   # online | offline
    theme: str
    start_day: int
    end_day: int                # inclusive
    boost: float


# name_zh, name_en, type, theme_zh, theme_en, length (days), boost
CAMPAIGN_TEMPLATES = [
    ("Rust 入门直播课", "Rust Intro Livestream", "online", "技术分享", "tech talk", 1, 0.35),
    ("星火黑客松", "Spark Hackathon", "offline", "黑客松", "hackathon", 2, 0.7),
    ("开源贡献月", "Open Source Month", "online", "开源", "open source", 24, 0.25),
    ("深圳线下 Meetup", "Shenzhen Meetup", "offline", "线下交流", "meetup", 1, 0.45),
    ("AI 应用开发训练营", "AI App Bootcamp", "online", "AI", "AI", 5, 0.35),
    ("独立开发者分享夜", "Indie Hacker Night", "offline", "独立开发", "indie hacking", 1, 0.4),
    ("出海产品工作坊", "Going Global Workshop", "online", "出海", "going global", 2, 0.3),
    ("年终技术嘉年华", "Year-end Tech Carnival", "offline", "技术大会", "conference", 2, 0.6),
]


@dataclass
class World:
    scale: Scale
    seed: int
    language: str
    start_us: int
    end_us: int                 # local midnight after the last day
    days: int
    day_factor: np.ndarray      # activity multiplier per day (weekday x campaign lift)
    join_factor: np.ndarray     # join-rate multiplier per day (growth x campaigns)
    campaigns: list[Campaign]
    campaign_of_day: np.ndarray  # index of a campaign running (or just announced) that day, -1
    strategy_days: tuple        # onboarding DMs, weekly Q&A rota, points programme
    persons: "Persons" = None

    @property
    def qa_rota_us(self) -> int:
        """From this instant more questions get answered, and sooner (the Q&A rota)."""
        return self.local_midnight(self.strategy_days[1])

    @property
    def zh(self) -> bool:
        return self.language == "zh"

    def local_date(self, day: int) -> date:
        return date.fromordinal(self.scale.start.toordinal() + int(day))

    def local_midnight(self, day: int) -> int:
        return self.start_us + int(day) * DAY_US


def local_midnight_utc_us(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()) * US - TZ_OFFSET_US


def build_world(scale_name: str, seed: int, language: str) -> World:
    if scale_name not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale_name!r}")
    if language not in ("zh", "en"):
        raise ValueError(f"language must be zh or en, got {language!r}")
    sc = SCALES[scale_name]
    days = sc.days
    start_us = local_midnight_utc_us(sc.start)
    weekday0 = sc.start.weekday()
    wf = WEEKDAY_FACTOR[(weekday0 + np.arange(days)) % 7]

    # campaigns: small sample 4, fixed positions; a year: the 8 templates at a steady pace
    if days <= 140:
        plan = [(0, 17), (1, 47), (2, 66), (3, 96)]
    else:
        plan = [(i % 8, int(20 + i * (days - 40) / 12)) for i in range(12)]
    campaigns = []
    campaign_of_day = np.full(days, -1, dtype=np.int32)
    boost = np.zeros(days)
    jboost = np.zeros(days)
    for n, (ti, d0) in enumerate(plan):
        nz, ne, typ, tz_, te, length, b = CAMPAIGN_TEMPLATES[ti]
        year = date.fromordinal(sc.start.toordinal() + d0).year
        name = nz if language == "zh" else ne
        if ti in (1, 7):
            name = f"{name} {year}"
        if n >= len(CAMPAIGN_TEMPLATES):
            name += " · 第二期" if language == "zh" else " II"
        d1 = min(days - 1, d0 + length - 1)
        campaigns.append(Campaign(f"C{n + 1:03d}", name, typ, tz_ if language == "zh" else te, d0, d1, b))
        campaign_of_day[max(0, d0 - 10):d1 + 1] = n
        boost[d0:d1 + 1] += b
        after = np.arange(d1 + 1, min(days, d1 + 15))
        boost[after] += b * 0.55 * np.exp(-(after - d1 - 1) / 7.0)
        jboost[max(0, d0 - 3):min(days, d1 + 4)] += 5.0 * b
    strategy_days = (int(days * 0.2), int(days * 0.45), int(days * 0.7))
    boost[strategy_days[2]:] += 0.08                  # the points programme lifts activity a bit
    growth = 1.0 + 1.6 * np.arange(days) / days
    world = World(scale=sc, seed=seed, language=language, start_us=start_us,
                  end_us=start_us + days * DAY_US, days=days,
                  day_factor=wf * (1.0 + boost), join_factor=growth * (1.0 + jboost) * np.sqrt(wf),
                  campaigns=campaigns, campaign_of_day=campaign_of_day, strategy_days=strategy_days)
    world.persons = build_persons(world)
    return world


# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

@dataclass
class Persons:
    n: int
    display: list[str]          # unique display names
    username: list[str]         # unique ascii handles
    lang_zh: np.ndarray         # probability a message by this person is in Chinese
    gender: np.ndarray
    region: np.ndarray
    age: np.ndarray
    acq: np.ndarray             # acquisition channel index (text.ACQ_*)
    segment: np.ndarray         # 0 core, 1 regular, 2 casual, 3 lurker
    night_owl: np.ndarray
    platforms: np.ndarray       # (n, 3) bool: member of slack/discord/telegram
    primary: np.ndarray         # the platform the person came in through
    admin: np.ndarray           # bool
    founder: np.ndarray         # in the community before the sample starts
    join_day: np.ndarray        # day the person joined the community (founders: < 0)


def _unique(names: list[str], suffixes: list[str], sep: str) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, nm in enumerate(names):
        cand = nm
        k = 0
        while cand in seen:
            k += 1
            cand = f"{nm}{sep}{suffixes[(i + k) % len(suffixes)]}" if k <= len(suffixes) else f"{nm}{k}"
        seen.add(cand)
        out.append(cand)
    return out


def build_persons(world: World) -> Persons:
    n = world.scale.persons
    rng = rng_for(world.seed, STREAM["persons"])
    zh = world.zh
    sur = rng.integers(0, len(T.SURNAMES), n)
    giv = rng.integers(0, len(T.GIVEN), n)
    first = rng.integers(0, len(T.EN_FIRST), n)
    style = rng.random(n) < (0.75 if zh else 0.3)          # Chinese-style display name
    display, handle = [], []
    for i in range(n):
        s_h, s_p = T.SURNAMES[sur[i]]
        g_h, g_p = T.GIVEN[giv[i]]
        if style[i]:
            display.append(s_h + g_h)
            handle.append(f"{g_p}{s_p}" if i % 3 else f"{s_p}_{g_p}")
        else:
            display.append(f"{T.EN_FIRST[first[i]]} {s_p.capitalize()}")
            handle.append(f"{T.EN_FIRST[first[i]].lower()}_{s_p}")
    display = _unique(display, T.NAME_SUFFIXES_ZH if zh else T.NAME_SUFFIXES_EN, " ")
    handle = _unique(handle, [str(x) for x in range(1, 100)], "")
    lang_zh = np.where(style, 0.9, 0.35) if zh else np.where(style, 0.45, 0.05)

    seg_names = list(SEGMENTS)
    shares = np.array([SEGMENTS[s][0] for s in seg_names])
    segment = rng.choice(len(seg_names), n, p=shares / shares.sum())
    admin = np.zeros(n, dtype=bool)
    n_admin = max(3, n // 2000)
    admin[:n_admin] = True
    segment[:n_admin] = 0

    share = np.array([0.38, 0.34, 0.28])
    primary = rng.choice(3, n, p=share)
    platforms = np.zeros((n, 3), dtype=bool)
    platforms[np.arange(n), primary] = True
    second = rng.random(n) < 0.12
    other = (primary + rng.integers(1, 3, n)) % 3
    platforms[np.nonzero(second)[0], other[second]] = True
    platforms[:n_admin] = True

    founder = rng.random(n) < 0.09
    founder[:n_admin] = True
    days = world.days
    jd = rng.choice(days, n, p=world.join_factor / world.join_factor.sum())
    jd = np.where(founder, -rng.integers(20, 700, n), jd)
    acq = rng.choice(len(T.ACQ_WEIGHTS), n, p=np.array(T.ACQ_WEIGHTS) / sum(T.ACQ_WEIGHTS))
    # people who joined around a campaign mostly came through it (offline event / livestream)
    recruited = (jd >= 0) & (rng.random(n) < 0.55)
    for i in np.nonzero(recruited)[0]:
        c = world.campaign_of_day[jd[i]]
        if c >= 0:
            camp = world.campaigns[c]
            if camp.start_day - 3 <= jd[i] <= camp.end_day + 3:
                acq[i] = T.ACQ_OFFLINE if camp.type == "offline" else 6

    return Persons(
        n=n, display=display, username=handle, lang_zh=lang_zh,
        gender=rng.choice(3, n, p=np.array(T.GENDER_WEIGHTS) / sum(T.GENDER_WEIGHTS)),
        region=rng.choice(len(T.REGION_WEIGHTS), n, p=np.array(T.REGION_WEIGHTS) / sum(T.REGION_WEIGHTS)),
        age=rng.choice(4, n, p=np.array(T.AGE_WEIGHTS) / sum(T.AGE_WEIGHTS)),
        acq=acq, segment=segment, night_owl=rng.random(n) < 0.12, platforms=platforms,
        primary=primary, admin=admin, founder=founder, join_day=jd,
    )


# --------------------------------------------------------------------------------------
# Platform members
# --------------------------------------------------------------------------------------

@dataclass
class Members:
    """Members of one platform (index = member number on that platform)."""
    pid: np.ndarray             # person index
    join_us: np.ndarray         # founders: before the sample start
    leave_us: np.ndarray        # NEVER when staying
    rejoin_us: np.ndarray       # NEVER when not rejoining
    founder: np.ndarray
    rate: np.ndarray            # messages/day at join
    tau: np.ndarray             # decay (days)
    fav: np.ndarray             # favourite channel
    chanmask: np.ndarray        # channels the member is in (bitmask)
    spammer: np.ndarray
    n: int = 0

    def active_at(self, m, t):
        t = np.asarray(t)
        return (t >= self.join_us[m]) & ((t < self.leave_us[m]) | (t >= self.rejoin_us[m]))


def draw_tod(rng, night: np.ndarray) -> np.ndarray:
    """Local time of day (µs) for each row, from the day or night-owl hour profile."""
    k = night.size
    h = np.where(night, rng.choice(24, k, p=HOURS_NIGHT), rng.choice(24, k, p=HOURS_DAY))
    return h.astype(np.int64) * HOUR_US + rng.integers(0, HOUR_US, k)


def build_members(world: World, platform: int, rng, channel_weights: np.ndarray,
                  n_spammers: int = 0) -> Members:
    P = world.persons
    pid = np.nonzero(P.platforms[:, platform])[0].astype(np.int32)
    M = pid.size
    founder = P.founder[pid].copy()
    # the platform a person came in through: their community join; another one: later
    jd = P.join_day[pid].astype(np.int64)
    later = (P.primary[pid] != platform) & ~founder
    jd = np.where(later, np.minimum(jd + rng.integers(0, 30, M), world.days - 1), jd)
    join = world.start_us + jd * DAY_US + draw_tod(rng, np.zeros(M, dtype=bool))
    join = np.where(founder, join + rng.integers(0, DAY_US, M), join)

    seg = P.segment[pid]
    base = np.array([SEGMENTS[s][1] for s in SEGMENTS])[seg]
    tau = np.array([SEGMENTS[s][2] for s in SEGMENTS])[seg] * rng.lognormal(0, 0.45, M)
    rate = base * np.array(T.ACQ_ACTIVITY)[P.acq[pid]] * rng.lognormal(0, 0.35, M)
    rate[P.admin[pid]] *= 1.8

    leave = np.full(M, NEVER, dtype=np.int64)
    rejoin = np.full(M, NEVER, dtype=np.int64)
    can_leave = ~P.admin[pid] & (seg > 0)
    leaving = can_leave & (rng.random(M) < np.where(founder, 0.05, 0.11))
    lt = np.maximum(join, world.start_us) + ((1.0 + rng.exponential(28, M)) * DAY_US).astype(np.int64)
    leave = np.where(leaving & (lt < world.end_us - DAY_US), lt, NEVER)
    back = (leave < NEVER) & (rng.random(M) < 0.25)
    rt = leave + (rng.uniform(3, 20, M) * DAY_US).astype(np.int64)
    rejoin = np.where(back & (rt < world.end_us - DAY_US), rt, NEVER)
    # at least one leave-and-rejoin per platform
    if not (rejoin < NEVER).any():
        cands = np.nonzero(can_leave & ~founder & (join < world.start_us + world.days * DAY_US // 3))[0]
        if cands.size:
            m = cands[0]
            leave[m] = join[m] + 5 * DAY_US
            rejoin[m] = leave[m] + 9 * DAY_US + 3 * HOUR_US

    nchan = channel_weights.size
    fav = rng.choice(nchan, M, p=channel_weights / channel_weights.sum())
    extra = rng.choice(nchan, M, p=channel_weights / channel_weights.sum())
    chanmask = (1 << 0) | (1 << fav) | np.where(rng.random(M) < 0.5, 1 << extra, 0)

    spam = np.zeros(M, dtype=bool)
    if n_spammers:
        # spam accounts: lurkers seen on this platform only, who write nothing but spam
        lurk = np.nonzero((seg == 3) & ~founder & (leave == NEVER) & (P.platforms[pid].sum(axis=1) == 1))[0]
        pick = lurk[rng.permutation(lurk.size)[:n_spammers]]
        spam[pick] = True
        rate[pick] = 0.0
    return Members(pid=pid, join_us=join, leave_us=leave, rejoin_us=rejoin, founder=founder,
                   rate=rate, tau=tau, fav=fav, chanmask=chanmask.astype(np.int64), spammer=spam, n=M)


# --------------------------------------------------------------------------------------
# Message plans
# --------------------------------------------------------------------------------------

def sample_top_level(world: World, mem: Members, target: float, rng, channel_weights: np.ndarray):
    """Top-level human messages: (t_us, member, channel), unsorted."""
    M = mem.n
    start, end = world.start_us, world.end_us
    a1 = np.maximum(mem.join_us, start)
    b1 = np.minimum(mem.leave_us, end)
    len1 = np.clip(b1 - a1, 0, None)
    a2 = np.minimum(mem.rejoin_us, end)
    len2 = np.clip(end - a2, 0, None)
    span = (len1 + len2) / DAY_US
    tau = mem.tau
    mass = tau * -np.expm1(-span / tau)
    w = mem.rate * mass
    g = world.day_factor / world.day_factor.max()
    lam = target * w / max(w.sum(), 1e-9) / g.mean()
    n = rng.poisson(lam)
    idx = np.repeat(np.arange(M, dtype=np.int32), n)
    k = idx.size
    u = rng.random(k)
    x = -tau[idx] * np.log1p(-u * -np.expm1(-span[idx] / tau[idx]))
    off = (x * DAY_US).astype(np.int64)
    t = np.where(off < len1[idx], a1[idx] + off, a2[idx] + (off - len1[idx]))
    day = np.clip((t - start) // DAY_US, 0, world.days - 1)
    night = world.persons.night_owl[mem.pid[idx]]
    t = start + day * DAY_US + draw_tod(rng, night)
    early = t < mem.join_us[idx]
    t = np.where(early, mem.join_us[idx] + rng.integers(15 * 60 * US, 2 * HOUR_US, k), t)
    day = (t - start) // DAY_US
    ok = mem.active_at(idx, t) & (t < end)
    ok &= rng.random(k) < g[np.clip(day, 0, world.days - 1)]
    idx, t = idx[ok], t[ok]
    # channel: the global mix, but only channels the member is in (else the favourite)
    ch = rng.choice(channel_weights.size, idx.size, p=channel_weights / channel_weights.sum())
    inside = (mem.chanmask[idx] >> ch) & 1
    ch = np.where(inside == 1, ch, mem.fav[idx])
    return t, idx, ch.astype(np.int16)


def _laplace_offsets(rng, scale: float, n: int) -> np.ndarray:
    """Symmetric offsets around a position: people active around a moment, before or after."""
    mag = rng.exponential(scale, n).astype(np.int64) + 1
    return np.where(rng.random(n) < 0.5, -mag, mag - 1)


def sample_replies(world: World, mem: Members, top_t, top_m, top_ch, p_thread: np.ndarray,
                   rng, chain_prob: float = 0.0, self_prob: float = 0.12, eligible=None):
    """Replies to top-level messages given sorted by time.

    Returns (t, member, root position, parent position or -1 for "the root",
    is_self, mention) with positions into the given top-level arrays; for chained replies
    ``parent`` is the position of the previous reply *in the returned arrays*.
    """
    n = top_t.size
    rota = top_t >= world.qa_rota_us
    has = rng.random(n) < p_thread[top_ch] * np.where(rota, 1.25, 1.0)
    if eligible is not None:
        has &= eligible
    roots = np.nonzero(has)[0]
    k = np.minimum(rng.geometric(0.5, roots.size), 25)
    total = int(k.sum())
    root = np.repeat(roots, k)
    starts = np.cumsum(k) - k
    pos = np.arange(total) - np.repeat(starts, k)
    first_median = np.where(rota[root], 11 * 60, 20 * 60)
    inc = np.where(pos == 0, rng.lognormal(np.log(first_median), 1.2, total), rng.lognormal(np.log(12 * 60), 1.4, total))
    inc = (inc * US).astype(np.int64)
    cum = np.cumsum(inc)
    cum = cum - np.repeat(cum[starts] - inc[starts], k)
    t = top_t[root] + cum
    # authors: the root's author (self-reply) or someone who posted recently
    self_ = rng.random(total) < self_prob
    p = np.searchsorted(top_t, t) + _laplace_offsets(rng, 40, total)
    p = np.clip(p, 0, n - 1)
    author = np.where(self_, top_m[root], top_m[p])
    accidental = (author == top_m[root]) & ~self_
    ok = (t < world.end_us) & (cum < 10 * DAY_US) & mem.active_at(author, t) & ~accidental
    # chain: reply to the previous reply of the same thread (Discord / Telegram)
    parent = np.full(total, -1, dtype=np.int64)
    if chain_prob > 0:
        chain = (pos > 0) & (rng.random(total) < chain_prob)
        parent = np.where(chain, np.arange(total) - 1, -1)
    # dropping a reply must not orphan a chained one: fall back to the root
    keep = np.nonzero(ok)[0]
    newpos = np.full(total, -1, dtype=np.int64)
    newpos[keep] = np.arange(keep.size)
    par = parent[keep]
    par = np.where(par >= 0, newpos[np.maximum(par, 0)], -1)
    mention = (~self_[keep]) & (rng.random(keep.size) < 0.3)
    return t[keep], author[keep], root[keep], par, self_[keep], mention


def sample_reactions(world: World, mem: Members, msg_t, msg_author, p_react, rng, pool_t, pool_m,
                     n_emoji: int, emoji_p: np.ndarray, max_t: int):
    """Reaction events (message position, member, emoji, t) for messages given by time.

    ``msg_author`` < 0 marks a bot author. Reactors are members who posted around then
    (``pool_t``/``pool_m``, sorted by time), active at the reaction time; duplicates of
    (message, member, emoji) are removed. Sorted by (message, t).
    """
    n = msg_t.size
    has = rng.random(n) < p_react
    msgs = np.nonzero(has)[0]
    k = np.minimum(rng.geometric(0.42, msgs.size), 40)
    total = int(k.sum())
    mi = np.repeat(msgs, k)
    t = msg_t[mi] + (rng.lognormal(np.log(40 * 60), 1.3, total) * US).astype(np.int64)
    p = np.searchsorted(pool_t, t) + _laplace_offsets(rng, 60, total)
    who = pool_m[np.clip(p, 0, pool_m.size - 1)]
    own = (rng.random(total) < 0.04) & (msg_author[mi] >= 0)
    who = np.where(own, msg_author[mi], who)
    # an accidental self-pick (few people around) is dropped; a deliberate one stays
    accidental = (who == msg_author[mi]) & ~own
    main = rng.choice(n_emoji, msgs.size, p=emoji_p)
    emo = np.where(rng.random(total) < 0.72, np.repeat(main, k), rng.choice(n_emoji, total, p=emoji_p))
    ok = (t <= max_t) & mem.active_at(who, t) & ~accidental
    mi, who, emo, t = mi[ok], who[ok], emo[ok], t[ok]
    key = (mi.astype(np.int64) * (mem.n + 1) + who) * 64 + emo
    _, first = np.unique(key, return_index=True)
    mi, who, emo, t = mi[first], who[first], emo[first], t[first]
    order = np.lexsort((t, mi))
    return mi[order], who[order].astype(np.int32), emo[order].astype(np.int16), t[order]


# --------------------------------------------------------------------------------------
# The message table of one platform
# --------------------------------------------------------------------------------------

# kinds
K_MSG, K_REPLY, K_SYS = 0, 1, 2
# subtypes
S_NORMAL, S_BROADCAST, S_LEGACY_BOT, S_APP_BOT, S_SPAM, S_WELCOME, S_DIGEST, S_GITHUB, S_GREETING = range(9)
S_JOIN, S_LEAVE, S_TOPIC, S_PURPOSE, S_PIN, S_THREAD, S_TITLE, S_KICK, S_INVITE = range(10, 19)

_FIELDS = {  # name: (dtype, default)
    "t": (np.int64, 0), "actor": (np.int32, -1), "chan": (np.int16, 0), "kind": (np.int8, K_MSG),
    "sub": (np.int8, S_NORMAL), "parent": (np.int64, -1), "root": (np.int64, -1),
    "ref": (np.int64, -1), "subject": (np.int32, -1), "tpl": (np.int16, 0), "a": (np.int16, 0),
    "b": (np.int16, 0), "zh": (np.bool_, True), "edit_t": (np.int64, -1), "att": (np.int8, -1),
    "mention": (np.bool_, False), "pin_t": (np.int64, -1),
}
_INDEX_FIELDS = ("parent", "root", "ref")   # positions of other rows in the table


class Table:
    """Column store of all messages of one platform; built in blocks, then sorted by time."""

    def __init__(self):
        self._blocks: list[dict] = []
        self.size = 0

    def add(self, t, **cols) -> int:
        """Append rows; index columns hold *table* positions. Returns the block's first position."""
        base = self.size
        t = np.asarray(t, dtype=np.int64)
        n = t.size
        block = {"t": t}
        for name, v in cols.items():
            if name not in _FIELDS:
                raise KeyError(name)
            block[name] = np.broadcast_to(np.asarray(v, dtype=_FIELDS[name][0]), (n,))
        self._blocks.append(block)
        self.size += n
        return base

    def finalize(self, unique_us: bool = True) -> None:
        cols = {}
        for name, (dt, default) in _FIELDS.items():
            parts = [b[name] if name in b else np.full(b["t"].size, default, dtype=dt) for b in self._blocks]
            cols[name] = np.concatenate(parts).astype(dt, copy=False) if parts else np.zeros(0, dt)
        self._blocks = []
        order = np.argsort(cols["t"], kind="stable")
        inv = np.empty_like(order)
        inv[order] = np.arange(order.size)
        for name in cols:
            cols[name] = cols[name][order]
        for name in _INDEX_FIELDS:
            v = cols[name]
            cols[name] = np.where(v >= 0, inv[np.maximum(v, 0)], -1)
        if unique_us and cols["t"].size:
            # strictly increasing instants (Slack's ts is the identity of a message)
            ar = np.arange(cols["t"].size, dtype=np.int64)
            cols["t"] = np.maximum.accumulate(cols["t"] - ar) + ar
        self.__dict__.update(cols)
        self.order = order          # old position -> sorted via inv; kept for remapping side tables
        self.inv = inv
        self.size = order.size


def thread_index(parent_or_root: np.ndarray):
    """CSR of children: (sorted child positions, offsets) for rows whose key >= 0."""
    n = parent_or_root.size
    kids = np.nonzero(parent_or_root >= 0)[0]
    keys = parent_or_root[kids]
    order = np.argsort(keys, kind="stable")
    kids = kids[order]
    counts = np.bincount(keys, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return kids, offsets
