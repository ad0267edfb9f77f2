"""Telegram supergroup: simulate, then write two overlapping Telegram Desktop exports.

``ChatExport_YYYY-MM-DD/result.json`` single-chat exports as tdesktop writes them
(formats.md §3; tdesktop ``export_output_json.cpp``): root ``{name, type, id, messages[]}``,
1-space indentation, raw UTF-8, no trailing newline; ``date`` in the exporting PC's local
time (Asia/Shanghai) without an offset next to ``date_unixtime`` (a string); ``text`` a
plain string or an array mixing strings and entity objects; ``text_entities`` always
objects; service messages with ``actor``/``actor_id``/``action``.

Telegram gives no bot flag: the helper bot's id is listed under the source's ``bots:`` key
in community.yaml.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import orjson

from . import common as C
from . import jsonfmt as J
from . import model as Mo

PLATFORM = 2
EMOJI = ["👍", "❤", "🔥", "🎉", "😁", "🤔", "👏", "🙏"]
EMOJI_P = np.array([30, 16, 14, 10, 9, 6, 8, 7], dtype=float)
EMOJI_P /= EMOJI_P.sum()
PLACEHOLDER = "(File not included. Change data exporting settings to download.)"
MEDIA = [  # kind, file name, mime, (w, h)
    ("photo", None, None, (1280, 720)),
    ("file", "error-log.txt", "text/plain", None),
    ("file", "slides.pdf", "application/pdf", None),
    ("sticker", "sticker.webp", "image/webp", (512, 512)),
]
STICKER_EMOJI = ["👍", "😂", "🙏", "🎉"]
_ENTITY = re.compile(r"(`[^`]+`|https?://[^\s，。（）()]+|@[A-Za-z0-9_]{3,}|#[A-Za-z0-9_\u4e00-\u9fff]+)")


def tg_text(s: str):
    """(text, text_entities) the way tdesktop serializes a message's text."""
    if not s:
        return "", []
    parts = _ENTITY.split(s)
    if len(parts) == 1:
        return s, [{"type": "plain", "text": s}]
    text, ents = [], []
    for k, piece in enumerate(parts):
        if not piece:
            continue
        if k % 2 == 0:
            text.append(piece)
            ents.append({"type": "plain", "text": piece})
            continue
        if piece.startswith("`"):
            obj = {"type": "code", "text": piece[1:-1]}
        elif piece.startswith("http"):
            obj = {"type": "link", "text": piece}
        elif piece.startswith("@"):
            obj = {"type": "mention", "text": piece}
        else:
            obj = {"type": "hashtag", "text": piece}
        text.append(obj)
        ents.append(obj)
    return text, ents


def simulate(world: Mo.World):
    rng = Mo.rng_for(world.seed, Mo.STREAM["telegram"])
    P = world.persons
    days = world.days
    big = world.scale.persons >= 10_000
    weights = np.array([1.0])
    p_thread = np.array([0.32])
    mem = Mo.build_members(world, PLATFORM, rng, weights, n_spammers=3 if not big else 60)
    M = mem.n
    BOT = M
    admin_m = np.nonzero(P.admin[mem.pid])[0]
    a0 = admin_m[0]

    # spammers: join by link, post 1-3 ads within minutes, get removed by an admin
    spam = np.nonzero(mem.spammer)[0]
    n_spam = rng.integers(1, 4, spam.size)
    s_rows = np.repeat(spam, n_spam)
    s_t = mem.join_us[s_rows] + (rng.uniform(40, 1200, s_rows.size) * Mo.US).astype(np.int64)
    kick = np.zeros(M, dtype=np.int64)
    np.maximum.at(kick, s_rows, s_t)
    kick_t = kick[spam] + (rng.uniform(300, 3600, spam.size) * Mo.US).astype(np.int64)
    mem.leave_us[spam] = kick_t
    mem.rejoin_us[spam] = Mo.NEVER

    total = world.scale.messages["telegram"]
    t, m, _ = Mo.sample_top_level(world, mem, total / (1 + 0.32 * 2.0), rng, weights)
    # who joined how: by invite link (most) or added by someone (their first words follow)
    newc = np.nonzero((mem.join_us >= world.start_us) & ~mem.spammer)[0]
    invited = newc[rng.random(newc.size) < 0.15]
    greet = np.union1d(invited, newc[rng.random(newc.size) < 0.35])
    g_t = mem.join_us[greet] + (rng.uniform(60, 1800, greet.size) * Mo.US).astype(np.int64)
    g_ok = mem.active_at(greet, g_t) & (g_t < world.end_us)
    greet, g_t = greet[g_ok], g_t[g_ok]
    invited = np.intersect1d(invited, greet)        # an added member's id shows up in their first words
    dx = int(days * 0.48)
    extra_t = [world.local_midnight(dx) + (23 * 3600 + 59 * 60 + 5) * Mo.US,
               world.local_midnight(dx + 1) + (60 + 2) * Mo.US,
               world.local_midnight(dx + 4) + (7 * 3600 + 57 * 60 + 40) * Mo.US,
               world.local_midnight(dx + 4) + (8 * 3600 + 2 * 60 + 1) * Mo.US]
    t = np.concatenate([t, g_t, extra_t])
    m = np.concatenate([m, greet, [a0, admin_m[2 % admin_m.size], a0, a0]]).astype(np.int32)
    sub = np.concatenate([np.zeros(t.size - greet.size - 4, dtype=np.int8),
                          np.full(greet.size, Mo.S_GREETING, dtype=np.int8), np.zeros(4, dtype=np.int8)])
    o = np.argsort(t, kind="stable")
    t, m, sub = t[o], m[o], sub[o]
    n_top = t.size
    tpl, a, b, lz = C.draw_text_fields(rng, n_top, P.lang_zh[mem.pid[m]])
    tab = Mo.Table()
    top_base = tab.add(t, actor=m, kind=Mo.K_MSG, sub=sub, tpl=tpl, a=a, b=b, zh=lz)
    tpl, a, b, lz = C.draw_text_fields(rng, s_rows.size, np.full(s_rows.size, 0.6))
    tab.add(s_t, actor=s_rows, kind=Mo.K_MSG, sub=Mo.S_SPAM, tpl=tpl, zh=lz)

    rt, rm, rroot, rpar, rself, rment = Mo.sample_replies(world, mem, t, m, np.zeros(n_top, np.int16), p_thread,
                                                          rng, chain_prob=0.35, eligible=sub != Mo.S_GREETING)
    tpl, a, b, lz = C.draw_text_fields(rng, rt.size, P.lang_zh[mem.pid[rm]])
    rep_base = tab.size
    tab.add(rt, actor=rm, kind=Mo.K_REPLY, root=top_base + rroot,
            parent=np.where(rpar >= 0, rep_base + rpar, top_base + rroot), tpl=tpl, a=a, b=b, zh=lz,
            mention=rment, subject=np.where(rself, 1, 0))
    # service messages
    linkj = np.setdiff1d(newc, invited)
    linkj = np.concatenate([linkj, spam])
    j_base = tab.add(mem.join_us[linkj], actor=linkj, kind=Mo.K_SYS, sub=Mo.S_JOIN, subject=linkj)
    inviter = admin_m[rng.integers(0, admin_m.size, invited.size)]
    tab.add(mem.join_us[invited], actor=inviter, kind=Mo.K_SYS, sub=Mo.S_INVITE, subject=invited)
    back = np.nonzero(mem.rejoin_us < world.end_us)[0]
    tab.add(mem.rejoin_us[back], actor=back, kind=Mo.K_SYS, sub=Mo.S_JOIN, subject=back)
    lv = np.nonzero((mem.leave_us < world.end_us) & ~mem.spammer)[0]
    tab.add(mem.leave_us[lv], actor=lv, kind=Mo.K_SYS, sub=Mo.S_LEAVE, subject=lv)
    tab.add(kick_t, actor=admin_m[rng.integers(0, admin_m.size, spam.size)], kind=Mo.K_SYS, sub=Mo.S_KICK,
            subject=spam)
    bot_join = world.local_midnight(1) + (11 * 3600 + 8 * 60 + 9) * Mo.US
    tab.add([bot_join], actor=a0, kind=Mo.K_SYS, sub=Mo.S_INVITE, subject=BOT)
    title_t = world.local_midnight(int(days * 0.62)) + (15 * 3600 + 20 * 60 + 44) * Mo.US
    tab.add([title_t], actor=a0, kind=Mo.K_SYS, sub=Mo.S_TITLE)
    # the bot greets link joiners by replying to the join message, and posts a weekly digest
    wel = np.nonzero((mem.join_us[linkj] > bot_join) & ~mem.spammer[linkj])[0]
    wel = wel[rng.random(wel.size) < (0.6 if not big else 0.06)]
    wt = mem.join_us[linkj[wel]] + (rng.uniform(1, 8, wel.size) * Mo.US).astype(np.int64)
    tab.add(wt, actor=BOT, kind=Mo.K_REPLY, sub=Mo.S_WELCOME, subject=linkj[wel], parent=j_base + wel,
            root=j_base + wel, zh=world.zh)
    mondays = np.array([d for d in range(2, days) if world.local_date(d).weekday() == 0])
    dt = world.start_us + mondays * Mo.DAY_US + 9 * Mo.HOUR_US + rng.integers(0, 60 * Mo.US, mondays.size)
    tpl, a, b, _ = C.draw_text_fields(rng, mondays.size, np.ones(mondays.size))
    tab.add(dt, actor=BOT, kind=Mo.K_MSG, sub=Mo.S_DIGEST, tpl=tpl, a=a, b=b, zh=world.zh)
    # pins
    n_pins = 4 if not big else 40
    kids = np.bincount(rroot, minlength=n_top)
    cand = np.nonzero((kids >= 2) & (sub == 0) & (t < world.end_us - 3 * Mo.DAY_US))[0]
    pins = np.sort(rng.choice(cand, min(n_pins, cand.size), replace=False))
    pin_t = t[pins] + (rng.uniform(1, 48, pins.size) * Mo.HOUR_US).astype(np.int64)
    tab.add(pin_t, actor=admin_m[rng.integers(0, admin_m.size, pins.size)], kind=Mo.K_SYS, sub=Mo.S_PIN,
            ref=top_base + pins)

    tab.finalize(unique_us=False)
    n = tab.size
    is_bot = tab.actor == BOT
    human = (tab.kind != Mo.K_SYS) & ~is_bot
    _, _, windows = C.overlapping_windows(world, 8.45)
    x1, x2 = windows[0].export_us, windows[1].export_us
    # Telegram keeps whole seconds
    tab.t = tab.t // Mo.US * Mo.US
    ids = 1000 + np.cumsum(1 + (rng.random(n) < 0.03) * rng.integers(1, 6, n))

    ed = human & (tab.sub != Mo.S_SPAM) & (rng.random(n) < 0.05)
    short = rng.random(n) < 0.75
    delay = np.where(short, rng.uniform(20, 1800, n), rng.uniform(86400, 12 * 86400, n))
    tab.edit_t = np.where(ed, (tab.t + (delay * Mo.US).astype(np.int64)) // Mo.US * Mo.US, -1)
    ov = np.nonzero(human & (tab.t >= windows[1].lo_us) & (tab.t < x1 - Mo.DAY_US) & (tab.edit_t < 0))[0]
    late = ov[rng.permutation(ov.size)[:max(6, ov.size // 40)]]
    tab.edit_t[late] = (x1 + (rng.uniform(2, 96, late.size) * Mo.HOUR_US).astype(np.int64)) // Mo.US * Mo.US
    media = np.where(rng.random(n) < 0.7, 0, rng.integers(1, 3, n))
    att = human & (tab.sub == Mo.S_NORMAL) & (rng.random(n) < np.where(tab.kind == Mo.K_MSG, 0.06, 0.02))
    sticker = human & (tab.kind == Mo.K_REPLY) & (tab.subject == 0) & (rng.random(n) < 0.03)
    tab.att = np.where(sticker, 3, np.where(att, media, -1)).astype(np.int8)
    tab.edit_t[sticker] = -1                        # a sticker cannot be edited

    pool = np.nonzero(human & (tab.sub != Mo.S_SPAM))[0]
    p = np.where(human & (tab.sub != Mo.S_SPAM), np.where(tab.kind == Mo.K_MSG, 0.3, 0.12), 0.0)
    p = np.where(tab.sub == Mo.S_DIGEST, 0.35, np.where(tab.sub == Mo.S_GREETING, 0.45, p))
    author = np.where(is_bot, -1, tab.actor)
    r_msg, r_who, r_emo, r_t = Mo.sample_reactions(world, mem, tab.t, author, p, rng, tab.t[pool],
                                                   tab.actor[pool], len(EMOJI), EMOJI_P, x2)
    r_msg, r_who, r_emo, r_t = C.add_late_reactions(rng, mem, tab, human & (tab.sub != Mo.S_SPAM),
                                                    (r_msg, r_who, r_emo, r_t), windows, 2)
    r_t = r_t // Mo.US * Mo.US
    return dict(mem=mem, tab=tab, windows=windows, ids=ids, r=(r_msg, r_who, r_emo, r_t), is_bot=is_bot,
                BOT=BOT, title_t=title_t)


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------

_local = C.local_iso_s


def bot_user_id(seed: int) -> str:
    return f"user{7_412_000_000 + seed % 1000}"


def write(world: Mo.World, sim: dict, source_dir: Path, source: str) -> C.PlatformResult:
    mem, tab, windows, ids = sim["mem"], sim["tab"], sim["windows"], sim["ids"]
    r_msg, r_who, r_emo, r_t = sim["r"]
    is_bot, BOT = sim["is_bot"], sim["BOT"]
    P = world.persons
    zh = world.zh
    M = mem.n
    n = tab.size
    seed = world.seed
    texts = C.Texts(world)
    names = [P.display[p] for p in mem.pid.tolist()] + ["星火小助手" if zh else "Spark Helper"]
    handles = [P.username[p] for p in mem.pid.tolist()] + ["SparkHelperBot"]
    uids = [f"user{5_210_000_000 + p * 7919}" for p in mem.pid.tolist()] + [bot_user_id(seed)]
    titles = (["星火开发者社区 交流群", "星火开发者社区 · 技术交流群"] if zh
              else ["Spark Dev Community Chat", "Spark Dev Community · Tech Chat"])
    chat_id = 1_987_000_000 + seed % 100_000
    r_off = np.searchsorted(r_msg, np.arange(n + 1))

    def message(i, X, cols, j):
        t, kind, sub, actor = cols["t"][j], cols["kind"][j], cols["sub"][j], cols["actor"][j]
        secs = t // Mo.US
        msg = {"id": cols["id"][j], "type": "service" if kind == Mo.K_SYS else "message",
               "date": cols["date"][j], "date_unixtime": str(secs)}
        subject = cols["subject"][j]
        if kind == Mo.K_SYS:
            msg["actor"] = names[actor]
            msg["actor_id"] = uids[actor]
            if sub == Mo.S_JOIN:
                msg["action"] = "join_group_by_link"
                msg["inviter"] = names[int(np.nonzero(P.admin[mem.pid])[0][0])]
            elif sub == Mo.S_INVITE:
                msg["action"] = "invite_members"
                msg["members"] = [names[subject]]
            elif sub in (Mo.S_LEAVE, Mo.S_KICK):
                msg["action"] = "remove_members"
                msg["members"] = [names[subject]]
            elif sub == Mo.S_PIN:
                msg["action"] = "pin_message"
                msg["message_id"] = int(ids[cols["ref"][j]])
            elif sub == Mo.S_TITLE:
                msg["action"] = "edit_group_title"
                msg["title"] = titles[1]
            msg["text"] = ""
            msg["text_entities"] = []
            return msg
        ed = cols["edit_t"][j]
        edited = 0 <= ed <= X
        if edited:
            msg["edited"] = _local(ed)
            msg["edited_unixtime"] = str(ed // Mo.US)
        msg["from"] = names[actor]
        msg["from_id"] = uids[actor]
        parent = cols["parent"][j]
        if parent >= 0:
            msg["reply_to_message_id"] = int(ids[parent])
        att = cols["att"][j]
        a, b, z = cols["a"][j], cols["b"][j], cols["zh"][j]
        if actor == BOT:
            s = texts.bot(sub, t, cols["tpl"][j], a, b, zh, mention="@" + handles[subject] if subject >= 0 else "")
        elif att == 3:
            s = ""
        else:
            s = texts.human(kind, sub, "general", t, cols["tpl"][j], a, b, z, self_reply=subject == 1)
            if cols["mention"][j] and parent >= 0:
                s = "@" + handles[int(tab.actor[parent])] + " " + s
            if edited:
                s = texts.edited(s, a, b, z)
        if att == 0:
            msg["photo"] = PLACEHOLDER
            msg["photo_file_size"] = 40_000 + (i * 7919) % 400_000
            msg["width"], msg["height"] = MEDIA[0][3]
        elif att in (1, 2):
            msg["file"] = PLACEHOLDER
            msg["file_name"] = MEDIA[att][1]
            msg["file_size"] = 2_000 + (i * 7919) % 900_000
            msg["mime_type"] = MEDIA[att][2]
        elif att == 3:
            msg.update({"file": PLACEHOLDER, "file_name": "sticker.webp", "file_size": 20_000 + i % 9000,
                        "thumbnail": PLACEHOLDER, "thumbnail_file_size": 3_000 + i % 900, "media_type": "sticker",
                        "sticker_emoji": STICKER_EMOJI[i % len(STICKER_EMOJI)], "mime_type": "image/webp",
                        "width": 512, "height": 512})
        msg["text"], msg["text_entities"] = tg_text(s)
        lo, hi = r_off[i], r_off[i + 1]
        if lo < hi:
            groups: dict[int, list] = {}
            for who, emo, rt in zip(r_who[lo:hi].tolist(), r_emo[lo:hi].tolist(), r_t[lo:hi].tolist()):
                if rt <= X:
                    groups.setdefault(emo, []).append((who, rt))
            if groups:
                msg["reactions"] = [
                    {"type": "emoji", "count": len(rs), "emoji": EMOJI[e],
                     "recent": [{"from": names[w], "from_id": uids[w], "date": _local(rt)}
                                for w, rt in reversed(rs[-3:])]}
                    for e, rs in groups.items()]
        return msg

    files_out = []
    rows_in_files = 0
    colnames = ("t", "kind", "sub", "actor", "subject", "tpl", "a", "b", "zh", "mention", "parent", "edit_t",
                "att", "ref")
    for e, w in enumerate(windows):
        X = w.export_us
        folder = source_dir / f"ChatExport_{C.local_dt(X).date().isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "result.json"
        files_out.append(f"{folder.name}/result.json")
        rows = np.nonzero(w.contains(tab.t))[0]
        title = titles[1] if sim["title_t"] <= X else titles[0]
        with open(path, "wb") as fh:
            fh.write(b'{\n "name": ' + orjson.dumps(title) + b',\n "type": "private_supergroup",\n "id": '
                     + str(chat_id).encode() + b',\n "messages": [')
            first = True
            for s0 in range(0, rows.size, C.CHUNK):
                chunk = rows[s0:s0 + C.CHUNK]
                cols = {k: getattr(tab, k)[chunk].tolist() for k in colnames}
                cols["id"] = ids[chunk].tolist()
                cols["date"] = C.local_iso_s_many(tab.t[chunk])
                items = [message(i, X, cols, jj) for jj, i in enumerate(chunk.tolist())]
                fh.write((b"" if first else b",") + J.items_chunk(items, 1, 2))
                first = False
            fh.write(b"\n ]\n}")
        rows_in_files += rows.size
        C.set_mtime(path, X)

    # ---- truth ----
    last = C.last_export_index(tab.t, windows)
    assert (last >= 0).all()
    lastX = np.array([w.export_us for w in windows])[last]
    vis = r_t <= lastX[r_msg]
    edited = int(((tab.edit_t >= 0) & (tab.edit_t <= lastX)).sum())
    sysrow = tab.kind == Mo.K_SYS
    joins = sysrow & np.isin(tab.sub, [Mo.S_JOIN, Mo.S_INVITE])
    leaves = sysrow & np.isin(tab.sub, [Mo.S_LEAVE, Mo.S_KICK])
    bot_join = joins & (tab.subject == BOT)
    truth, daily = C.truth_block(
        world, "telegram", tab, is_bot, tab.actor.astype(np.int64), int(joins.sum()), int(leaves.sum()),
        int(bot_join.sum()), users=int(np.unique(tab.actor).size), bot_users=1, reactions=int(vis.sum()),
        edited=edited, channels=1, files=files_out, rows_in_files=rows_in_files,
        extra={"bot_user_ids": [uids[BOT]], "spam_messages": int((tab.sub == Mo.S_SPAM).sum()),
               "kicks": int((sysrow & (tab.sub == Mo.S_KICK)).sum()), "chat_id": chat_id,
               "message_key": "chat id + message id"})
    return C.platform_result(world, source, mem, tab, is_bot, r_msg, r_who, r_t, vis, truth, daily,
                             keys=[f"{source}:{u}" for u in uids[:M]])
