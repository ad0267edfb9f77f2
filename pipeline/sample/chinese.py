"""The ``zh`` flavour of the sample: Chinese-platform exports for the same community.

``generate_sample(..., flavour="zh")`` calls :func:`write` after the default platforms; it adds
three sources to ``community.yaml`` (:func:`add_sources`) and their truth to
``sample_truth.json``. The default sample is untouched (its files stay byte-identical).

Written (formats.md §5–§7), for a QQ group and a WeChat group of the community's
Chinese-speaking members and two WeCom customer groups:

    data/landing/qq/QQ导出_<date>/全部消息记录.txt        two overlapping exports: UTF-8 with
                                                       BOM (the first), UTF-16 LE with BOM
                                                       (the second); CRLF; 12-hour times in the
                                                       second (a newer QQ build)
    data/landing/wechat/<date>/聊天记录/<群名>/<群名>_utf8.csv   two overlapping MemoTrace exports
    data/landing/wecom/statistic_group_by_day_<n>.json (+ ``…_request.json``), one per 30 days
    data/landing/wecom/groupchat_get_<chat>.json       the two groups' rosters

What the generator controls (checked by the truth): QQ headers ``YYYY-MM-DD H:MM:SS``
(unpadded hour), nicknames with ``【管理员】`` titles for admins, e-mail accounts ``<…@qq.com>``,
empty nicknames now and then, multi-line bodies, ``[图片]`` placeholders, a newcomer's greeting
followed in the same second by ``系统消息(10000)`` ``X加入本群``, departures ``X退出了群聊``;
WeChat Type 1/3/47 messages, joins by invitation or QR code (Type 10000) and removals of
spammers by the owner (``你将"X"移出了群聊``). Member counts are capped (at most 160 per group)
so the ``large`` scale stays quick.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from . import model as Mo
from . import text as T
from .common import hexhash, overlapping_windows, set_mtime

LOCAL = timezone(timedelta(hours=8))
STREAM = 0x5A48                 # this module's random stream ("ZH")
QQ_GROUP = "星火开发者QQ群"
WX_GROUP = "星火开发者交流群"
WECOM_CHATS = (("wrSparkAAA0001", "星火客户群一"), ("wrSparkAAA0002", "星火客户群二"))
SOURCES = (  # config name, platform, landing folder
    ("qq_group", "qq", "data/landing/qq"),
    ("wechat_group", "wechat", "data/landing/wechat"),
    ("wecom_groups", "wecom", "data/landing/wecom"),
)
SEP = "=" * 64
RATE = {0: 1.2, 1: 0.35, 2: 0.08, 3: 0.01}      # messages per day by segment (core .. lurker)


def add_sources(config_text: str) -> str:
    """community.yaml text with the zh sources appended to ``sources:``."""
    lines = "".join(f"  - {{name: {n}, platform: {p}, path: {rel}}}\n" for n, p, rel in SOURCES)
    return config_text.replace("business_inputs:", lines + "business_inputs:", 1)


def _local(t_us: int) -> datetime:
    return datetime.fromtimestamp(t_us / Mo.US, LOCAL)


class _Group:
    """Members of one chat group and their messages (deterministic from the RNG)."""

    def __init__(self, world: Mo.World, rng, pool: np.ndarray, size: int, leave_share: float):
        P = world.persons
        self.world = world
        self.pid = np.sort(rng.choice(pool, size=min(size, pool.size), replace=False))
        n = self.pid.size
        jd = P.join_day[self.pid]
        tod = rng.uniform(9, 23, n) * Mo.HOUR_US
        self.join_us = np.where(jd < 0, world.start_us - 30 * Mo.DAY_US,
                                world.start_us + jd.astype(np.int64) * Mo.DAY_US + tod.astype(np.int64))
        self.newcomer = (self.join_us >= world.start_us) & (self.join_us < world.end_us)
        leave = rng.random(n) < leave_share
        span = np.maximum(world.end_us - np.maximum(self.join_us, world.start_us) - 2 * Mo.DAY_US, Mo.DAY_US)
        self.leave_us = np.where(leave, np.maximum(self.join_us, world.start_us) + Mo.DAY_US
                                 + (rng.random(n) * span).astype(np.int64), Mo.NEVER)
        # messages: Poisson by segment over the member's days in the group
        rows = []
        for k in range(n):
            lo = max(int(self.join_us[k]), world.start_us)
            hi = min(int(self.leave_us[k]), world.end_us)
            if hi <= lo:
                continue
            if self.newcomer[k]:                       # the greeting, right at the join
                rows.append((int(self.join_us[k]), k, "greeting"))
            days = (hi - lo) / Mo.DAY_US
            m = rng.poisson(RATE[int(P.segment[self.pid[k]])] * days)
            if m:
                day = rng.integers(0, max(int(days), 1), m)
                t = lo + day * Mo.DAY_US + (rng.uniform(8, 24, m) * Mo.HOUR_US).astype(np.int64)
                rows += [(int(x), k, "text") for x in t if lo < x < hi]
        rows.sort()
        self.rows = rows
        self.tpl = rng.integers(0, 10_000, (len(rows), 3))
        self.kindmix = rng.random(len(rows))

    def text(self, i: int) -> str:
        t, k, what = self.rows[i]
        a, b, c = (int(x) for x in self.tpl[i])
        if what == "greeting":
            return T.fill("大家好，新人报到，平时主要写 {tool}，请多指教 🙏", a, b)
        lst = T.REPLY_ZH if c % 3 == 0 else T.top_templates(True, "general")
        s = T.fill(lst[a % len(lst)], a, b)
        if c % 17 == 0:
            s += "\n补充一句：\n\n已经解决了"
        return s


def _day_of(world: Mo.World, t_us: int) -> int:
    return int((t_us - world.start_us) // Mo.DAY_US)


# ----------------------------------------------------------------------------- QQ

def _qq_ids(world: Mo.World, pids: np.ndarray) -> list[str]:
    P = world.persons
    return [f"{P.username[p]}@qq.com" if p % 10 == 3 else str(200_000_000 + int(p) * 7919 % 700_000_000)
            for p in pids]


def _qq_header(t_us: int, name: str, uid: str, twelve: bool) -> str:
    d = _local(t_us)
    if twelve:
        h = d.hour % 12 or 12
        clock = f"{h}:{d:%M:%S} {'AM' if d.hour < 12 else 'PM'}"
    else:
        clock = f"{d.hour}:{d:%M:%S}"
    ident = f"<{uid}>" if "@" in uid else f"({uid})"
    return f"{d:%Y-%m-%d} {clock} {name}{ident}"


def _write_qq(world: Mo.World, rng, out: Path) -> tuple[dict, np.ndarray]:
    P = world.persons
    pool = np.nonzero(P.lang_zh >= 0.5)[0]
    g = _Group(world, rng, pool, 140, 0.05)
    ids = _qq_ids(world, g.pid)
    names = [("【管理员】" if P.admin[p] else "") + P.display[p] for p in g.pid]
    records = []            # (t, header name, uid, body, kind, event-member)
    for i, (t, k, what) in enumerate(g.rows):
        blank = g.kindmix[i] < 0.02 and what != "greeting"
        body = "[图片]" if 0.02 <= g.kindmix[i] < 0.09 else g.text(i)
        records.append((t, "" if blank else names[k], ids[k], body, "message", None))
        if what == "greeting":
            records.append((t, "系统消息", "10000", f"{P.display[g.pid[k]]}加入本群", "join", k))
    for k in np.nonzero(g.leave_us < world.end_us)[0]:
        records.append((int(g.leave_us[k]), "系统消息", "10000", f"{P.display[g.pid[k]]}退出了群聊", "leave", int(k)))
    records.sort(key=lambda r: (r[0], r[4] != "message"))
    _, _, windows = overlapping_windows(world, 21.0)
    root = out / "data/landing/qq"
    files = []
    for w_i, w in enumerate(windows):
        lines = ["消息记录（此消息记录为文本格式，不支持重新导入）", "", SEP, "消息分组:我的QQ群", SEP,
                 f"消息对象:{QQ_GROUP}", SEP, ""]
        for t, name, uid, body, _, _ in records:
            if w.lo_us <= t <= w.hi_us and t <= w.export_us:
                lines += [_qq_header(t, name, uid, twelve=w_i == 1), *body.split("\n"), ""]
        folder = root / f"QQ导出_{_local(w.export_us):%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "全部消息记录.txt"
        text = "\r\n".join(lines) + "\r\n"
        path.write_bytes(text.encode("utf-8-sig") if w_i == 0 else text.encode("utf-16"))
        set_mtime(path, w.export_us)
        files.append(path.relative_to(root).as_posix())
    inside = [r for r in records if any(w.lo_us <= r[0] <= w.hi_us and r[0] <= w.export_us for w in windows)]
    daily = np.zeros(world.days, dtype=np.int64)
    for r in inside:
        if r[4] == "message":
            daily[_day_of(world, r[0])] += 1
    truth = {
        "platform": "qq",
        "messages": {"message": sum(r[4] == "message" for r in inside),
                     "system": sum(r[4] != "message" for r in inside), "total": len(inside)},
        "membership_events": {"join": sum(r[4] == "join" for r in inside),
                              "leave": sum(r[4] == "leave" for r in inside)},
        "users": len({r[2] for r in inside if r[4] == "message"}),
        "export_files": files,
    }
    return truth, daily


# ----------------------------------------------------------------------------- WeChat (MemoTrace)

def _write_wechat(world: Mo.World, rng, out: Path) -> tuple[dict, np.ndarray]:
    P = world.persons
    pool = np.nonzero(P.lang_zh >= 0.5)[0]
    g = _Group(world, rng, pool, 160, 0.0)
    owner = int(np.nonzero(P.admin[g.pid])[0][0]) if P.admin[g.pid].any() else 0
    wxid = [f"wxid_{hexhash(int(p) * 31 + 7, 14)}" for p in g.pid]
    spam = [k for k in np.nonzero(g.newcomer)[0][3::11]]          # a few newcomers removed later
    rows = []       # (t, type, content, sender k or None, is_sender, event, member)
    for i, (t, k, what) in enumerate(g.rows):
        if what == "greeting":
            how = g.kindmix[i] < 0.5
            rows.append((t - 5 * Mo.US, 10000,
                         f'"{P.display[g.pid[owner]]}"邀请"{P.display[g.pid[k]]}"加入了群聊' if how else
                         f'"{P.display[g.pid[k]]}"通过扫描"{P.display[g.pid[owner]]}"分享的二维码加入群聊',
                         None, 0, "join", k))
        typ = 3 if 0.02 <= g.kindmix[i] < 0.08 else (47 if 0.08 <= g.kindmix[i] < 0.12 else 1)
        content = {3: '<?xml version="1.0"?><msg><img length="20480" /></msg>',
                   47: '<msg><emoji fromusername="" type="2" /></msg>'}.get(typ) or g.text(i)
        rows.append((t, typ, content, k, int(k == owner), None, None))
    for k in spam:
        t = int(g.join_us[k]) + 2 * Mo.HOUR_US
        if t < world.end_us:
            rows.append((t, 10000, f'你将"{P.display[g.pid[k]]}"移出了群聊', None, 0, "leave", k))
    rows.sort(key=lambda r: (r[0], r[1]))
    _, _, windows = overlapping_windows(world, 22.0)
    root = out / "data/landing/wechat"
    files = []
    header = ["localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime", "Status", "StrContent",
              "StrTime", "Remark", "NickName", "Sender"]
    for w in windows:
        buf = io.StringIO()
        wr = csv.writer(buf)
        wr.writerow(header)
        for n, (t, typ, content, k, own, _, _) in enumerate(rows, 1):
            if not (w.lo_us <= t <= w.hi_us and t <= w.export_us):
                continue
            secs = t // Mo.US
            who = ["", "", ""] if k is None else ["", P.display[g.pid[k]], wxid[k]]
            wr.writerow([n, 42, typ, 0, own, secs, "", content, f"{_local(t):%Y-%m-%d %H:%M:%S}", *who])
        folder = root / f"{_local(w.export_us):%Y-%m-%d}" / "聊天记录" / WX_GROUP
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{WX_GROUP}_utf8.csv"
        path.write_bytes(buf.getvalue().encode("utf-8-sig"))
        set_mtime(path, w.export_us)
        files.append(path.relative_to(root).as_posix())
    inside = [r for r in rows if any(w.lo_us <= r[0] <= w.hi_us and r[0] <= w.export_us for w in windows)]
    daily = np.zeros(world.days, dtype=np.int64)
    for r in inside:
        if r[1] != 10000:
            daily[_day_of(world, r[0])] += 1
    truth = {
        "platform": "wechat",
        "messages": {"message": sum(r[1] != 10000 for r in inside), "system": sum(r[1] == 10000 for r in inside),
                     "total": len(inside)},
        "membership_events": {"join": sum(r[5] == "join" for r in inside),
                              "leave": sum(r[5] == "leave" for r in inside)},
        "users": len({r[3] for r in inside if r[3] is not None}),
        "export_files": files,
    }
    return truth, daily


# ----------------------------------------------------------------------------- WeCom

def _write_wecom(world: Mo.World, rng, out: Path) -> dict:
    P = world.persons
    root = out / "data/landing/wecom"
    root.mkdir(parents=True, exist_ok=True)
    files, joins = [], 0
    owner = "spark_ops"
    day_members = np.zeros(world.days, dtype=np.int64)
    base = 0
    for c, (chat_id, name) in enumerate(WECOM_CHATS):
        pool = np.nonzero(P.primary == c)[0]
        g = _Group(world, rng, pool, 120, 0.0)
        members = []
        for k, p in enumerate(g.pid):
            jt = int(g.join_us[k] // Mo.US)
            members.append({"userid": f"wm{hexhash(int(p) * 13 + c, 26)}", "type": 2,
                            "join_time": jt, "join_scene": int(1 + (int(p) + c) % 3),
                            "group_nickname": P.display[p]})
            d = _day_of(world, int(g.join_us[k]))
            if d < 0:
                base += 1
            elif d < world.days:
                day_members[d] += 1
        joins += len(members)
        doc = {"errcode": 0, "errmsg": "ok", "group_chat": {
            "chat_id": chat_id, "name": name, "owner": owner, "create_time": int((world.start_us - 40 * Mo.DAY_US) // Mo.US),
            "notice": "欢迎加入", "member_list": members, "admin_list": [{"userid": owner}],
            "member_version": hexhash(c + 99)}}
        path = root / f"groupchat_get_{chat_id}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        set_mtime(path, world.end_us)
        files.append(path.name)
    total = base + np.cumsum(day_members)
    rows = 0
    for n, lo in enumerate(range(0, world.days, 30)):
        hi = min(lo + 30, world.days) - 1
        items = []
        for d in range(lo, hi + 1):
            msgs = int(rng.poisson(40 * world.day_factor[d]))
            items.append({"stat_time": int(world.local_midnight(d) // Mo.US), "data": {
                "new_chat_cnt": 0, "chat_total": len(WECOM_CHATS), "chat_has_msg": int(min(2, msgs)),
                "new_member_cnt": int(day_members[d]), "member_total": int(total[d]),
                "member_has_msg": int(min(total[d], rng.binomial(int(total[d]), 0.12))),
                "msg_total": msgs, "migrate_trainee_chat_cnt": 0}})
        rows += len(items)
        req = {"day_begin_time": items[0]["stat_time"], "day_end_time": items[-1]["stat_time"],
               "owner_filter": {"userid_list": [owner]}}
        stem = f"statistic_group_by_day_{n + 1:02d}"
        (root / f"{stem}_request.json").write_text(json.dumps(req), encoding="utf-8")
        path = root / f"{stem}.json"
        path.write_text(json.dumps({"errcode": 0, "errmsg": "ok", "items": items}, ensure_ascii=False, indent=1),
                        encoding="utf-8")
        set_mtime(path, world.local_midnight(hi + 1) + 9 * Mo.HOUR_US)
        files.append(path.name)
    return {"platform": "wecom", "daily_aggregates": rows, "membership_events": {"join": joins, "leave": 0},
            "users": joins, "export_files": sorted(files),
            "new_members_from_aggregates": int(day_members.sum())}


def write(world: Mo.World, out_dir: Path) -> tuple[dict, np.ndarray]:
    """Write the zh sources under ``out_dir``; return (truth per source, daily human messages)."""
    out_dir = Path(out_dir)
    for _, _, rel in SOURCES:
        shutil.rmtree(out_dir / rel, ignore_errors=True)
    rng = Mo.rng_for(world.seed, STREAM)
    qq_truth, qq_daily = _write_qq(world, rng, out_dir)
    wx_truth, wx_daily = _write_wechat(world, rng, out_dir)
    wc_truth = _write_wecom(world, rng, out_dir)
    return ({"qq_group": qq_truth, "wechat_group": wx_truth, "wecom_groups": wc_truth},
            {"qq_group": qq_daily, "wechat_group": wx_daily})
