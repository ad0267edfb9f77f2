"""The team's own spreadsheets (data/inputs/*.csv), consistent with the simulated community.

Columns are those of product.md §2. Dates are ``YYYY-MM-DD``, times local
``YYYY-MM-DD HH:MM:SS`` (Asia/Shanghai, as typed into a spreadsheet), booleans
``true``/``false``, money in CNY. Members are member keys (``<source>:<platform user id>``)
of members the exports really contain; campaign dates are where activity rises; goal
targets sit around what the community actually did (some are met, some are not).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from . import model as Mo
from . import text as T
from .common import PlatformResult

LOWER_IS_BETTER = {"median_first_response_minutes"}


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    path.write_bytes(buf.getvalue().encode("utf-8"))


def _ts(world: Mo.World, day: int, seconds: int) -> str:
    d = world.local_date(day)
    s = int(seconds) % 86400
    return f"{d.isoformat()} {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _months(world: Mo.World) -> list[tuple[str, int, int]]:
    """(YYYY-MM, first day, last day) of every month the sample touches."""
    out = []
    d = 0
    while d < world.days:
        dt = world.local_date(d)
        nxt = date(dt.year + (dt.month == 12), dt.month % 12 + 1, 1)
        last = min(world.days - 1, d + (nxt - dt).days - 1)
        out.append((f"{dt.year}-{dt.month:02d}", d, last))
        d = last + 1
    return out


def write_inputs(world: Mo.World, results: list[PlatformResult], inputs_dir: Path) -> dict:
    rng = Mo.rng_for(world.seed, Mo.STREAM["business"])
    zh = world.zh
    P = world.persons
    days = world.days
    big = world.scale.persons >= 10_000
    inputs_dir.mkdir(parents=True, exist_ok=True)

    # ---- facts from the platforms -----------------------------------------------------
    keys = [k for r in results for k in r.member_keys]
    seen = np.concatenate([r.member_seen for r in results])
    pid = np.concatenate([r.member_pid for r in results])
    join_day = np.concatenate([r.member_join_day for r in results])
    offsets = np.cumsum([0] + [len(r.member_keys) for r in results])
    act_member, act_day = [], []
    for r, off in zip(results, offsets):
        act_member.append(r.activity // days + off)
        act_day.append(r.activity % days)
    act_member = np.concatenate(act_member)
    act_day = np.concatenate(act_day)
    dau = np.bincount(act_day, minlength=days)
    daily_msgs = sum(r.daily for r in results)
    top_day = np.concatenate([r.top_day for r in results])
    responded = np.concatenate([r.top_responded for r in results])
    first_min = np.concatenate([r.top_first_min for r in results])
    active_any = np.unique(act_member)
    active_any = active_any[seen[active_any]]          # only members the exports show
    months = _months(world)

    # ---- goals ----------------------------------------------------------------------------
    rows = []
    for key, d0, d1 in months:
        inm = (act_day >= d0) & (act_day <= d1)
        sel = (top_day >= d0) & (top_day <= d1)
        actual = {
            "new_members": int(((join_day >= d0) & (join_day <= d1)).sum()),
            "avg_dau": float(dau[d0:d1 + 1].mean()),
            "messages": int(daily_msgs[d0:d1 + 1].sum()),
            "active_members": int(np.unique(act_member[inm]).size),
            "response_rate": float(responded[sel].mean()) if sel.any() else 0.5,
            "median_first_response_minutes": float(np.nanmedian(first_min[sel & responded]))
            if (sel & responded).any() else 30.0,
        }
        full = (d1 - d0 + 1) >= 28
        for metric, val in actual.items():
            if not full and metric in ("new_members", "messages", "active_members"):
                val = val * 30.0 / (d1 - d0 + 1)      # the team set monthly targets
            f = rng.uniform(0.85, 1.2)
            target = val * f
            if metric in ("response_rate",):
                target = round(min(0.95, target), 2)
            elif metric in ("avg_dau", "median_first_response_minutes"):
                target = round(target, 1)
            else:
                target = int(round(target, -1 if target > 100 else 0))
            rows.append([key, metric, target])
    _csv(inputs_dir / "goals.csv", ["period", "metric", "target"], rows)

    # ---- campaigns and participants ------------------------------------------------------------
    scale_f = 1.0 if not big else 60.0
    camp_rows, part_rows = [], []
    for c in world.campaigns:
        online = c.type == "online"
        reg = int(rng.integers(150, 500) if online else rng.integers(60, 160)) * scale_f
        reg = int(reg)
        att = int(reg * (rng.uniform(0.4, 0.7) if online else rng.uniform(0.65, 0.9)))
        cost = int(rng.integers(5, 50) * 100 if online else rng.integers(80, 300) * 100) * (1 if not big else 8)
        camp_rows.append([c.id, c.name, c.type, c.theme, world.local_date(c.start_day).isoformat(),
                          world.local_date(c.end_day).isoformat(), reg, att, cost])
        # registrants who are members: people active around the campaign or joining at it
        lo, hi = max(0, c.start_day - 14), min(days - 1, c.end_day + 3)
        near = np.unique(act_member[(act_day >= lo) & (act_day <= hi)])
        joined = np.nonzero((join_day >= c.start_day - 3) & (join_day <= c.end_day + 3))[0]
        cand = np.union1d(near, joined)
        cand = cand[seen[cand]]
        k = min(cand.size, int(reg * 0.6))
        pick = np.sort(rng.choice(cand, k, replace=False)) if k else np.zeros(0, int)
        p_att = att / max(reg, 1)
        for mi in pick.tolist():
            part_rows.append([c.id, keys[mi], "true" if rng.random() < p_att + 0.1 else "false"])
    _csv(inputs_dir / "campaigns.csv",
         ["id", "name", "type", "theme", "start", "end", "registrations", "attendees", "cost"], camp_rows)
    _csv(inputs_dir / "campaign_participants.csv", ["campaign_id", "member", "attended"], part_rows)

    # ---- published content ---------------------------------------------------------------
    fmts = ["article", "video", "livestream", "newsletter", "podcast"]
    fmt_w = np.array([45, 20, 10, 20, 5], dtype=float)
    topics_zh = ["Rust", "AI 应用", "出海", "开源", "独立开发", "DevOps", "前端"]
    topics_en = ["Rust", "AI apps", "going global", "open source", "indie hacking", "DevOps", "frontend"]
    topics = topics_zh if zh else topics_en
    titles_zh = ["{t} 实战：从零到上线", "一文读懂 {t}", "{t} 周报第 {n} 期", "社区访谈：用 {t} 做产品的那些事",
                 "{t} 踩坑合集", "直播回放：{t} 入门"]
    titles_en = ["{t} in practice: zero to launch", "{t} explained", "{t} weekly #{n}",
                 "Community interview: building with {t}", "{t} pitfalls", "Livestream replay: intro to {t}"]
    n_content = days // 3 if not big else days * 2
    content_rows = []
    title_for = {"article": (0, 1, 4), "video": (0, 3), "livestream": (5,), "newsletter": (2,), "podcast": (3,)}
    for k in range(n_content):
        d = int(rng.integers(0, days))
        f = fmts[rng.choice(len(fmts), p=fmt_w / fmt_w.sum())]
        tp = topics[int(rng.integers(0, len(topics)))]
        options = title_for[f]
        title = (titles_zh if zh else titles_en)[options[int(rng.integers(0, len(options)))]].format(t=tp, n=k + 1)
        views = int(rng.lognormal(np.log(1800 if f != "newsletter" else 900), 0.8) * (1 + 2 * d / days))
        likes = int(views * rng.uniform(0.01, 0.08))
        comments = int(views * rng.uniform(0.002, 0.02))
        shares = int(views * rng.uniform(0.002, 0.03))
        content_rows.append([f"CT{k + 1:04d}", title, f, tp, _ts(world, d, int(rng.integers(9 * 3600, 21 * 3600))),
                             views, likes, comments, shares])
    content_rows.sort(key=lambda r: (r[4], r[0]))
    _csv(inputs_dir / "content.csv",
         ["id", "title", "format", "topic", "published_at", "views", "likes", "comments", "shares"], content_rows)

    # ---- feedback ------------------------------------------------------------------------
    kinds = ["suggestion", "complaint", "praise", "question", "bug"]
    kind_w = np.array([30, 15, 25, 20, 10], dtype=float)
    cats_zh = ["活动组织", "内容质量", "社区氛围", "技术答疑", "平台功能", "机器人"]
    cats_en = ["events", "content quality", "atmosphere", "tech support", "platform", "bot"]
    chans_zh = ["问卷", "私信", "群内", "邮件"]
    chans_en = ["survey", "dm", "in-group", "email"]
    texts_zh = {
        "suggestion": ["希望多办一些线下活动，最好在周末", "建议把常见问题整理成文档，新人少走弯路",
                       "可以按技术方向分群，现在消息太多了"],
        "complaint": ["求助频道的问题经常没人回，等了两天", "机器人欢迎消息太多了，刷屏", "上次活动临时改时间，通知不及时"],
        "praise": ["社区氛围很好，大佬们都很热心 👍", "黑客松组织得很棒，认识了很多朋友", "周报内容很有用，每期都看"],
        "question": ["怎么申请成为讲师？", "活动回放在哪里可以看？", "积分可以兑换什么？"],
        "bug": ["网页上 <br> 标签显示成文本了", "报名表单提交后没有确认邮件", "机器人把我的消息误删了"],
    }
    texts_en = {
        "suggestion": ["More offline events please, ideally on weekends", "A FAQ doc would help newcomers",
                       "Split channels by topic, it's too busy now"],
        "complaint": ["Questions in #help often go unanswered for days", "Too many bot welcome messages",
                      "The last event was rescheduled with little notice"],
        "praise": ["Great atmosphere, people are so helpful 👍", "The hackathon was fantastic", "The weekly digest is really useful"],
        "question": ["How do I become a speaker?", "Where are the event recordings?", "What can points be redeemed for?"],
        "bug": ["The web page shows a literal <br> tag", "No confirmation email after signing up", "The bot deleted my message"],
    }
    ftexts = texts_zh if zh else texts_en
    n_fb = max(60, days // 2) if not big else 3000
    fb_rows = []
    members_active = active_any if active_any.size else np.arange(len(keys))
    for k in range(n_fb):
        d = int(rng.integers(0, days))
        kind = kinds[rng.choice(len(kinds), p=kind_w / kind_w.sum())]
        chan_i = int(rng.integers(0, 4))
        nps = chan_i == 0 and rng.random() < 0.7
        rating = None if nps else int(np.clip(round(rng.normal(4.4 if kind == "praise" else 3.3, 0.9)), 1, 5))
        score = int(np.clip(round(rng.normal(8.0, 1.8)), 0, 10)) if nps else None
        txt = ftexts[kind][int(rng.integers(0, 3))]
        if k == 3:
            txt = ("活动很好，但是\n希望提前一周通知，\"报名链接\"也能放在置顶" if zh
                   else "Great event, but\nplease announce a week earlier, and pin the \"sign-up link\"")
        received = _ts(world, d, int(rng.integers(8 * 3600, 23 * 3600)))
        st = rng.random()
        if st < 0.65 or d < days - 30 and st < 0.85:
            status = "resolved"
            rd = min(days - 1, d + int(rng.exponential(3)))
            resolved = _ts(world, rd, int(rng.integers(9 * 3600, 22 * 3600)))
            if resolved <= received:
                resolved = _ts(world, rd + 1, 10 * 3600)
        else:
            status, resolved = ("in_progress" if st < 0.92 else "open"), None
        member = keys[int(members_active[int(rng.integers(0, members_active.size))])]
        fb_rows.append([f"FB{k + 1:05d}", member, received, (chans_zh if zh else chans_en)[chan_i], kind,
                        (cats_zh if zh else cats_en)[int(rng.integers(0, 6))], rating, score, txt, status, resolved])
    fb_rows.sort(key=lambda r: (r[2], r[0]))
    _csv(inputs_dir / "feedback.csv", ["id", "member", "received_at", "channel", "kind", "category", "rating",
                                       "score", "text", "status", "resolved_at"], fb_rows)

    # ---- costs ---------------------------------------------------------------------------
    cc = ["活动场地", "礼品周边", "云服务器", "广告投放", "讲师费", "工具订阅"] if zh else \
        ["venue", "swag", "cloud", "ads", "speakers", "tools"]
    cost_rows = []
    mult = 1 if not big else 8
    for key, d0, d1 in months:
        cost_rows.append([world.local_date(d0).isoformat(), cc[2], int(rng.integers(800, 1500)) * mult])
        cost_rows.append([world.local_date(d0).isoformat(), cc[5], 399 * mult])
        for _ in range(2):
            cost_rows.append([world.local_date(int(rng.integers(d0, d1 + 1))).isoformat(), cc[3],
                              int(rng.integers(10, 40)) * 100 * mult])
    for c in world.campaigns:
        dd = world.local_date(c.start_day).isoformat()
        if c.type == "offline":
            cost_rows.append([dd, cc[0], int(rng.integers(30, 120)) * 100 * mult])
        cost_rows.append([dd, cc[1], int(rng.integers(10, 50)) * 100 * mult])
        cost_rows.append([dd, cc[4], int(rng.integers(5, 30)) * 100 * mult])
    cost_rows.sort()
    _csv(inputs_dir / "costs.csv", ["date", "category", "amount"], cost_rows)

    # ---- conversions ---------------------------------------------------------------------
    ctypes = [("付费会员", 199), ("课程购买", 399), ("企业咨询", 5000)] if zh else \
        [("paid_membership", 199), ("course", 399), ("consulting", 5000)]
    conv_rows = []
    n_conv = max(12, int(active_any.size * 0.04))
    conv_members = rng.choice(active_any, min(n_conv, active_any.size), replace=False) if active_any.size else []
    for mi in conv_members.tolist() if len(conv_members) else []:
        days_active = act_day[act_member == mi] if not big else None
        d = int(days_active[int(rng.integers(0, days_active.size))]) if days_active is not None and days_active.size \
            else int(rng.integers(max(0, join_day[mi]), days))
        ti = int(rng.choice(3, p=[0.6, 0.35, 0.05]))
        conv_rows.append([keys[mi], _ts(world, d, int(rng.integers(9 * 3600, 23 * 3600))), ctypes[ti][0],
                          ctypes[ti][1] * (1 if ti < 2 else int(rng.integers(1, 5)))])
    conv_rows.sort(key=lambda r: (r[1], r[0]))
    _csv(inputs_dir / "conversions.csv", ["member", "converted_at", "type", "value"], conv_rows)

    # ---- competitors -------------------------------------------------------------------
    comps = ["掘金开发者社区", "V2EX", "独立开发者联盟"] if zh else ["DevHub", "Indie Makers", "CodeCircle"]
    comp_rows = []
    for key, d0, d1 in months:
        ours_dau = float(dau[d0:d1 + 1].mean())
        ours_msgs = int(daily_msgs[d0:d1 + 1].sum())
        for k, cname in enumerate(comps):
            f = [1.8, 0.7, 1.1][k] * rng.uniform(0.9, 1.1)
            comp_rows.append([cname, key, "avg_dau", round(ours_dau * f, 1)])
            comp_rows.append([cname, key, "messages", int(ours_msgs * f)])
            comp_rows.append([cname, key, "new_members", int(max(5, ours_dau * f * 0.8))])
            comp_rows.append([cname, key, "response_rate", round(min(0.95, rng.uniform(0.45, 0.8)), 2)])
    _csv(inputs_dir / "competitors.csv", ["competitor", "period", "metric", "value"], comp_rows)

    # ---- plan ----------------------------------------------------------------------------
    owners = [P.display[i] for i in np.nonzero(P.admin)[0][:3]]
    items_zh = ["整理新人 FAQ 文档", "招募每周答疑志愿者", "上线积分系统", "筹备下月线下活动", "发布社区月报",
                "优化机器人欢迎语", "建立讲师库", "和高校社团合作推广"]
    items_en = ["Write the newcomer FAQ", "Recruit weekly Q&A volunteers", "Launch the points system",
                "Prepare next month's meetup", "Publish the monthly report", "Tune the welcome bot",
                "Build a speaker pool", "Partner with university clubs"]
    notes_zh = {"blocked": "等待预算审批", "in_progress": "进行中，预计延期一周", "cancelled": "优先级调整，取消",
                "not_started": "", "done": ""}
    notes_en = {"blocked": "waiting for budget approval", "in_progress": "ongoing, about a week late",
                "cancelled": "deprioritised", "not_started": "", "done": ""}
    plan_rows = []
    all_months = months + [_next_month(world, months[-1])]
    for mi_, (key, d0, d1) in enumerate(all_months):
        future = mi_ == len(all_months) - 1
        for k in range(5):
            item = (items_zh if zh else items_en)[(mi_ * 3 + k) % 8]
            due = (world.local_date(min(d1, days - 1)) if not future else
                   date.fromisoformat(key + "-01") + timedelta(days=20 + k))
            if future:
                status = "not_started"
            else:
                status = ["done", "done", "done", "in_progress", "blocked", "cancelled", "not_started"][
                    int(rng.choice(7, p=[0.3, 0.2, 0.15, 0.15, 0.08, 0.05, 0.07]))]
            plan_rows.append([key, item, owners[k % len(owners)], due.isoformat(), status,
                              (notes_zh if zh else notes_en)[status]])
    _csv(inputs_dir / "plan.csv", ["period", "item", "owner", "due", "status", "note"], plan_rows)

    # ---- incidents -----------------------------------------------------------------------
    inc_zh = [("机器人", "欢迎机器人重复发消息", "新人收到两条欢迎消息", "修复重试逻辑"),
              ("平台", "Slack 导出任务失败", "周报数据延迟一天", "重新导出"),
              ("安全", "群内出现广告账号", "3 条垃圾消息", "移除账号并开启入群验证"),
              ("活动", "直播推流中断 10 分钟", "约 200 人观看受影响", "更换备用推流地址"),
              ("平台", "Discord 频道权限配置错误", "新成员无法发言", "修正角色权限"),
              ("机器人", "GitHub 推送通知延迟", "通知晚到约 2 小时", "升级 webhook 服务")]
    inc_en = [("bot", "Welcome bot posted twice", "newcomers got two welcomes", "fixed the retry logic"),
              ("platform", "Slack export job failed", "weekly data one day late", "re-ran the export"),
              ("security", "Spam accounts in the group", "3 spam messages", "removed them, enabled join approval"),
              ("events", "Livestream dropped for 10 minutes", "about 200 viewers affected", "switched to backup stream"),
              ("platform", "Wrong Discord channel permissions", "new members could not post", "fixed role permissions"),
              ("bot", "GitHub notifications delayed", "about 2 hours late", "upgraded the webhook service")]
    inc_rows = []
    n_inc = 6 if not big else 24
    for k in range(n_inc):
        cat, title, impact, resolution = (inc_zh if zh else inc_en)[k % 6]
        d = int(rng.integers(0, days))
        opened = _ts(world, d, int(rng.integers(8 * 3600, 23 * 3600)))
        if k % 5 == 4 and d > days - 20:
            inc_rows.append([opened, cat, title, impact, "open", None, None])
        else:
            rd = min(days - 1, d + int(rng.integers(0, 3)))
            resolved = _ts(world, rd, int(rng.integers(8 * 3600, 23 * 3600)))
            if resolved <= opened:
                resolved = _ts(world, d, min(86399, int(opened[-8:-6]) * 3600 + 5400))
            inc_rows.append([opened, cat, title, impact, "resolved", resolved, resolution])
    inc_rows.sort(key=lambda r: r[0])
    _csv(inputs_dir / "incidents.csv", ["opened_at", "category", "title", "impact", "status", "resolved_at",
                                        "resolution"], inc_rows)

    # ---- strategies --------------------------------------------------------------------
    strat_zh = [("新人引导私信", "新成员加入后由运营私信介绍社区规则和求助方式"),
                ("每周答疑值班", "每个工作日安排志愿者在求助频道值班答疑，目标 15 分钟内首次回复"),
                ("积分激励计划", "发言、回答问题和参加活动可获得积分，兑换周边")]
    strat_en = [("Onboarding DMs", "the team DMs every newcomer the rules and where to ask for help"),
                ("Weekly Q&A rota", "volunteers answer questions every weekday, first reply within 15 minutes"),
                ("Points programme", "posting, answering and attending earn points for swag")]
    strat_rows = []
    for k, day in enumerate(world.strategy_days):
        nm, desc = (strat_zh if zh else strat_en)[k]
        strat_rows.append([world.local_date(day).isoformat(), nm, desc])
    _csv(inputs_dir / "strategies.csv", ["date", "name", "description"], strat_rows)

    # ---- member profiles ---------------------------------------------------------------
    regions = T.REGIONS_ZH if zh else T.REGIONS_EN
    genders = T.GENDERS_ZH if zh else T.GENDERS_EN
    acqs = T.ACQ_ZH if zh else T.ACQ_EN
    prof_rows = []
    has = rng.random(len(keys)) < 0.85
    for k, key in enumerate(keys):
        if not has[k] or not seen[k]:
            continue
        p = int(pid[k])
        prof_rows.append([key, regions[P.region[p]], genders[P.gender[p]], T.AGE_BANDS[P.age[p]], acqs[P.acq[p]]])
    _csv(inputs_dir / "member_profiles.csv", ["member", "region", "gender", "age_band", "acquisition_channel"],
         prof_rows)

    return {"goals": len(rows), "campaigns": len(camp_rows), "campaign_participants": len(part_rows),
            "content": len(content_rows), "feedback": len(fb_rows), "costs": len(cost_rows),
            "conversions": len(conv_rows), "competitors": len(comp_rows), "plan": len(plan_rows),
            "incidents": len(inc_rows), "strategies": len(strat_rows), "member_profiles": len(prof_rows)}


def _next_month(world: Mo.World, last: tuple[str, int, int]) -> tuple[str, int, int]:
    y, m = map(int, last[0].split("-"))
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y}-{m:02d}", world.days, world.days
