"""Discord guild: simulate, then write DiscordChatExporter JSON exports.

Two export runs (folders named by their date), each with one file per text channel,
``"{Guild} - {Category} - {Channel} [{channelId}].json"``, and one per thread,
``"{Guild} - {Parent channel} - {Thread} [{threadId}].json"`` (channel.type
GuildPublicThread, categoryId/category = the parent channel). The first run exported
everything before a date, the second everything after an earlier date: about two weeks of
messages are in both. At the small scale the second run was partitioned (``[part N]``).

Shapes as DCE writes them (formats.md §2, fixtures/real/discord): root
``{guild, channel, dateRange, exportedAt, messages[], messageCount}``, the current writer's
key order, 2-space indentation, local times with the exporter's +08:00 offset and 0-3
fractional digits, snowflake ids whose timestamp bits match the message time.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import numpy as np
import orjson

from . import common as C
from . import jsonfmt as J
from . import model as Mo
from . import text as T

PLATFORM = 1
DISCORD_EPOCH_MS = 1_420_070_400_000
# name (zh), name (en), category, role, weight, share of top-level messages replied to
CHANNELS = [
    ("general", "general", 0, "general", 0.46, 0.22),
    ("求助-help", "help", 0, "help", 0.22, 0.55),
    ("项目展示", "showcase", 0, "showcase", 0.12, 0.35),
    ("开源贡献", "open-source", 0, "oss", 0.10, 0.25),
    ("闲聊", "off-topic", 0, "random", 0.10, 0.15),
    ("公告", "announcements", 1, "general", 0.0, 0.1),
]
CATEGORIES_ZH = ["社区交流", "公告"]
CATEGORIES_EN = ["Community", "Info"]
THREAD_NAMES_ZH = ["Rust 编译报错 E0502", "Docker 镜像体积优化", "Next.js 部署到 Vercel 的坑", "黑客松组队",
                   "DuckDB 性能调优", "独立开发者如何定价", "k8s 上的 Pod 一直重启", "Tauri 打包签名问题"]
THREAD_NAMES_EN = ["Rust borrow error E0502", "Shrinking Docker images", "Next.js on Vercel gotchas",
                   "Hackathon team-up", "DuckDB tuning", "Pricing an indie product", "Pods keep restarting",
                   "Tauri code signing"]
# emoji, alias, twemoji code point(s)
EMOJI = [("👍", "thumbsup", "1f44d"), ("❤️", "heart", "2764"), ("🎉", "tada", "1f389"), ("👀", "eyes", "1f440"),
         ("🚀", "rocket", "1f680"), ("😂", "joy", "1f602"), ("🙏", "pray", "1f64f"), ("💯", "100", "1f4af"),
         ("✅", "white_check_mark", "2705"), (None, "spark", None)]
EMOJI_P = np.array([24, 12, 10, 8, 8, 8, 6, 5, 8, 11], dtype=float)
EMOJI_P /= EMOJI_P.sum()


def snowflake(t_us: np.ndarray, low: np.ndarray) -> np.ndarray:
    ms = np.asarray(t_us) // 1000
    return ((ms - DISCORD_EPOCH_MS) << 22) | (np.asarray(low, dtype=np.int64) & 0x3FFFFF)


def simulate(world: Mo.World):
    rng = Mo.rng_for(world.seed, Mo.STREAM["discord"])
    P = world.persons
    days = world.days
    nch = len(CHANNELS)
    weights = np.array([c[4] for c in CHANNELS])
    p_thread = np.array([c[5] for c in CHANNELS])
    mem = Mo.build_members(world, PLATFORM, rng, weights)
    mem.chanmask[:] = (1 << nch) - 1                 # every channel is visible to everyone
    M = mem.n
    BOT, HOOK = M, M + 1
    admin_m = np.nonzero(P.admin[mem.pid])[0]

    total = world.scale.messages["discord"]
    ratio = float((weights * p_thread).sum() / weights.sum() * 2.0)
    t, m, ch = Mo.sample_top_level(world, mem, total / (1 + ratio) * 0.95, rng, weights)
    # announcements by admins (about weekly) and the forced time-zone edge cases
    ann_days = np.arange(2, days, 7)
    at = world.start_us + ann_days * Mo.DAY_US + (11 * 3600 + 2 * 60) * Mo.US + rng.integers(0, 600 * Mo.US, ann_days.size)
    dx = int(days * 0.5)
    extra_t = np.array([world.local_midnight(dx) + (23 * 3600 + 59 * 60 + 12) * Mo.US + 345_000,
                        world.local_midnight(dx + 1) + (60 + 40) * Mo.US + 120_000,
                        world.local_midnight(dx + 3) + (7 * 3600 + 59 * 60) * Mo.US + 500_000,
                        world.local_midnight(dx + 3) + (8 * 3600 + 0 * 60 + 30) * Mo.US])
    t = np.concatenate([t, at, extra_t])
    m = np.concatenate([m, admin_m[np.arange(ann_days.size) % admin_m.size],
                        [admin_m[0], admin_m[1], admin_m[1], admin_m[1]]]).astype(np.int32)
    ch = np.concatenate([ch, np.full(ann_days.size, 5), [0, 0, 4, 4]]).astype(np.int16)
    o = np.argsort(t, kind="stable")
    t, m, ch = t[o], m[o], ch[o]
    n_top = t.size
    tpl, a, b, lz = C.draw_text_fields(rng, n_top, P.lang_zh[mem.pid[m]])
    tab = Mo.Table()
    top_base = tab.add(t, actor=m, chan=ch, kind=Mo.K_MSG, tpl=tpl, a=a, b=b, zh=lz)

    rt, rm, rroot, rpar, rself, rment = Mo.sample_replies(world, mem, t, m, ch, p_thread, rng, chain_prob=0.3,
                                                          eligible=ch != 5)
    n_rep = rt.size
    tpl, a, b, lz = C.draw_text_fields(rng, n_rep, P.lang_zh[mem.pid[rm]])
    rep_base = tab.size
    tab.add(rt, actor=rm, chan=ch[rroot], kind=Mo.K_REPLY, root=top_base + rroot,
            parent=np.where(rpar >= 0, rep_base + rpar, top_base + rroot), tpl=tpl, a=a, b=b, zh=lz,
            mention=rment, subject=np.where(rself, 1, 0))

    # threads: started from a busy question; messages go to the thread's own channel
    n_threads = 4 if M < 1000 else 150
    cand = np.nonzero(np.isin(ch, [0, 1, 2]) & (t < world.end_us - 10 * Mo.DAY_US) & (t > world.start_us + 3 * Mo.DAY_US))[0]
    starts = np.sort(rng.choice(cand, n_threads, replace=False))
    thread_t = t[starts] + (rng.uniform(60, 600, n_threads) * Mo.US).astype(np.int64)
    thread_rows = tab.add(thread_t, actor=m[starts], chan=ch[starts], kind=Mo.K_SYS, sub=Mo.S_THREAD,
                          subject=np.arange(n_threads))
    thread_parent_chan = ch[starts].astype(np.int64)
    big = M >= 1000
    for k in range(n_threads):
        cnt = int(rng.integers(12, 36)) if not big else int(min(4000, rng.lognormal(np.log(250), 0.9)))
        inc = rng.lognormal(np.log(14 * 60), 1.4, cnt)
        inc[0] = rng.uniform(30, 300)
        tt = thread_t[k] + np.cumsum((inc * Mo.US).astype(np.int64))
        p = np.clip(np.searchsorted(t, tt) - 1 - rng.exponential(30, cnt).astype(np.int64), 0, n_top - 1)
        au = np.where(rng.random(cnt) < 0.25, m[starts[k]], m[p])
        au[0] = m[starts[k]]
        ok = (tt < world.end_us) & mem.active_at(au, tt)
        tt, au = tt[ok], au[ok]
        if tt.size == 0:
            continue
        cnt = tt.size
        base = tab.size
        is_reply = (np.arange(cnt) > 0) & (rng.random(cnt) < 0.25)
        par = np.where(is_reply, base + np.arange(cnt) - 1, -1)
        tpl, a, b, lz = C.draw_text_fields(rng, cnt, P.lang_zh[mem.pid[au]])
        tab.add(tt, actor=au, chan=nch + k, kind=Mo.K_REPLY, root=thread_rows + k, parent=par,
                tpl=tpl, a=a, b=b, zh=lz, subject=np.where(au == m[starts[k]], 1, 0))

    # joins: GuildMemberJoin in the system channel (general); a rejoin is a second join
    j = np.nonzero(mem.join_us >= world.start_us)[0]
    tab.add(mem.join_us[j], actor=j, chan=0, kind=Mo.K_SYS, sub=Mo.S_JOIN)
    r = np.nonzero(mem.rejoin_us < world.end_us)[0]
    tab.add(mem.rejoin_us[r], actor=r, chan=0, kind=Mo.K_SYS, sub=Mo.S_JOIN)
    bot_join = world.local_midnight(1) + (10 * 3600 + 3 * 60 + 17) * Mo.US
    tab.add([bot_join], actor=BOT, chan=0, kind=Mo.K_SYS, sub=Mo.S_JOIN)
    # bot: welcomes (after it joined) and a question of the day; webhook: GitHub events
    newc = j[mem.join_us[j] > bot_join]
    wel = newc[rng.random(newc.size) < (0.45 if not big else 0.06)]
    wt = mem.join_us[wel] + (rng.uniform(1, 20, wel.size) * Mo.US).astype(np.int64)
    tpl, a, b, _ = C.draw_text_fields(rng, wel.size, np.ones(wel.size))
    tab.add(wt, actor=BOT, chan=0, kind=Mo.K_MSG, sub=Mo.S_WELCOME, subject=wel, tpl=tpl, a=a, b=b, zh=world.zh)
    qd = np.array([d for d in range(2, days) if world.local_date(d).weekday() in (0, 2, 4)])
    qt = world.start_us + qd * Mo.DAY_US + 10 * Mo.HOUR_US + rng.integers(0, 30 * Mo.US, qd.size)
    tpl, a, b, _ = C.draw_text_fields(rng, qd.size, np.ones(qd.size))
    tab.add(qt, actor=BOT, chan=0, kind=Mo.K_MSG, sub=Mo.S_DIGEST, tpl=tpl, a=a, b=b, zh=world.zh)
    gh_n = rng.poisson((1.5 if not big else 30.0) * Mo.WEEKDAY_FACTOR[(np.arange(days) + world.scale.start.weekday()) % 7])
    gd = np.repeat(np.arange(days), gh_n)
    gt = world.start_us + gd * Mo.DAY_US + rng.integers(8 * Mo.HOUR_US, 24 * Mo.HOUR_US - 1, gd.size)
    tpl, a, b, _ = C.draw_text_fields(rng, gd.size, np.ones(gd.size))
    tab.add(gt, actor=HOOK, chan=3, kind=Mo.K_MSG, sub=Mo.S_GITHUB, tpl=tpl, a=a, b=b, zh=world.zh,
            subject=rng.integers(0, M, gd.size))

    # pins
    n_pins = 5 if not big else 40
    kids = np.bincount(rroot, minlength=n_top)
    cand = np.nonzero((ch <= 1) & (kids >= 2) & (t < world.end_us - 3 * Mo.DAY_US))[0]
    pins = np.sort(rng.choice(cand, min(n_pins, cand.size), replace=False))
    pin_t = t[pins] + (rng.uniform(1, 48, pins.size) * Mo.HOUR_US).astype(np.int64)
    tab.add(pin_t, actor=admin_m[rng.integers(0, admin_m.size, pins.size)], chan=ch[pins], kind=Mo.K_SYS,
            sub=Mo.S_PIN, ref=top_base + pins)

    tab.finalize(unique_us=False)
    n = tab.size
    pin_sys = np.nonzero(tab.sub == Mo.S_PIN)[0]
    tab.pin_t[tab.ref[pin_sys]] = tab.t[pin_sys]
    is_bot = tab.actor >= M
    human = (tab.kind != Mo.K_SYS) & ~is_bot
    _, _, windows = C.overlapping_windows(world, 9.2)
    x1, x2 = windows[0].export_us, windows[1].export_us

    ed = human & (rng.random(n) < 0.05)
    short = rng.random(n) < 0.75
    delay = np.where(short, rng.uniform(20, 1800, n), rng.uniform(86400, 12 * 86400, n))
    tab.edit_t = np.where(ed, tab.t + (delay * 1e3).astype(np.int64) * 1000, -1)
    ov = np.nonzero(human & (tab.t >= windows[1].lo_us) & (tab.t < x1 - Mo.DAY_US) & (tab.edit_t < 0))[0]
    late = ov[rng.permutation(ov.size)[:max(6, ov.size // 40)]]
    tab.edit_t[late] = x1 + (rng.uniform(2, 96, late.size) * Mo.HOUR_US).astype(np.int64) // 1000 * 1000
    att = human & (rng.random(n) < np.where(tab.kind == Mo.K_MSG, 0.06, 0.02))
    tab.att = np.where(att, rng.integers(0, len(T.FILE_KINDS), n), -1).astype(np.int8)

    pool = np.nonzero(human)[0]
    p = np.where(human, np.where(tab.kind == Mo.K_MSG, 0.28, 0.12), 0.0)
    p = np.where(tab.sub == Mo.S_WELCOME, 0.55, np.where(tab.sub == Mo.S_DIGEST, 0.3,
                 np.where(tab.sub == Mo.S_GITHUB, 0.05, p)))
    author = np.where(is_bot, -1, tab.actor)
    r_msg, r_who, r_emo, r_t = Mo.sample_reactions(world, mem, tab.t, author, p, rng, tab.t[pool],
                                                   tab.actor[pool], len(EMOJI), EMOJI_P, x2)
    r_msg, r_who, r_emo, r_t = C.add_late_reactions(rng, mem, tab, human, (r_msg, r_who, r_emo, r_t), windows, 4)
    # snowflakes: creation time = message time (ms)
    sid = snowflake(tab.t, np.arange(n))
    thread_sys = np.nonzero(tab.sub == Mo.S_THREAD)[0]
    thread_id = np.zeros(n_threads, dtype=np.int64)
    thread_id[tab.subject[thread_sys]] = sid[thread_sys]
    return dict(mem=mem, tab=tab, windows=windows, r=(r_msg, r_who, r_emo, r_t), is_bot=is_bot,
                BOT=BOT, HOOK=HOOK, sid=sid, thread_id=thread_id, thread_parent_chan=thread_parent_chan,
                n_threads=n_threads)


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------

def _iso(t_us: int) -> str:
    """DCE's timestamp: local time with offset, milliseconds with trailing zeros trimmed."""
    ms = (t_us // 1000) % 1000
    frac = f".{ms:03d}".rstrip("0") if ms else ""
    return f"{C.local_iso_s(t_us)}{frac}+08:00"


def _iso7(t_us: int, extra: int) -> str:
    dt = C.local_dt(t_us)
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{(t_us % 1_000_000) * 10 + extra % 10:07d}+08:00"


def write(world: Mo.World, sim: dict, source_dir: Path, source: str) -> C.PlatformResult:
    mem, tab, windows = sim["mem"], sim["tab"], sim["windows"]
    r_msg, r_who, r_emo, r_t = sim["r"]
    is_bot, BOT, HOOK, sid = sim["is_bot"], sim["BOT"], sim["HOOK"], sim["sid"]
    thread_id, n_threads = sim["thread_id"], sim["n_threads"]
    P = world.persons
    zh = world.zh
    M = mem.n
    n = tab.size
    seed = world.seed
    texts = C.Texts(world)
    g_t = world.start_us - 880 * Mo.DAY_US + 9 * Mo.HOUR_US
    guild_id = str(int(snowflake(np.array([g_t]), np.array([seed]))[0]))
    guild_name = "星火开发者社区" if zh else "Spark Developer Community"
    guild = {"id": guild_id, "name": guild_name,
             "iconUrl": f"https://cdn.discordapp.com/icons/{guild_id}/{C.hexhash(seed + 3, 32)}.png?size=512"}
    cats = CATEGORIES_ZH if zh else CATEGORIES_EN
    cat_id = [str(int(snowflake(np.array([g_t + (k + 1) * Mo.US]), np.array([k + 1]))[0])) for k in range(2)]
    chan_id = [str(int(snowflake(np.array([g_t + (k + 10) * Mo.HOUR_US]), np.array([k + 7]))[0]))
               for k in range(len(CHANNELS))]
    chan_name = [c[0] if zh else c[1] for c in CHANNELS]
    topics = T.TOPIC_ZH if zh else T.TOPIC_EN
    chan_topic = [topics[0], topics[1], topics[2], topics[4], topics[3], None]
    tnames = THREAD_NAMES_ZH if zh else THREAD_NAMES_EN
    thread_name = [tnames[k % len(tnames)] + ("" if k < len(tnames) else f" #{k // len(tnames) + 1}")
                   for k in range(n_threads)]
    nch = len(CHANNELS)
    all_chan_id = chan_id + [str(int(x)) for x in thread_id]
    roles = {
        "admin": {"id": str(int(snowflake(np.array([g_t + 50 * Mo.US]), np.array([50]))[0])),
                  "name": "管理员" if zh else "Admin", "color": "#E67E22", "position": 4},
        "core": {"id": str(int(snowflake(np.array([g_t + 51 * Mo.US]), np.array([51]))[0])),
                 "name": "活跃成员" if zh else "Regular", "color": "#2ECC71", "position": 2},
        "bot": {"id": str(int(snowflake(np.array([g_t + 52 * Mo.US]), np.array([52]))[0])),
                "name": "SparkBot", "color": "#5865F2", "position": 3},
    }
    # authors
    acct_t = world.start_us - ((np.arange(M) * 7919 + seed) % 3000 + 30) * Mo.DAY_US
    user_ids = [str(int(x)) for x in snowflake(acct_t, np.arange(M) + 11)]
    authors, plain = [], []
    for mm in range(M):
        p = int(mem.pid[mm])
        if P.admin[p]:
            rl, color = [roles["admin"]], "#E67E22"
        elif P.segment[p] == 0:
            rl, color = [roles["core"]], "#2ECC71"
        else:
            rl, color = [], None
        av = (f"https://cdn.discordapp.com/avatars/{user_ids[mm]}/{C.hexhash(p * 13 + 1, 32)}.png?size=512"
              if p % 10 >= 3 else f"https://cdn.discordapp.com/embed/avatars/{p % 6}.png")
        base = {"id": user_ids[mm], "name": P.username[p].lower(), "discriminator": "0000",
                "nickname": P.display[p], "color": color, "isBot": False}
        authors.append({**base, "roles": rl, "avatarUrl": av})
        plain.append({**base, "avatarUrl": av})
    bot_id = str(int(snowflake(np.array([g_t + 30 * Mo.DAY_US]), np.array([99]))[0]))
    hook_id = str(int(snowflake(np.array([g_t + 31 * Mo.DAY_US]), np.array([98]))[0]))
    bot_base = {"id": bot_id, "name": "sparkbot", "discriminator": "4412", "nickname": "星火机器人" if zh else "SparkBot",
                "color": "#5865F2", "isBot": True}
    bot_av = f"https://cdn.discordapp.com/avatars/{bot_id}/{C.hexhash(99, 32)}.png?size=512"
    authors.append({**bot_base, "roles": [roles["bot"]], "avatarUrl": bot_av})
    plain.append({**bot_base, "avatarUrl": bot_av})
    hook_base = {"id": hook_id, "name": "GitHub", "discriminator": "0000", "nickname": "GitHub", "color": None,
                 "isBot": True}
    authors.append({**hook_base, "roles": [], "avatarUrl": "https://cdn.discordapp.com/avatars/"
                    f"{hook_id}/{C.hexhash(98, 32)}.png?size=512"})
    plain.append({**hook_base, "avatarUrl": authors[-1]["avatarUrl"]})
    spark_emoji_id = str(int(snowflake(np.array([g_t + 40 * Mo.DAY_US]), np.array([40]))[0]))
    emoji_objs = []
    for e_char, alias, cp in EMOJI:
        if e_char is None:
            emoji_objs.append({"id": spark_emoji_id, "name": alias, "code": alias, "isAnimated": False,
                               "imageUrl": f"https://cdn.discordapp.com/emojis/{spark_emoji_id}.png"})
        else:
            emoji_objs.append({"id": "", "name": e_char, "code": alias, "isAnimated": False,
                               "imageUrl": f"https://cdn.jsdelivr.net/gh/twitter/twemoji@latest/assets/svg/{cp}.svg"})
    r_off = np.searchsorted(r_msg, np.arange(n + 1))

    def content_of(i, t, kind, sub, actor, chan, tp, a, b, z, mention, subject, X):
        if kind == Mo.K_SYS:
            return {Mo.S_JOIN: "Joined the server.", Mo.S_PIN: "Pinned a message.",
                    Mo.S_THREAD: "Started a thread."}[sub]
        if actor == BOT:
            return texts.bot(sub, t, tp, a, b, zh, mention="@" + authors[subject]["nickname"] if subject >= 0 else "")
        if actor == HOOK:
            return texts.bot(Mo.S_GITHUB, t, tp, a, b, zh, user=authors[subject]["name"])
        role = CHANNELS[chan][3] if chan < nch else "help"
        s = texts.human(kind, sub, role, t, tp, a, b, z, self_reply=subject == 1)
        if mention:
            s = "@" + authors[int(tab.actor[tab.parent[i]])]["nickname"] + " " + s
        ed = tab.edit_t[i]
        if 0 <= ed <= X:
            s = texts.edited(s, a, b, z)
        return s

    def message(i, c, X, cols, j):
        t, kind, sub, actor = cols["t"][j], cols["kind"][j], cols["sub"][j], cols["actor"][j]
        subject = cols["subject"][j]
        content = content_of(i, t, kind, sub, actor, c, cols["tpl"][j], cols["a"][j], cols["b"][j], cols["zh"][j],
                             cols["mention"][j], subject, X)
        parent = cols["parent"][j]
        if kind == Mo.K_SYS:
            typ = {Mo.S_JOIN: "GuildMemberJoin", Mo.S_PIN: "ChannelPinnedMessage", Mo.S_THREAD: "ThreadCreated"}[sub]
        else:
            typ = "Reply" if parent >= 0 else "Default"
        ed = cols["edit_t"][j]
        pin = cols["pin_t"][j]
        msg = {"id": str(cols["sid"][j]), "type": typ, "timestamp": cols["ts"][j],
               "timestampEdited": _iso(ed) if 0 <= ed <= X else None, "callEndedTimestamp": None,
               "isPinned": bool(0 <= pin <= X), "content": content, "author": authors[actor]}
        att = cols["att"][j]
        if att >= 0:
            fname = T.FILE_KINDS[att][0]
            aid = str((cols["sid"][j] + (1 << 22)) ^ 0x155555)
            msg["attachments"] = [{"id": aid, "url": f"https://cdn.discordapp.com/attachments/{all_chan_id[c]}/{aid}/"
                                   f"{quote(fname)}?ex={C.hexhash(i, 8)}&is={C.hexhash(i + 1, 8)}&hm={C.hexhash(i + 2, 64)}&",
                                   "fileName": fname, "fileSizeBytes": 2048 + (i * 7919) % 900_000}]
        else:
            msg["attachments"] = []
        msg["embeds"] = []
        msg["stickers"] = []
        lo, hi = r_off[i], r_off[i + 1]
        reactions = []
        if lo < hi:
            groups: dict[int, list] = {}
            for who, emo, rt in zip(r_who[lo:hi].tolist(), r_emo[lo:hi].tolist(), r_t[lo:hi].tolist()):
                if rt <= X:
                    groups.setdefault(emo, []).append(plain[who])
            reactions = [{"emoji": emoji_objs[e], "count": len(us), "users": us} for e, us in groups.items()]
        msg["reactions"] = reactions
        mentions = []
        if kind != Mo.K_SYS and cols["mention"][j] and parent >= 0:
            mentions = [authors[int(tab.actor[parent])]]
        elif sub == Mo.S_WELCOME and subject >= 0:
            mentions = [authors[subject]]
        msg["mentions"] = mentions
        if kind == Mo.K_SYS:
            if sub == Mo.S_PIN:
                msg["reference"] = {"type": "Default", "messageId": str(sid[cols["ref"][j]]), "channelId": all_chan_id[c],
                                    "guildId": None}
            elif sub == Mo.S_THREAD:
                msg["reference"] = {"type": "Default", "messageId": None,
                                    "channelId": all_chan_id[nch + subject], "guildId": guild_id}
        elif parent >= 0:
            msg["reference"] = {"type": "Default", "messageId": str(sid[parent]),
                                "channelId": all_chan_id[int(tab.chan[parent])], "guildId": guild_id}
        msg["inlineEmojis"] = []
        return msg

    files_out = []
    rows_in_files = 0
    partition = world.scale.dce_partition
    colnames = ("t", "kind", "sub", "actor", "subject", "tpl", "a", "b", "zh", "mention", "parent", "edit_t",
                "pin_t", "att", "ref")
    for e, w in enumerate(windows):
        X = w.export_us
        folder = source_dir / C.local_dt(X).date().isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        sel = w.contains(tab.t)
        date_range = {"after": _iso(w.lo_us) if e > 0 else None, "before": _iso(w.hi_us + 1) if e == 0 else None}
        for c in range(nch + n_threads):
            rows = np.nonzero(sel & (tab.chan == c))[0]
            if rows.size == 0:
                continue
            if c < nch:
                channel = {"id": chan_id[c], "type": "GuildTextChat", "categoryId": cat_id[CHANNELS[c][2]],
                           "category": cats[CHANNELS[c][2]], "name": chan_name[c], "topic": chan_topic[c]}
                stem = f"{guild_name} - {cats[CHANNELS[c][2]]} - {chan_name[c]} [{chan_id[c]}]"
            else:
                k = c - nch
                pc = int(sim["thread_parent_chan"][k])
                channel = {"id": all_chan_id[c], "type": "GuildPublicThread", "categoryId": chan_id[pc],
                           "category": chan_name[pc], "name": thread_name[k], "topic": None}
                stem = f"{guild_name} - {chan_name[pc]} - {thread_name[k]} [{all_chan_id[c]}]"
            parts = [rows]
            if partition and e == 1 and rows.size > partition:
                parts = [rows[i:i + partition] for i in range(0, rows.size, partition)]
            exported_at = _iso7(X + c * 1_370_000 + 211_457, c)
            for pi, prow in enumerate(parts):
                name = stem + (f" [part {pi + 1}]" if pi else "") + ".json"
                path = folder / name
                files_out.append(f"{folder.name}/{name}")
                with open(path, "wb") as fh:
                    fh.write(b'{\n  "guild": ' + J.dce_value(guild, 1) + b',\n  "channel": ' + J.dce_value(channel, 1)
                             + b',\n  "dateRange": ' + J.dce_value(date_range, 1) + b',\n  "exportedAt": '
                             + orjson.dumps(exported_at) + b',\n  "messages": [')
                    first = True
                    for s0 in range(0, prow.size, C.CHUNK):
                        chunk = prow[s0:s0 + C.CHUNK]
                        cols = {k: getattr(tab, k)[chunk].tolist() for k in colnames}
                        cols["sid"] = sid[chunk].tolist()
                        cols["ts"] = C.local_iso_ms_many(tab.t[chunk])
                        items = [message(i, c, X, cols, jj) for jj, i in enumerate(chunk.tolist())]
                        fh.write((b"" if first else b",") + J.dce_escape(J.items_chunk(items, 2, 2)))
                        first = False
                    fh.write(b"\n  ],\n  \"messageCount\": " + str(prow.size).encode() + b"\n}")
                rows_in_files += prow.size
                C.set_mtime(path, X)

    # ---- truth ----
    last = C.last_export_index(tab.t, windows)
    assert (last >= 0).all()
    lastX = np.array([w.export_us for w in windows])[last]
    vis = r_t <= lastX[r_msg]
    edited = int(((tab.edit_t >= 0) & (tab.edit_t <= lastX)).sum())
    sysj = (tab.kind == Mo.K_SYS) & (tab.sub == Mo.S_JOIN)
    truth, daily = C.truth_block(
        world, "discord", tab, is_bot, tab.actor.astype(np.int64), int(sysj.sum()), 0, int((sysj & is_bot).sum()),
        users=int(np.unique(tab.actor).size), bot_users=2, reactions=int(vis.sum()), edited=edited,
        channels=nch, files=files_out, rows_in_files=rows_in_files,
        extra={"threads": int(n_threads), "thread_messages": int((tab.chan >= nch).sum()),
               "message_key": "message id (snowflake)"})
    return C.platform_result(world, source, mem, tab, is_bot, r_msg, r_who, r_t, vis, truth, daily,
                             keys=[f"{source}:{u}" for u in user_ids])
