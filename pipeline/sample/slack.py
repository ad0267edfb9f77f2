"""Slack workspace: simulate, then write two overlapping workspace-export zips.

Layout and fields imitate Slack's own export (see formats.md §1 and
fixtures/real/slack): ``channels.json``, ``users.json``, ``integration_logs.json`` at the
root, one folder per channel with one ``YYYY-MM-DD.json`` per *local* day (the exporter's
zone, Asia/Shanghai) holding the day's messages in ascending ``ts``; thread replies sit in
the file of their own ``ts``. JSON as Slack writes it: 4-space indentation, ``\\/`` and
``\\uXXXX`` escapes.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from . import common as C
from . import jsonfmt as J
from . import model as Mo
from . import text as T

PLATFORM = 0
SALT = 17
# name, role, weight of top-level traffic, share of top-level messages that get a thread
CHANNELS = [
    ("general", "general", 0.36, 0.22),
    ("help", "help", 0.24, 0.62),
    ("showcase", "showcase", 0.12, 0.42),
    ("random", "random", 0.12, 0.15),
    ("dev-feed", "oss", 0.08, 0.25),
    ("hackathon", "events", 0.08, 0.35),        # created for the hackathon campaign
]
EMOJI = ["+1", "heart", "tada", "eyes", "rocket", "joy", "pray", "100", "white_check_mark",
         "clap::skin-tone-3", "fire", "spark"]
EMOJI_P = np.array([22, 12, 10, 8, 8, 7, 6, 5, 9, 4, 6, 3], dtype=float)
EMOJI_P /= EMOJI_P.sum()


def simulate(world: Mo.World):
    rng = Mo.rng_for(world.seed, Mo.STREAM["slack"])
    zh = world.zh
    P = world.persons
    days = world.days
    weights = np.array([c[2] for c in CHANNELS])
    p_thread = np.array([c[3] for c in CHANNELS])
    mem = Mo.build_members(world, PLATFORM, rng, weights)
    M = mem.n
    APP, GH = M, M + 1                      # bot actors
    admin_m = np.nonzero(P.admin[mem.pid])[0]

    # channel creation: all before the sample, except the hackathon channel
    hack = next((c for c in world.campaigns if "黑客松" in c.name or "Hackathon" in c.name), world.campaigns[0])
    created = np.array([world.start_us - (900 - 40 * i) * Mo.DAY_US + 11 * Mo.HOUR_US for i in range(len(CHANNELS))])
    created[5] = world.local_midnight(max(1, hack.start_day - 12)) + 11 * Mo.HOUR_US + 7 * 60 * Mo.US
    hack_year = world.local_date(hack.start_day).year

    # leavers must be in some channel they can leave (nobody can leave #general)
    leaver = mem.leave_us < Mo.NEVER
    mem.chanmask = np.where(leaver & (mem.chanmask == 1), 1 | (1 << 1), mem.chanmask)
    # when each member joins each channel
    nch = len(CHANNELS)
    cj = np.full((M, nch), Mo.NEVER, dtype=np.int64)
    for c in range(nch):
        inside = ((mem.chanmask >> c) & 1) == 1
        if c == 0:
            t = mem.join_us.copy()
        else:
            base = np.maximum(mem.join_us, created[c])
            late = created[c] > mem.join_us
            delay = np.where(late, rng.uniform(600, 10 * 86400, M), rng.uniform(20, 900, M))
            t = base + (delay * Mo.US).astype(np.int64)
        t = np.where(mem.active_at(np.arange(M), t) | (t < world.start_us), t, Mo.NEVER)
        cj[:, c] = np.where(inside, t, Mo.NEVER)
    a0 = admin_m[0]
    cj[a0, 5] = created[5]                  # the admin who creates the hackathon channel is in it
    mem.chanmask = np.zeros(M, dtype=np.int64)
    for c in range(nch):
        mem.chanmask |= np.where(cj[:, c] < world.end_us, 1 << c, 0)

    # top-level human messages
    total = world.scale.messages["slack"]
    ratio = float((weights * p_thread).sum() / weights.sum() * 2.0)
    t, m, ch = Mo.sample_top_level(world, mem, total / (1 + ratio), rng, weights)
    not_yet = t < cj[m, ch]
    ch = np.where(not_yet, 0, ch).astype(np.int16)
    # forced edge cases: 23:59 / 00:01 local, and a member on both sides of UTC midnight
    dx = int(days * 0.45)
    extra_t = [world.local_midnight(dx) + (23 * 3600 + 59 * 60 + 30) * Mo.US,
               world.local_midnight(dx + 1) + (60 + 10) * Mo.US,
               world.local_midnight(dx + 2) + (7 * 3600 + 58 * 60 + 3) * Mo.US,      # 23:58 UTC
               world.local_midnight(dx + 2) + (8 * 3600 + 3 * 60 + 41) * Mo.US]      # 00:03 UTC
    t = np.concatenate([t, extra_t])
    m = np.concatenate([m, [a0, admin_m[1], a0, a0]]).astype(np.int32)
    ch = np.concatenate([ch, [0, 0, 1, 1]]).astype(np.int16)
    o = np.argsort(t, kind="stable")
    t, m, ch = t[o], m[o], ch[o]
    n_top = t.size
    tpl, a, b, lz = C.draw_text_fields(rng, n_top, P.lang_zh[mem.pid[m]])

    tab = Mo.Table()
    top_base = tab.add(t, actor=m, chan=ch, kind=Mo.K_MSG, tpl=tpl, a=a, b=b, zh=lz)

    # thread replies (flat: Slack threads have one level)
    rt, rm, rroot, _, rself, rment = Mo.sample_replies(world, mem, t, m, ch, p_thread, rng)
    n_rep = rt.size
    rsub = np.where(rng.random(n_rep) < 0.04, Mo.S_BROADCAST, Mo.S_NORMAL)
    rsub[np.nonzero(~rself)[0][:3]] = Mo.S_BROADCAST
    tpl, a, b, lz = C.draw_text_fields(rng, n_rep, P.lang_zh[mem.pid[rm]])
    rch = ch[rroot]
    tab.add(rt, actor=rm, chan=rch, kind=Mo.K_REPLY, sub=rsub, parent=top_base + rroot,
            root=top_base + rroot, tpl=tpl, a=a, b=b, zh=lz, mention=rment,
            subject=np.where(rself, 1, 0))

    # membership events
    sys_t, sys_actor, sys_chan, sys_sub, sys_subject = [], [], [], [], []

    def sys(tt, actor, chan, sub, subject=-1):
        sys_t.append(np.atleast_1d(np.asarray(tt, dtype=np.int64)))
        n = sys_t[-1].size
        sys_actor.append(np.broadcast_to(np.asarray(actor, dtype=np.int32), (n,)))
        sys_chan.append(np.broadcast_to(np.asarray(chan, dtype=np.int16), (n,)))
        sys_sub.append(np.broadcast_to(np.asarray(sub, dtype=np.int8), (n,)))
        sys_subject.append(np.broadcast_to(np.asarray(subject, dtype=np.int32), (n,)))

    inviter = np.where(rng.random(M) < 0.1, admin_m[rng.integers(0, admin_m.size, M)], -1)
    for c in range(nch):
        j = np.nonzero((cj[:, c] >= world.start_us) & (cj[:, c] < world.end_us))[0]
        sys(cj[j, c], j, c, Mo.S_JOIN, inviter[j] if c == 0 else -1)
        lv = np.nonzero((cj[:, c] < mem.leave_us) & (mem.leave_us < world.end_us))[0] if c else np.zeros(0, int)
        if lv.size:
            lt = mem.leave_us[lv] + (rng.uniform(0, 120, lv.size) * Mo.US).astype(np.int64) * c
            sys(lt, lv, c, Mo.S_LEAVE)
            back = lv[mem.rejoin_us[lv] < world.end_us]
            sys(mem.rejoin_us[back] + (rng.uniform(5, 600, back.size) * Mo.US).astype(np.int64) * c,
                back, c, Mo.S_JOIN)
    # the hackathon channel: its creator (joined above) sets purpose and topic; the app joins
    sys(created[5] + 30 * Mo.US, a0, 5, Mo.S_PURPOSE, 5)
    sys(created[5] + 75 * Mo.US, a0, 5, Mo.S_TOPIC, 7)
    sys(created[5] + 300 * Mo.US, APP, 5, Mo.S_JOIN)
    for k, frac in enumerate((0.27, 0.71)):
        sys(world.local_midnight(int(days * frac)) + (10 * 3600 + 5 * 60 + k * 7) * Mo.US, admin_m[k % admin_m.size],
            0, Mo.S_TOPIC, 6 + k)

    # pins: well-answered top-level messages in #general / #help get pinned by an admin
    n_pins = max(4, days // 25) if M < 1000 else 40
    kids = np.bincount(rroot, minlength=n_top)
    cand = np.nonzero((ch <= 1) & (kids >= 2) & (t < world.end_us - 3 * Mo.DAY_US))[0]
    pins = np.sort(rng.choice(cand, min(n_pins, cand.size), replace=False)) if cand.size else np.zeros(0, int)
    pin_t = t[pins] + (rng.uniform(1, 48, pins.size) * Mo.HOUR_US).astype(np.int64)
    pin_actor = admin_m[rng.integers(0, admin_m.size, pins.size)]

    st = np.concatenate(sys_t)
    tab.add(st, actor=np.concatenate(sys_actor), chan=np.concatenate(sys_chan), kind=Mo.K_SYS,
            sub=np.concatenate(sys_sub), subject=np.concatenate(sys_subject))
    tab.add(pin_t, actor=pin_actor, chan=ch[pins], kind=Mo.K_SYS, sub=Mo.S_PIN, ref=top_base + pins)

    # bots: the app welcomes newcomers in #general and posts a weekly digest; a legacy
    # GitHub integration posts into #dev-feed
    newc = np.nonzero((mem.join_us >= world.start_us))[0]
    p_wel = 0.55 if M < 1000 else 0.08
    wel = newc[rng.random(newc.size) < p_wel]
    wt = mem.join_us[wel] + (rng.uniform(3, 40, wel.size) * Mo.US).astype(np.int64)
    tpl, a, b, _ = C.draw_text_fields(rng, wel.size, np.ones(wel.size))
    tab.add(wt, actor=APP, chan=0, kind=Mo.K_MSG, sub=Mo.S_WELCOME, subject=wel, tpl=tpl, a=a, b=b, zh=zh)
    mondays = [d for d in range(days) if world.local_date(d).weekday() == 0]
    dt = np.array([world.local_midnight(d) + (9 * 3600 + 30 * 60) * Mo.US for d in mondays], dtype=np.int64)
    tpl, a, b, _ = C.draw_text_fields(rng, dt.size, np.ones(dt.size))
    tab.add(dt, actor=APP, chan=0, kind=Mo.K_MSG, sub=Mo.S_DIGEST, tpl=tpl, a=a, b=b, zh=zh)
    gh_rate = 1.6 if M < 1000 else 40.0
    gh_n = rng.poisson(gh_rate * Mo.WEEKDAY_FACTOR[(np.arange(days) + world.scale.start.weekday()) % 7])
    gd = np.repeat(np.arange(days), gh_n)
    gt = world.start_us + gd * Mo.DAY_US + rng.integers(9 * Mo.HOUR_US, 24 * Mo.HOUR_US - 1, gd.size)
    tpl, a, b, _ = C.draw_text_fields(rng, gt.size, np.ones(gt.size))
    tab.add(gt, actor=GH, chan=4, kind=Mo.K_MSG, sub=Mo.S_LEGACY_BOT, tpl=tpl, a=a, b=b, zh=zh,
            subject=rng.integers(0, M, gt.size))

    tab.finalize()
    n = tab.size
    pin_sys = np.nonzero(tab.sub == Mo.S_PIN)[0]
    tab.pin_t[tab.ref[pin_sys]] = tab.t[pin_sys]

    is_bot = tab.actor >= M
    content = tab.kind != Mo.K_SYS
    human = content & ~is_bot
    _, _, windows = C.overlapping_windows(world, 10.28)
    x1, x2 = windows[0].export_us, windows[1].export_us

    # edits (mostly minutes later, some days later), and a few in the overlap that are only
    # seen by the later export
    ed = human & (rng.random(n) < 0.05)
    short = rng.random(n) < 0.75
    delay = np.where(short, rng.uniform(60, 1800, n), rng.uniform(86400, 12 * 86400, n))
    tab.edit_t = np.where(ed, tab.t + (delay * Mo.US).astype(np.int64), -1)
    ov = np.nonzero(human & (tab.t >= windows[1].lo_us) & (tab.t < x1 - Mo.DAY_US) & (tab.edit_t < 0))[0]
    late = ov[rng.permutation(ov.size)[:max(6, ov.size // 40)]]
    tab.edit_t[late] = x1 + (rng.uniform(2, 96, late.size) * Mo.HOUR_US).astype(np.int64)
    # attachments
    att = human & (rng.random(n) < np.where(tab.kind == Mo.K_MSG, 0.05, 0.02))
    tab.att = np.where(att, rng.integers(0, len(T.FILE_KINDS), n), -1).astype(np.int8)

    # reactions
    pool = np.nonzero(human)[0]
    p = np.where(human, np.where(tab.kind == Mo.K_MSG, 0.3, 0.12), 0.0)
    p = np.where(tab.sub == Mo.S_WELCOME, 0.5, np.where(tab.sub == Mo.S_DIGEST, 0.3,
                 np.where(tab.sub == Mo.S_LEGACY_BOT, 0.04, p)))
    author = np.where(is_bot, -1, tab.actor)
    r_msg, r_who, r_emo, r_t = Mo.sample_reactions(world, mem, tab.t, author, p, rng, tab.t[pool],
                                                   tab.actor[pool], len(EMOJI), EMOJI_P, x2)
    r_msg, r_who, r_emo, r_t = C.add_late_reactions(rng, mem, tab, human, (r_msg, r_who, r_emo, r_t), windows, 4)
    # Slack lists at most some reactors: now and then count > len(users)
    r_counts = np.bincount(r_msg, minlength=n)
    phantom = np.where((r_counts >= 3) & (rng.random(n) < 0.12), rng.integers(1, 6, n), 0)
    big = np.nonzero(r_counts >= 2)[0]
    phantom[big[:2]] = np.maximum(phantom[big[:2]], 2)

    return dict(mem=mem, tab=tab, windows=windows, created=created, hack_year=hack_year,
                r=(r_msg, r_who, r_emo, r_t), phantom=phantom, is_bot=is_bot, APP=APP, GH=GH)


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------

def _zipinfo(name: str, t_us: int, is_dir: bool = False) -> zipfile.ZipInfo:
    dt = C.local_dt(t_us)
    zi = zipfile.ZipInfo(name, date_time=(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second))
    zi.create_system = 3
    zi.external_attr = ((0o40755 << 16) | 0x10) if is_dir else (0o100644 << 16)
    zi.compress_type = zipfile.ZIP_STORED if is_dir else zipfile.ZIP_DEFLATED
    return zi


def _ts(t: int) -> str:
    return f"{t // 1_000_000}.{t % 1_000_000:06d}"


def _ordinal(d: int) -> str:
    return f"{d}{'th' if 10 <= d % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"


_URL = re.compile(r"https?://[^\s，。（）()<>]+")


def _esc(s: str) -> str:
    """Slack mrkdwn as stored: &, <, > escaped; links wrapped in <…>."""
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _URL.sub(lambda m: f"<{m.group(0)}>", s)


def write(world: Mo.World, sim: dict, source_dir: Path, source: str) -> C.PlatformResult:
    mem, tab, windows = sim["mem"], sim["tab"], sim["windows"]
    r_msg, r_who, r_emo, r_t = sim["r"]
    phantom, is_bot, APP, GH = sim["phantom"], sim["is_bot"], sim["APP"], sim["GH"]
    P = world.persons
    zh = world.zh
    M = mem.n
    n = tab.size
    seed = world.seed
    texts = C.Texts(world)
    team = C.slack_id("T", 1, SALT + seed)
    domain = "sparkdev-cn" if zh else "sparkdev"
    uid = [C.slack_id("U", i + 1000, SALT + seed) for i in range(M)]
    app_uid = C.slack_id("U", 7, SALT + seed)
    app_bot = C.slack_id("B", 7, SALT + seed)
    app_id = C.slack_id("A", 7, SALT + seed)
    gh_bot = C.slack_id("B", 8, SALT + seed)
    gh_svc = str(30_000_000_000 + seed * 7919 % 1_000_000_000)
    app_name = "星火助手" if zh else "Spark Assistant"
    uname = [P.username[p] for p in mem.pid.tolist()]
    dname = [P.display[p] for p in mem.pid.tolist()]
    hack_name = f"hackathon-{sim['hack_year']}"
    chan_names = [c[0] for c in CHANNELS[:5]] + [hack_name]
    chan_roles = [c[1] for c in CHANNELS]
    chan_id = [C.slack_id("C", i + 1, SALT + seed) for i in range(len(CHANNELS))]
    topics = T.TOPIC_ZH if zh else T.TOPIC_EN
    created = sim["created"]
    creator = uid[int(np.nonzero(P.admin[mem.pid])[0][0])]

    kids, k_off = Mo.thread_index(np.where(tab.kind == Mo.K_REPLY, tab.root, -1))
    r_off = np.searchsorted(r_msg, np.arange(n + 1))
    day = (tab.t - world.start_us) // Mo.DAY_US
    bot_profile = {"id": app_bot, "deleted": False, "name": app_name, "updated": int(created[0] // Mo.US) + 86400,
                   "app_id": app_id, "icons": {"image_36": f"https://avatars.slack-edge.com/2024-03-02/{app_id}_36.png",
                                              "image_48": f"https://avatars.slack-edge.com/2024-03-02/{app_id}_48.png",
                                              "image_72": f"https://avatars.slack-edge.com/2024-03-02/{app_id}_72.png"},
                   "team_id": team}

    def actor_uid(a: int) -> str:
        return app_uid if a == APP else uid[a]

    def text_of(i: int, t: int, kind: int, sub: int, actor: int, ch: int, tp: int, a: int, b: int, z: bool,
                mention: bool, subject: int) -> str:
        if kind == Mo.K_SYS:
            u = actor_uid(actor)
            if sub == Mo.S_JOIN:
                return f"<@{u}> has joined the channel"
            if sub == Mo.S_LEAVE:
                return f"<@{u}> has left the channel"
            if sub == Mo.S_TOPIC:
                return f"<@{u}> set the channel topic: {_esc(topics[subject % len(topics)])}"
            if sub == Mo.S_PURPOSE:
                return f"<@{u}> set the channel purpose: {_esc(topics[subject % len(topics)])}"
            if sub == Mo.S_PIN:
                return f"<@{u}> pinned a message to this channel."
        if actor >= M:
            return texts.bot(Mo.S_GITHUB if actor == GH else sub, t, tp, a, b, zh, mention=f"<@{uid[subject]}>" if subject >= 0 else "",
                             user=uname[subject] if subject >= 0 else "")
        s = _esc(texts.human(kind, sub, chan_roles[ch], t, tp, a, b, z, self_reply=subject == 1))
        if mention and kind == Mo.K_REPLY:
            s = f"<@{uid[tab.actor[tab.root[i]]]}> " + s
        return s

    def row_text(i: int, X: int) -> str:
        s = text_of(i, int(tab.t[i]), int(tab.kind[i]), int(tab.sub[i]), int(tab.actor[i]), int(tab.chan[i]),
                    int(tab.tpl[i]), int(tab.a[i]), int(tab.b[i]), bool(tab.zh[i]), bool(tab.mention[i]),
                    int(tab.subject[i]))
        if 0 <= tab.edit_t[i] <= X:
            s = texts.edited(s, int(tab.a[i]), int(tab.b[i]), bool(tab.zh[i]))
        return s

    files_out = []
    rows_in_files = 0
    level = 6 if n < 200_000 else 1
    for e, w in enumerate(windows):
        X = w.export_us
        zpath = source_dir / f"slack_export_part{e + 1}.zip"
        files_out.append(zpath.name)
        sel = w.contains(tab.t)
        with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
            # channels.json
            chans = []
            active_now = mem.active_at(np.arange(M), X)
            for c in range(len(CHANNELS)):
                if created[c] > X:
                    continue
                inside = (((mem.chanmask >> c) & 1) == 1) & active_now
                mems = [uid[m] for m in np.nonzero(inside)[0].tolist()]
                if c == 5:
                    mems.append(app_uid)
                state = {}
                for key, sub in (("topic", Mo.S_TOPIC), ("purpose", Mo.S_PURPOSE)):
                    ev = np.nonzero((tab.sub == sub) & (tab.chan == c) & (tab.t <= X))[0]
                    if ev.size:
                        i = ev[-1]
                        state[key] = {"value": topics[int(tab.subject[i])], "creator": actor_uid(int(tab.actor[i])),
                                      "last_set": int(tab.t[i] // Mo.US)}
                    elif c < 5:
                        state[key] = {"value": topics[c], "creator": creator, "last_set": int(created[c] // Mo.US)}
                    else:
                        state[key] = {"value": "", "creator": "", "last_set": 0}
                chans.append({
                    "id": chan_id[c], "name": chan_names[c], "created": int(created[c] // Mo.US),
                    "creator": creator, "is_archived": False, "is_general": c == 0, "members": mems,
                    "topic": state["topic"], "purpose": state["purpose"],
                })
            zf.writestr(_zipinfo("channels.json", X), J.slack_dumps(chans))
            # integration_logs.json (newest first)
            logs = [
                {"user_id": uid[0], "user_name": uname[0], "date": str(int(created[4] // Mo.US) + 3600),
                 "change_type": "added", "service_id": gh_svc, "service_type": "GitHub",
                 "scope": "incoming-webhook", "channel": chan_id[4]},
                {"user_id": uid[0], "user_name": uname[0], "date": str(int(created[0] // Mo.US) + 86400),
                 "change_type": "added", "app_type": app_name, "app_id": app_id,
                 "scope": "bot,chat:write,channels:read,reactions:read,users:read"},
                {"user_id": uid[0], "user_name": uname[0], "date": str(int(created[5] // Mo.US) + 300),
                 "change_type": "expanded", "app_type": app_name, "app_id": app_id,
                 "scope": "channels:history,groups:read", "channel": chan_id[5]},
            ]
            logs = sorted([l for l in logs if int(l["date"]) * Mo.US <= X], key=lambda l: -int(l["date"]))
            zf.writestr(_zipinfo("integration_logs.json", X), J.slack_dumps(logs))
            # users.json
            users = []
            for m in range(M):
                if mem.join_us[m] > X:
                    continue
                left = mem.leave_us[m] <= X < mem.rejoin_us[m]
                p = int(mem.pid[m])
                tzrow = ("America/Los_Angeles", "Pacific Standard Time", -28800) if P.region[p] == 12 and p % 2 \
                    else ("Asia/Shanghai", "China Standard Time", 28800)
                av = C.hexhash(p * 31 + 5, 12)
                prof = {"title": "", "phone": "", "skype": "", "real_name": dname[m],
                        "real_name_normalized": dname[m], "display_name": uname[m] if p % 3 else "",
                        "display_name_normalized": uname[m] if p % 3 else "", "fields": None,
                        "status_text": "", "status_emoji": "", "status_expiration": 0, "avatar_hash": av,
                        "email": f"{uname[m]}@example.com", "first_name": dname[m], "last_name": "",
                        "image_24": f"https://avatars.slack-edge.com/{av}_24.png",
                        "image_72": f"https://avatars.slack-edge.com/{av}_72.png",
                        "image_192": f"https://avatars.slack-edge.com/{av}_192.png", "team": team}
                u = {"id": uid[m], "team_id": team, "name": uname[m], "deleted": bool(left),
                     "color": C.hexhash(p, 6), "real_name": dname[m]}
                if not left:
                    u.update({"tz": tzrow[0], "tz_label": tzrow[1], "tz_offset": tzrow[2]})
                u.update({"profile": prof, "is_admin": bool(P.admin[p]), "is_owner": bool(p == 0),
                          "is_primary_owner": bool(p == 0), "is_restricted": False, "is_ultra_restricted": False,
                          "is_bot": False, "is_app_user": False,
                          "updated": int(max(mem.join_us[m], world.start_us - 86400 * Mo.US) // Mo.US),
                          "is_email_confirmed": True, "who_can_share_contact_card": "EVERYONE"})
                users.append(u)
            users.append({"id": app_uid, "team_id": team, "name": "spark_assistant", "deleted": False,
                          "color": "4bbe2e", "real_name": app_name, "tz": "America/Los_Angeles",
                          "tz_label": "Pacific Standard Time", "tz_offset": -28800,
                          "profile": {"title": "", "phone": "", "skype": "", "real_name": app_name,
                                      "real_name_normalized": app_name, "display_name": "",
                                      "display_name_normalized": "", "fields": None, "status_text": "",
                                      "status_emoji": "", "status_expiration": 0, "avatar_hash": "b1a2c3d4e5f6",
                                      "bot_id": app_bot, "api_app_id": app_id, "always_active": True,
                                      "first_name": app_name, "last_name": "", "team": team},
                          "is_admin": False, "is_owner": False, "is_primary_owner": False,
                          "is_restricted": False, "is_ultra_restricted": False, "is_bot": True,
                          "is_app_user": False, "updated": int(created[0] // Mo.US) + 86400})
            users.append({"id": "USLACKBOT", "team_id": team, "name": "slackbot", "deleted": False,
                          "color": "757575", "real_name": "Slackbot", "tz": "America/Los_Angeles",
                          "tz_label": "Pacific Standard Time", "tz_offset": -28800,
                          "profile": {"title": "", "phone": "", "skype": "", "real_name": "Slackbot",
                                      "real_name_normalized": "Slackbot", "display_name": "Slackbot",
                                      "display_name_normalized": "Slackbot", "fields": None, "status_text": "",
                                      "status_emoji": "", "status_expiration": 0, "avatar_hash": "sv41d8cd98f0",
                                      "always_active": True, "first_name": "slackbot", "last_name": "",
                                      "team": team},
                          "is_admin": False, "is_owner": False, "is_primary_owner": False,
                          "is_restricted": False, "is_ultra_restricted": False, "is_bot": False,
                          "is_app_user": False, "updated": 0})
            zf.writestr(_zipinfo("users.json", X), J.slack_dumps(users))

            # channel folders
            for c in range(len(CHANNELS)):
                rows = np.nonzero(sel & (tab.chan == c))[0]
                if rows.size == 0:
                    continue
                zf.writestr(_zipinfo(chan_names[c] + "/", X, is_dir=True), b"")
                cuts = np.nonzero(np.diff(day[rows]))[0] + 1
                for grp in np.split(rows, cuts):
                    msgs = _day_messages(grp, X, tab, texts, text_of, locals_=dict(
                        uid=uid, app_uid=app_uid, app_bot=app_bot, app_id=app_id, gh_bot=gh_bot, team=team,
                        M=M, APP=APP, GH=GH, bot_profile=bot_profile, kids=kids, k_off=k_off, r_off=r_off,
                        r_who=r_who, r_emo=r_emo, r_t=r_t, phantom=phantom, chan_id=chan_id[c],
                        domain=domain, seed=seed, actor_uid=actor_uid, app_name=app_name, row_text=row_text,
                        chan_name=chan_names[c], uname=uname, dname=dname))
                    rows_in_files += len(msgs)
                    name = f"{chan_names[c]}/{world.local_date(int(day[grp[0]])).isoformat()}.json"
                    zf.writestr(_zipinfo(name, X), J.slack_dumps(msgs))
        C.set_mtime(zpath, X)

    # ---- truth ----
    last = C.last_export_index(tab.t, windows)
    assert (last >= 0).all()
    lastX = np.array([w.export_us for w in windows])[last]
    vis = r_t <= lastX[r_msg]
    grp_first = np.zeros(r_msg.size, dtype=bool)
    if r_msg.size:
        # phantom extra goes on the message's first emoji group that is visible
        order = np.nonzero(vis)[0]
        _, fi = np.unique(r_msg[order], return_index=True)
        grp_first[order[fi]] = True
    reactions = int(vis.sum() + phantom[r_msg[grp_first]].sum())
    edited = int(((tab.edit_t >= 0) & (tab.edit_t <= lastX)).sum())
    sub = tab.sub
    joins = int(((tab.kind == Mo.K_SYS) & (sub == Mo.S_JOIN)).sum())
    bot_joins = int(((tab.kind == Mo.K_SYS) & (sub == Mo.S_JOIN) & is_bot).sum())
    leaves = int(((tab.kind == Mo.K_SYS) & (sub == Mo.S_LEAVE)).sum())
    truth, daily = C.truth_block(
        world, "slack", tab, is_bot, tab.actor.astype(np.int64), joins, leaves, bot_joins,
        users=M + 2, bot_users=1, reactions=reactions, edited=edited, channels=len(CHANNELS),
        files=files_out, rows_in_files=rows_in_files,
        extra={"thread_broadcasts": int((sub == Mo.S_BROADCAST).sum()),
               "legacy_bot_messages": int((sub == Mo.S_LEGACY_BOT).sum()),
               "message_key": "channel id + ts"})
    return C.platform_result(world, source, mem, tab, is_bot, r_msg, r_who, r_t, vis, truth, daily,
                             keys=[f"{source}:{u}" for u in uid], all_listed=True)


def _day_messages(grp, X, tab, texts, text_of, locals_):
    L = locals_
    uid, app_uid, team, M, APP, GH = L["uid"], L["app_uid"], L["team"], L["M"], L["APP"], L["GH"]
    kids, k_off, r_off, r_who, r_emo, r_t = L["kids"], L["k_off"], L["r_off"], L["r_who"], L["r_emo"], L["r_t"]
    phantom, chan, seed = L["phantom"], L["chan_id"], L["seed"]
    cols = {k: getattr(tab, k)[grp].tolist() for k in
            ("t", "actor", "kind", "sub", "chan", "tpl", "a", "b", "zh", "mention", "subject", "root",
             "edit_t", "att", "pin_t", "ref")}
    uuids = C.uuids_for(seed, grp)
    out = []
    for j, i in enumerate(grp.tolist()):
        t, actor, kind, sub = cols["t"][j], cols["actor"][j], cols["kind"][j], cols["sub"][j]
        ts = _ts(t)
        text = text_of(i, t, kind, sub, actor, cols["chan"][j], cols["tpl"][j], cols["a"][j], cols["b"][j],
                       cols["zh"][j], cols["mention"][j], cols["subject"][j])
        if kind == Mo.K_SYS:
            u = L["actor_uid"](actor)
            msg = {"user": u, "type": "message", "subtype": {
                Mo.S_JOIN: "channel_join", Mo.S_LEAVE: "channel_leave", Mo.S_TOPIC: "channel_topic",
                Mo.S_PURPOSE: "channel_purpose", Mo.S_PIN: "pinned_item"}[sub], "ts": ts, "text": text}
            if sub == Mo.S_JOIN and cols["subject"][j] >= 0:
                msg["inviter"] = uid[cols["subject"][j]]
            elif sub == Mo.S_TOPIC:
                msg["topic"] = text.split(": ", 1)[1]
            elif sub == Mo.S_PURPOSE:
                msg["purpose"] = text.split(": ", 1)[1]
            elif sub == Mo.S_PIN:
                ref = cols["ref"][j]
                ra = int(tab.actor[ref])
                ptext = L["row_text"](ref, X)
                pdt = C.local_dt(int(tab.t[ref]))
                msg["item_type"] = "C"
                msg["attachments"] = [{
                    "fallback": f"[{pdt:%B} {_ordinal(pdt.day)}, {pdt.year} {pdt.hour % 12 or 12}:{pdt:%M %p}] {L['uname'][ra]}: {ptext}",
                    "ts": _ts(int(tab.t[ref])), "author_subname": L["uname"][ra], "channel_id": chan,
                    "channel_name": L["chan_name"], "is_msg_unfurl": True, "text": ptext,
                    "author_name": L["dname"][ra],
                    "author_link": f"https://{L['domain']}.slack.com/team/{uid[ra]}",
                    "mrkdwn_in": ["text"]}]
            out.append(msg)
            continue
        if actor == GH:
            out.append({"type": "message", "subtype": "bot_message", "text": text, "ts": ts,
                        "username": "GitHub", "bot_id": L["gh_bot"],
                        "icons": {"image_48": "https://slack.github.com/static/img/favicon-neutral.png"}})
            _reactions(out[-1], i, X, r_off, r_who, r_emo, r_t, phantom, uid)
            continue
        edit_t = cols["edit_t"][j]
        if 0 <= edit_t <= X:
            text = texts.edited(text, cols["a"][j], cols["b"][j], cols["zh"][j])
        if actor == APP:
            msg = {"user": app_uid, "type": "message", "ts": ts, "bot_id": L["app_bot"], "app_id": L["app_id"],
                   "text": text, "team": team, "bot_profile": L["bot_profile"]}
        else:
            msg = {"user": uid[actor], "type": "message", "ts": ts, "client_msg_id": uuids[j],
                   "text": text, "team": team}
        if sub == Mo.S_BROADCAST:
            msg["subtype"] = "thread_broadcast"
        if 0 <= edit_t <= X:
            msg["edited"] = {"user": uid[actor] if actor < M else app_uid, "ts": f"{edit_t // 1_000_000}.000000"}
        if kind == Mo.K_REPLY:
            root = cols["root"][j]
            msg["thread_ts"] = _ts(int(tab.t[root]))
            msg["parent_user_id"] = uid[int(tab.actor[root])]
            if sub == Mo.S_BROADCAST:
                msg["root"] = {"user": uid[int(tab.actor[root])], "type": "message", "ts": msg["thread_ts"],
                               "client_msg_id": C.uuid_for(seed, root), "text": L["row_text"](root, X),
                               "team": team, "thread_ts": msg["thread_ts"]}
        else:
            ks = kids[k_off[i]:k_off[i + 1]]
            ks = ks[tab.t[ks] <= X]
            if ks.size:
                rusers = []
                for a in tab.actor[ks].tolist():
                    u = uid[a]
                    if u not in rusers:
                        rusers.append(u)
                msg.update({"thread_ts": ts, "reply_count": int(ks.size), "reply_users_count": len(rusers),
                            "latest_reply": _ts(int(tab.t[ks[-1]])), "reply_users": rusers[:5],
                            "replies": [{"user": uid[a], "ts": _ts(tt)} for a, tt in
                                        zip(tab.actor[ks].tolist(), tab.t[ks].tolist())],
                            "is_locked": False, "subscribed": False})
        att = cols["att"][j]
        if att >= 0:
            fname, mime, ftype, pretty = T.FILE_KINDS[att]
            fid = C.slack_id("F", i + 5000, SALT + seed)
            secs = t // 1_000_000
            u = uid[actor] if actor < M else app_uid
            msg["files"] = [{"id": fid, "created": secs, "timestamp": secs, "name": fname, "title": fname,
                             "mimetype": mime, "filetype": ftype, "pretty_type": pretty, "user": u,
                             "user_team": team, "editable": False, "size": 2048 + (i * 7919) % 900_000,
                             "mode": "hosted", "is_external": False, "external_type": "", "is_public": True,
                             "public_url_shared": False, "display_as_bot": False, "username": "",
                             "url_private": f"https://files.slack.com/files-pri/{team}-{fid}/{fname}",
                             "url_private_download": f"https://files.slack.com/files-pri/{team}-{fid}/download/{fname}",
                             "permalink": f"https://{L['domain']}.slack.com/files/{u}/{fid}/{fname}",
                             "permalink_public": f"https://slack-files.com/{team}-{fid}-{C.hexhash(i, 10)}",
                             "is_starred": False, "has_rich_preview": False, "file_access": "visible"}]
            msg["upload"] = False
            msg["display_as_bot"] = False
        pin_t = cols["pin_t"][j]
        if 0 <= pin_t <= X:
            msg["pinned_to"] = [chan]
        _reactions(msg, i, X, r_off, r_who, r_emo, r_t, phantom, uid)
        out.append(msg)
    return out


def _reactions(msg, i, X, r_off, r_who, r_emo, r_t, phantom, uid):
    lo, hi = r_off[i], r_off[i + 1]
    if lo == hi:
        return
    groups: dict[int, list] = {}
    for who, emo, t in zip(r_who[lo:hi].tolist(), r_emo[lo:hi].tolist(), r_t[lo:hi].tolist()):
        if t <= X:
            groups.setdefault(emo, []).append(uid[who])
    if not groups:
        return
    out = []
    for k, (emo, users) in enumerate(groups.items()):
        out.append({"name": EMOJI[emo], "users": users, "count": len(users) + (int(phantom[i]) if k == 0 else 0)})
    msg["reactions"] = out
