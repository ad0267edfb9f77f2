"""Every word the report prints, in Chinese (zh) and English (en), and the one number formatter.

This module owns wording and number formatting. Values stay raw (as the marts return them)
until :class:`Formatter` turns them into text at render time; the HTML page, the Markdown
file and the narrative all use the same formatter, so a number reads the same everywhere.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

LANGUAGES = ("zh", "en")

# How each KPI is formatted; also the order of metrics.json.
METRIC_KINDS: dict[str, str] = {
    "new_members": "int",
    "left_members": "int",
    "net_growth": "signed_int",
    "total_members": "int",
    "avg_dau": "num1",
    "wau": "int",
    "mau": "int",
    "stickiness": "pct",
    "messages": "int",
    "reactions": "int",
    "active_members": "int",
    "reactions_per_message": "num2",
    "messages_per_active_member": "num2",
    "activation_rate_7d": "pct",
    "churn_rate": "pct",
    "response_rate": "pct",
    "median_first_response_minutes": "minutes",
    "replies_per_top_level_message": "num2",
    # inputs of the rates above, as the mart stores them (metrics.json only)
    "top_level_messages": "int",
    "replies": "int",
    "posters": "int",
    "activated_members": "int",
    "previously_active_members": "int",
    "churned_members": "int",
    "responded_messages": "int",
}

# Metrics where a fall is good news (narrative wording only; numbers are never flipped).
LOWER_IS_BETTER = {"left_members", "churn_rate", "median_first_response_minutes"}

SECTION_TITLES = {
    "zh": {
        "summary": "摘要",
        "overview": "社群概况",
        "growth": "用户增长与留存",
        "activity": "用户活跃度",
        "content": "内容产出情况",
        "interaction": "社群互动",
        "quality": "附录：数据质量",
        "glossary": "指标口径",
    },
    "en": {
        "summary": "Executive summary",
        "overview": "Community overview",
        "growth": "User growth & retention",
        "activity": "Activity",
        "content": "Content output",
        "interaction": "Interaction",
        "quality": "Appendix: data quality",
        "glossary": "Glossary",
    },
}

METRIC_LABELS = {
    "zh": {
        "new_members": "新增成员",
        "left_members": "流失成员",
        "net_growth": "净增长",
        "total_members": "成员总数",
        "avg_dau": "日均活跃 (DAU)",
        "wau": "周活跃 (WAU)",
        "mau": "月活跃 (MAU)",
        "stickiness": "黏性 (DAU/MAU)",
        "messages": "消息数",
        "reactions": "表情回应数",
        "active_members": "活跃成员",
        "reactions_per_message": "每条消息回应数",
        "messages_per_active_member": "人均消息数",
        "activation_rate_7d": "7 日激活率",
        "churn_rate": "活跃流失率",
        "response_rate": "回复率",
        "median_first_response_minutes": "首次回复时长中位数",
        "replies_per_top_level_message": "每条主题消息回复数",
    },
    "en": {
        "new_members": "New members",
        "left_members": "Members left",
        "net_growth": "Net growth",
        "total_members": "Total members",
        "avg_dau": "Average DAU",
        "wau": "WAU",
        "mau": "MAU",
        "stickiness": "Stickiness (DAU/MAU)",
        "messages": "Messages",
        "reactions": "Reactions",
        "active_members": "Active members",
        "reactions_per_message": "Reactions per message",
        "messages_per_active_member": "Messages per active member",
        "activation_rate_7d": "Activation rate (7d)",
        "churn_rate": "Churn rate",
        "response_rate": "Response rate",
        "median_first_response_minutes": "Median first response time",
        "replies_per_top_level_message": "Replies per top-level message",
    },
}

# Column headings of every table (keys are the column keys used in render.py).
COLUMN_LABELS = {
    "zh": {
        "metric": "指标", "value": "本期", "previous": "上期", "change": "环比",
        "item": "项目", "detail": "内容",
        "date": "日期", "period": "时段", "source": "来源", "platform": "平台", "channels": "频道数",
        "members": "成员数（曾加入）", "current_members": "当前成员", "bots": "机器人", "messages": "消息数", "messages_all": "消息数（全部）", "period_messages": "本期消息数", "first_date": "最早日期",
        "last_date": "最晚日期", "new_members": "新增", "left_members": "流失", "net_growth": "净增",
        "total_members": "期末成员数", "rank": "排名", "member": "成员", "reactions": "回应数",
        "contributions": "贡献数", "channel": "频道", "replies": "回复数", "posters": "发言人数",
        "attachments": "附件数", "avg_text_length": "平均字数", "share": "占比", "author": "作者",
        "text": "内容", "score": "热度", "sent_date": "日期", "persons_replied": "回复过的成员数",
        "slot": "时段", "weekday": "星期", "hour": "小时", "files": "文件数", "files_failed": "失败文件",
        "rows_read": "读取行数", "rows_loaded": "入库行数", "rows_quarantined": "隔离行数",
        "entity": "数据类型", "asset": "资产", "rule": "规则", "rows": "行数", "check": "检查", "result": "结果",
        "severity": "级别", "description": "说明", "term": "指标", "definition": "口径",
        "cohort_week": "入群周", "cohort_size": "人数", "dau": "DAU", "wau": "WAU", "mau": "MAU",
    },
    "en": {
        "metric": "Metric", "value": "This period", "previous": "Previous", "change": "Change",
        "item": "Item", "detail": "Detail",
        "date": "Date", "period": "Period", "source": "Source", "platform": "Platform", "channels": "Channels",
        "members": "Members (ever)", "current_members": "Current members", "bots": "Bots", "messages": "Messages", "messages_all": "Messages (all)", "period_messages": "Messages this period", "first_date": "First date",
        "last_date": "Last date", "new_members": "New", "left_members": "Left", "net_growth": "Net",
        "total_members": "Total at end", "rank": "#", "member": "Member", "reactions": "Reactions",
        "contributions": "Contributions", "channel": "Channel", "replies": "Replies", "posters": "Posters",
        "attachments": "Attachments", "avg_text_length": "Avg. length", "share": "Share", "author": "Author",
        "text": "Text", "score": "Score", "sent_date": "Date", "persons_replied": "Distinct members replied to",
        "slot": "Time slot", "weekday": "Weekday", "hour": "Hour", "files": "Files", "files_failed": "Failed files",
        "rows_read": "Rows read", "rows_loaded": "Rows loaded", "rows_quarantined": "Rows quarantined",
        "entity": "Entity", "asset": "Asset", "rule": "Rule", "rows": "Rows", "check": "Check", "result": "Result",
        "severity": "Severity", "description": "Description", "term": "Metric", "definition": "Definition",
        "cohort_week": "Cohort week", "cohort_size": "Size", "dau": "DAU", "wau": "WAU", "mau": "MAU",
    },
}

# Everything else: captions, table titles, facts, empty notices, narrative sentence templates.
TEXT = {
    "zh": {
        "report_title": "{name} 社群运营{grain_word}报",
        "grain_weekly": "周",
        "grain_monthly": "月",
        "period_line": "统计周期：{label}（{start} 至 {end}），上期：{prev_label}",
        "generated_note": "数据来自 DuckDB 数据仓库的 marts 表；所有比率以百分比显示，环比为相对变化。",
        "toc": "目录",
        "na": "n/a",
        "no_data": "本期没有可用数据。",
        "no_previous": "上期没有数据，无法计算环比。",
        "minutes_unit": "分钟",
        "passed": "通过",
        "failed": "未通过",
        "yes": "是",
        "no": "否",
        "weekdays": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
        "slot_fmt": "{weekday} {hour:02d}:00–{hour_end:02d}:00",
        "fact_name": "社群名称",
        "fact_founded": "成立日期",
        "fact_audience": "目标人群",
        "fact_sources": "数据来源",
        "fact_channels": "频道数",
        "fact_timezone": "时区",
        "fact_activity_level": "活跃度水平",
        "level_low": "低（黏性 < 10%）",
        "level_moderate": "中（黏性 10%–20%）",
        "level_high": "高（黏性 20%–50%）",
        "level_very_high": "很高（黏性 ≥ 50%）",
        "table_headline": "核心指标",
        "table_facts": "基本信息",
        "table_sources": "各数据来源（全部历史）",
        "table_growth_over_time": "成员变化",
        "table_growth_by_source": "各来源新增与流失",
        "table_cohorts": "按入群周的留存率（第 k 周仍活跃的比例）",
        "table_activity_over_time": "活跃度变化",
        "table_best_slots": "最活跃时段",
        "table_top_contributors": "贡献最多的成员（消息 + 回应）",
        "table_channels": "各频道的成员发言量",
        "table_hot_threads": "热门话题（回复 + 回应最多的主题消息）",
        "table_connectors": "连接者（回复过最多不同成员的人）",
        "table_files": "各来源的文件与行数（截至生成时的全部导入）",
        "table_quarantine": "按规则隔离的行（截至生成时的全部导入）",
        "table_checks": "数据检查结果",
        "table_glossary": "指标定义",
        "chart_members": "成员变化：每日新增/流失与成员总数（本期与上期）",
        "chart_activity": "DAU / WAU / MAU（本期与上期）",
        "chart_heatmap": "本期消息数：星期 × 小时（社群时区）",
        "chart_cohorts": "按入群周的留存率",
        "chart_channels": "本期各频道消息数（前 10）",
        "legend_new": "新增",
        "legend_left": "流失",
        "legend_total": "成员总数",
        "axis_members": "人数",
        "axis_total": "成员总数",
        "axis_weeks_since": "入群后第 k 周",
        "axis_cohort": "入群周",
        "axis_hour": "小时",
        "axis_messages": "消息数",
        "checks_none": "本次生成没有可用的检查结果。",
        "week_of": "{start} 起的一周",
        "date_range": "{start} 至 {end}",
        # narrative
        "n_change_up": "较上期上升 {change}（上期 {previous}）",
        "n_change_down": "较上期下降 {change}（上期 {previous}）",
        "n_change_flat": "与上期持平（上期 {previous}）",
        "n_change_na": "上期无可比数据",
        "n_change_from_zero": "上期为 {previous}，无法计算环比",
        "n_summary_biggest": "变化最大的核心指标是{label}：本期 {value}，{change}。",
        "n_summary_growth": "本期新增 {new} 人、流失 {left} 人，净增长 {net}，期末成员总数 {total}。",
        "n_summary_activity": "本期共有 {active} 名成员活跃，发送 {messages} 条消息，日均活跃 {dau}。",
        "n_summary_response": "主题消息的回复率为 {rate}，首次回复时长中位数为 {minutes}。",
        "n_summary_slot": "最活跃的时段是 {slot}，共 {messages} 条消息。",
        "n_summary_no_kpis": "{label} 没有指标数据（marts.{table} 中无本期记录）。",
        "n_overview": "{name} 共有 {sources} 个数据来源、{channels} 个频道；期末成员 {total} 人，其中 {active} 人在本期活跃。",
        "n_overview_level": "黏性（DAU/MAU）为 {stickiness}，活跃度水平：{level}。",
        "n_growth_net": "本期新增 {new} 人，流失 {left} 人，净增长 {net}；期末成员总数为 {total}。",
        "n_growth_source": "新增成员最多的来源是 {source}（{new} 人）。",
        "n_growth_churn": "上期活跃的成员中有 {churn} 在本期没有活跃（活跃流失率），新成员 7 日激活率为 {activation}。",
        "n_growth_cohort": "{cohort}入群的 {size} 名成员中，入群后第 1 周仍活跃的比例为 {rate}。",
        "n_activity_dau": "日均活跃 {dau}，{change}；人均消息数 {per_member}。",
        "n_activity_slot": "消息最集中的时段是 {slot}（{messages} 条）。",
        "n_activity_top": "贡献最多的成员是 {member}：{messages} 条消息、{reactions} 个回应。",
        "n_content_total": "本期成员在 {channels} 个频道共发送 {messages} 条消息，其中回复 {replies} 条。",
        "n_content_top_channel": "发言最多的频道是 {channel}（{messages} 条，占 {share}）。",
        "n_content_hot": "最热门的话题来自 {author}，获得 {replies} 条回复和 {reactions} 个回应。",
        "n_interaction_rate": "主题消息的回复率为 {rate}，{change}。",
        "n_interaction_time": "首次回复时长中位数为 {minutes}，每条主题消息平均有 {replies} 条回复。",
        "n_interaction_connector": "回复过最多不同成员的是 {member}（{persons} 人）。",
        "n_quality_files": "共导入 {files} 个文件（{failed} 个失败），读取 {rows_read} 行，入库 {rows_loaded} 行。",
        "n_quality_quarantine": "有 {rows} 行被隔离，最多的规则是 {rule}（{rule_rows} 行）。",
        "n_quality_no_quarantine": "没有行被隔离。",
        "n_quality_checks": "{passed} / {total} 项数据检查通过。",
        "n_quality_checks_failed": "未通过的检查：{names}。",
        "n_glossary": "比率以小数计算、以百分比显示；环比 = （本期 − 上期）/ |上期|，上期为 0 或缺失时记为 n/a。",
    },
    "en": {
        "report_title": "{name}: {grain_word} community report",
        "grain_weekly": "weekly",
        "grain_monthly": "monthly",
        "period_line": "Period: {label} ({start} to {end}); previous period: {prev_label}",
        "generated_note": "Figures come from the marts tables of the DuckDB warehouse; rates are shown as percentages, changes are relative.",
        "toc": "Contents",
        "na": "n/a",
        "no_data": "No data for this period.",
        "no_previous": "The previous period has no data, so changes cannot be computed.",
        "minutes_unit": "min",
        "passed": "passed",
        "failed": "failed",
        "yes": "yes",
        "no": "no",
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "slot_fmt": "{weekday} {hour:02d}:00–{hour_end:02d}:00",
        "fact_name": "Name",
        "fact_founded": "Founded",
        "fact_audience": "Audience",
        "fact_sources": "Sources",
        "fact_channels": "Channels",
        "fact_timezone": "Time zone",
        "fact_activity_level": "Activity level",
        "level_low": "low (stickiness < 10%)",
        "level_moderate": "moderate (stickiness 10%–20%)",
        "level_high": "high (stickiness 20%–50%)",
        "level_very_high": "very high (stickiness ≥ 50%)",
        "table_headline": "Headline KPIs",
        "table_facts": "Facts",
        "table_sources": "Sources (all history)",
        "table_growth_over_time": "Members over time",
        "table_growth_by_source": "New and left members by source",
        "table_cohorts": "Retention by join week (share active in week k)",
        "table_activity_over_time": "Activity over time",
        "table_best_slots": "Best time slots",
        "table_top_contributors": "Top contributors (messages + reactions)",
        "table_channels": "Member messages by channel",
        "table_hot_threads": "Hot threads (top-level messages with the most replies + reactions)",
        "table_connectors": "Top connectors (persons who replied to the most distinct others)",
        "table_files": "Files and rows per source (all loads to date)",
        "table_quarantine": "Rows quarantined by rule (all loads to date)",
        "table_checks": "Check results",
        "table_glossary": "Metric definitions",
        "chart_members": "Members: daily new / left and total (this and previous period)",
        "chart_activity": "DAU / WAU / MAU (this and previous period)",
        "chart_heatmap": "Messages this period by weekday × hour (community time zone)",
        "chart_cohorts": "Retention by join week",
        "chart_channels": "Messages by channel this period (top 10)",
        "legend_new": "New",
        "legend_left": "Left",
        "legend_total": "Total members",
        "axis_members": "Persons",
        "axis_total": "Total members",
        "axis_weeks_since": "Weeks since joining (k)",
        "axis_cohort": "Join week",
        "axis_hour": "Hour",
        "axis_messages": "Messages",
        "checks_none": "No check results are available for this run.",
        "week_of": "week of {start}",
        "date_range": "{start} to {end}",
        # narrative
        "n_change_up": "up {change} on the previous period ({previous})",
        "n_change_down": "down {change} on the previous period ({previous})",
        "n_change_flat": "unchanged from the previous period ({previous})",
        "n_change_na": "no comparable previous figure",
        "n_change_from_zero": "against {previous} in the previous period (no relative change)",
        "n_summary_biggest": "The headline KPI that moved most is {label}: {value}, {change}.",
        "n_summary_growth": "{new} members joined and {left} left, a net growth of {net}; total members at period end: {total}.",
        "n_summary_activity": "{active} members were active and sent {messages} messages; average DAU was {dau}.",
        "n_summary_response": "The response rate of top-level messages was {rate}, with a median first response time of {minutes}.",
        "n_summary_slot": "The busiest time slot was {slot} with {messages} messages.",
        "n_summary_no_kpis": "There are no KPI figures for {label} (no rows in marts.{table}).",
        "n_overview": "{name} has {sources} sources and {channels} channels; {total} members at period end, {active} of them active in the period.",
        "n_overview_level": "Stickiness (DAU/MAU) was {stickiness}: activity level {level}.",
        "n_growth_net": "{new} members joined and {left} left, a net growth of {net}; total members at period end: {total}.",
        "n_growth_source": "The source with the most new members was {source} ({new}).",
        "n_growth_churn": "{churn} of the members active in the previous period were not active in this one (churn rate); the 7-day activation rate of new members was {activation}.",
        "n_growth_cohort": "Of the {size} members who joined in the {cohort}, {rate} were active in their first week after joining.",
        "n_activity_dau": "Average DAU was {dau}, {change}; messages per active member: {per_member}.",
        "n_activity_slot": "Messages peaked in the slot {slot} ({messages} messages).",
        "n_activity_top": "The top contributor was {member} with {messages} messages and {reactions} reactions.",
        "n_content_total": "Members sent {messages} messages in {channels} channels, {replies} of them replies.",
        "n_content_top_channel": "The busiest channel was {channel} ({messages} messages, {share}).",
        "n_content_hot": "The hottest thread was started by {author} and drew {replies} replies and {reactions} reactions.",
        "n_interaction_rate": "The response rate of top-level messages was {rate}, {change}.",
        "n_interaction_time": "The median first response time was {minutes}; top-level messages drew {replies} replies each on average.",
        "n_interaction_connector": "The top connector was {member}, who replied to {persons} distinct members.",
        "n_quality_files": "{files} files were loaded ({failed} failed): {rows_read} rows read, {rows_loaded} rows loaded.",
        "n_quality_quarantine": "{rows} rows were quarantined; the most frequent rule was {rule} ({rule_rows} rows).",
        "n_quality_no_quarantine": "No rows were quarantined.",
        "n_quality_checks": "{passed} of {total} data checks passed.",
        "n_quality_checks_failed": "Failed checks: {names}.",
        "n_glossary": "Rates are computed as fractions and shown as percentages; change = (this period − previous) / |previous|, n/a when the previous value is 0 or missing.",
    },
}

# Metric definitions of product spec §4, shown in the glossary (term key → definition).
GLOSSARY = {
    "zh": [
        ("contribution", "贡献", "非机器人成员发送的一条非系统消息，或非机器人成员的一次表情回应。"),
        ("active_members", "活跃成员", "本期任意一天有至少一次贡献的成员（按人计，多平台账号合并）。"),
        ("avg_dau", "DAU / 日均活跃", "DAU(d) = 当天有贡献的人数；日均活跃为本期各天 DAU 的平均值。"),
        ("wau", "WAU / MAU", "WAU(d)：[d−6, d] 内任意一天活跃的人数；MAU(d)：[d−29, d]。本期取期末最后一天的值。"),
        ("stickiness", "黏性", "本期各天 DAU/MAU 的平均值（MAU 为 0 的天不计）。活跃度水平：< 10% 低，10%–20% 中，20%–50% 高，≥ 50% 很高。"),
        ("messages", "消息数", "非机器人成员发送的非系统消息（主题消息与回复）之和。"),
        ("reactions", "表情回应数", "非机器人（或未知）成员的表情回应之和；没有自身时间的回应按所回应消息的日期计。"),
        ("new_members", "新增 / 流失 / 净增长", "入群日：最早的入群事件日期，没有则取平台给出的加入时间，再没有则取首次贡献日期。流失：之后没有再次入群的退群事件。净增长 = 新增 − 流失。"),
        ("total_members", "成员总数", "期末最后一天，已入群且尚未流失的人数。"),
        ("activation_rate_7d", "7 日激活率", "本期入群的新成员中，入群当天起 7 天内（第 0–6 天）有贡献的比例。"),
        ("cohort_retention", "按周留存", "入群日落在 ISO 周 W 的成员，在第 W+k 周仍活跃的比例（k = 0..12）。"),
        ("churn_rate", "活跃流失率", "上一个等长周期活跃、本期未活跃的人数 ÷ 上期活跃人数。"),
        ("response_rate", "回复率", "本期非机器人成员发出的主题消息（无上级消息）中，7 天内得到另一位非机器人成员回复的比例。"),
        ("median_first_response_minutes", "首次回复时长", "上述得到回复的主题消息，从发出到第一条回复的分钟数的中位数。"),
        ("reactions_per_message", "每条消息回应数 / 每条主题消息回复数", "回应数 ÷ 消息数；回复数 ÷ 主题消息数。"),
        ("messages_per_active_member", "人均消息数", "消息数 ÷ 活跃成员数。"),
        ("hot_threads", "热门话题", "按回复数 + 回应数排序的主题消息。"),
        ("heatmap", "活跃热力图", "按社群时区的星期 × 小时统计的消息数。"),
        ("connectors", "连接者", "本期回复过最多不同成员的人。"),
        ("change", "环比", "（本期 − 上期）÷ |上期|，以百分比显示；比率类指标的环比同样是相对变化，而不是百分点差。上期为 0 或缺失时为 n/a。"),
    ],
    "en": [
        ("contribution", "Contribution", "A non-system message by a non-bot person, or a reaction by a non-bot person."),
        ("active_members", "Active members", "Persons (accounts merged across platforms) with at least one contribution on any day of the period."),
        ("avg_dau", "DAU / average DAU", "DAU(d) = persons with a contribution on day d; average DAU is the mean of DAU over the period's days."),
        ("wau", "WAU / MAU", "WAU(d): persons active on any day of [d−6, d]; MAU(d): of [d−29, d]. The period's value is the one of its last day."),
        ("stickiness", "Stickiness", "Mean over the period's days of DAU/MAU (days with MAU = 0 left out). Activity level: < 10% low, 10%–20% moderate, 20%–50% high, ≥ 50% very high."),
        ("messages", "Messages", "Non-system messages (top-level and replies) by non-bot persons."),
        ("reactions", "Reactions", "Reactions by non-bot (or unknown) reactors; a reaction without its own time is dated by the message it reacts to."),
        ("new_members", "New / left / net growth", "Join date: the earliest join event, else the platform's joined time, else the first contribution. Left: a leave event not followed by a later join. Net growth = new − left."),
        ("total_members", "Total members", "Persons joined on or before the period's last day and not left on or before it."),
        ("activation_rate_7d", "Activation rate (7d)", "Share of the persons whose join date falls in the period with a contribution within 7 days of joining (days 0–6)."),
        ("cohort_retention", "Weekly cohort retention", "Persons whose join date falls in ISO week W; the share of them active in week W+k (k = 0..12)."),
        ("churn_rate", "Churn rate", "Persons active in the previous period of the same length and not active in this one, divided by persons active in the previous period."),
        ("response_rate", "Response rate", "Share of the period's top-level messages by non-bot persons that received a reply from a different non-bot person within 7 days."),
        ("median_first_response_minutes", "Median first response time", "Median, over those replied-to messages, of the minutes until the first such reply."),
        ("reactions_per_message", "Reactions per message / replies per top-level message", "Reactions ÷ messages; replies ÷ top-level messages."),
        ("messages_per_active_member", "Messages per active member", "Messages ÷ active members."),
        ("hot_threads", "Hot threads", "Top-level messages ranked by replies + reactions."),
        ("heatmap", "Activity heatmap", "Messages by local weekday × hour in the community's time zone."),
        ("connectors", "Connectors", "Persons who replied to the most distinct other persons in the period."),
        ("change", "Change", "(this period − previous) ÷ |previous|, shown as a percentage; for rates too it is the relative change, not a difference in percentage points. n/a when the previous value is 0 or missing."),
    ],
}


def fixed(v, places: int, scale: int = 1) -> str:
    """``v * scale`` with ``places`` decimals, rounded half up (2.25 -> 2.3, as readers expect,
    not Python's binary round-half-even 2.2), with thousands separators."""
    d = Decimal(repr(float(v))) * scale
    return f"{d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


class Formatter:
    """Turns raw values into display text for one language. The only place numbers are rounded."""

    def __init__(self, language: str):
        if language not in LANGUAGES:
            raise ValueError(f"unknown report language {language!r}")
        self.language = language
        self.text = TEXT[language]

    def t(self, key: str, **kwargs) -> str:
        template = self.text[key]
        return template.format(**kwargs) if kwargs else template

    def metric_label(self, metric: str) -> str:
        return METRIC_LABELS[self.language].get(metric, metric)

    def column_label(self, column: str) -> str:
        return COLUMN_LABELS[self.language].get(column, column)

    def section_title(self, slug: str) -> str:
        return SECTION_TITLES[self.language][slug]

    def metric(self, metric: str, value) -> str:
        return self.value(METRIC_KINDS.get(metric, "num2"), value)

    def value(self, kind: str, v) -> str:
        """Format ``v`` as ``kind``: int, signed_int, num1, num2, pct, change, minutes, date, weekday, slot, text."""
        if _is_missing(v):
            return self.text["na"]
        if isinstance(v, Decimal):
            v = float(v)
        if kind == "text":
            return str(v)
        if kind == "date":
            return v.isoformat() if isinstance(v, date) else str(v)
        if kind == "bool":
            return self.text["passed"] if v else self.text["failed"]
        if kind in ("int", "signed_int"):
            body = fixed(abs(v), 0 if float(v) == int(v) else 1)
            sign = "-" if v < 0 else ("+" if kind == "signed_int" and v > 0 else "")
            return sign + body
        if kind == "num1":
            return fixed(v, 1)
        if kind == "num2":
            return fixed(v, 2)
        if kind == "pct":
            return fixed(v, 1, scale=100) + "%"
        if kind == "change":
            return ("+" if v > 0 else "") + fixed(v, 1, scale=100) + "%"
        if kind == "minutes":
            return f"{fixed(v, 1)} {self.text['minutes_unit']}"
        raise ValueError(f"unknown value kind {kind!r}")

    def weekday(self, iso_weekday: int) -> str:
        return self.text["weekdays"][int(iso_weekday) - 1]

    def slot(self, iso_weekday: int, hour: int) -> str:
        return self.t("slot_fmt", weekday=self.weekday(iso_weekday), hour=int(hour), hour_end=(int(hour) + 1) % 24)

    def activity_level(self, stickiness) -> str:
        if _is_missing(stickiness):
            return self.text["na"]
        s = float(stickiness)
        band = "low" if s < 0.10 else "moderate" if s < 0.20 else "high" if s < 0.50 else "very_high"
        return self.text[f"level_{band}"]
