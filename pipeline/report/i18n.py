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
        # core KPIs, then the business sections' (defined further down this module)
        kind = METRIC_KINDS.get(metric) or BUSINESS_METRIC_KINDS.get(metric, "num2")
        return self.value(kind, value)

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


# --- analytics sections: profile, strategy, recommendations, next_plan, outlook, and the extra blocks
# of growth (acquisition channels), activity (member segments), content (published content, keywords).
# Added with setdefault / append only, so the entries above are never changed.

def _add(table: dict, entries: dict) -> None:
    for language, values in entries.items():
        for key, value in values.items():
            table[language].setdefault(key, value)


for _metric, _kind in {
    "segment_core": "int", "segment_regular": "int", "segment_casual": "int", "segment_silent": "int",
    "segment_core_share": "pct", "segment_regular_share": "pct", "segment_casual_share": "pct",
    "segment_silent_share": "pct",
    "published_items": "int", "published_views": "int", "published_engagement_rate": "pct",
    "profile_coverage": "pct", "tagged_members": "int",
    "strategies_evaluated": "int", "strategy_significant_effects": "int",
    "plan_items_next": "int",
    "forecast_new_members": "num1", "forecast_total_members": "num1", "forecast_active_members": "num1",
    "forecast_avg_dau": "num1", "forecast_messages": "num1", "forecast_response_rate": "pct",
    "forecast_median_first_response_minutes": "minutes",
}.items():
    METRIC_KINDS.setdefault(_metric, _kind)

LOWER_IS_BETTER.update({"segment_silent", "segment_silent_share", "forecast_median_first_response_minutes"})

_add(SECTION_TITLES, {
    "zh": {"profile": "用户画像与兴趣标签", "strategy": "运营策略与成效评估", "recommendations": "改进建议",
           "next_plan": "下阶段工作计划", "outlook": "总结与展望"},
    "en": {"profile": "Member profile & interests", "strategy": "Strategy evaluation",
           "recommendations": "Recommendations", "next_plan": "Next-period plan", "outlook": "Summary & outlook"},
})

_add(METRIC_LABELS, {
    "zh": {
        "segment_core": "核心成员", "segment_regular": "常规成员", "segment_casual": "偶尔活跃成员",
        "segment_silent": "沉默成员", "segment_core_share": "核心成员占比", "segment_regular_share": "常规成员占比",
        "segment_casual_share": "偶尔活跃成员占比", "segment_silent_share": "沉默成员占比",
        "published_items": "发布内容数", "published_views": "内容阅读量", "published_engagement_rate": "内容互动率",
        "profile_coverage": "画像覆盖率", "tagged_members": "有兴趣标签的成员",
        "strategies_evaluated": "评估的策略数", "strategy_significant_effects": "显著变化的指标数",
        "plan_items_next": "下期计划事项",
        "forecast_new_members": "下期新增成员（预测）", "forecast_total_members": "下期成员总数（预测）",
        "forecast_active_members": "下期活跃成员（预测）", "forecast_avg_dau": "下期日均活跃（预测）",
        "forecast_messages": "下期消息数（预测）", "forecast_response_rate": "下期回复率（预测）",
        "forecast_median_first_response_minutes": "下期首次回复时长（预测）",
    },
    "en": {
        "segment_core": "Core members", "segment_regular": "Regular members", "segment_casual": "Casual members",
        "segment_silent": "Silent members", "segment_core_share": "Core share", "segment_regular_share": "Regular share",
        "segment_casual_share": "Casual share", "segment_silent_share": "Silent share",
        "published_items": "Published items", "published_views": "Content views",
        "published_engagement_rate": "Content engagement rate",
        "profile_coverage": "Profile coverage", "tagged_members": "Members with interest tags",
        "strategies_evaluated": "Strategies evaluated", "strategy_significant_effects": "Significant effects",
        "plan_items_next": "Items planned next period",
        "forecast_new_members": "Forecast: new members", "forecast_total_members": "Forecast: total members",
        "forecast_active_members": "Forecast: active members", "forecast_avg_dau": "Forecast: average DAU",
        "forecast_messages": "Forecast: messages", "forecast_response_rate": "Forecast: response rate",
        "forecast_median_first_response_minutes": "Forecast: median first response time",
    },
})

_add(COLUMN_LABELS, {
    "zh": {
        "acquisition_channel": "获客渠道", "previous_new_members": "上期新增", "activation_rate_7d": "7 日激活率",
        "week4_cohort": "第 4 周观察人数", "week4_retention": "第 4 周留存", "segment": "分层", "persons": "人数",
        "items": "发布数", "views": "阅读量", "likes": "点赞", "comments": "评论", "shares": "分享",
        "engagement_rate": "互动率", "title": "标题", "format": "形式", "topic": "主题", "published_date": "发布日期",
        "engagements": "互动数", "keyword": "关键词", "mentions": "出现次数", "dimension": "维度", "dim_value": "取值",
        "period_members": "期末成员", "active_members": "本期活跃", "tag": "标签", "keywords": "关键词",
        "strategy": "策略", "in_period": "本期开始", "mean_before": "之前日均", "mean_after": "之后日均",
        "p_value": "p 值", "days_compared": "对比天数（前 / 后）", "assessment": "结论", "recommendation": "建议",
        "evidence": "依据指标", "threshold": "阈值", "forecast": "下期预测", "slope": "每期趋势",
        "points": "样本数", "method": "方法", "owner": "负责人", "due": "截止日期", "status": "状态", "note": "备注",
        "target": "建议目标", "goal": "团队目标",
    },
    "en": {
        "acquisition_channel": "Channel", "previous_new_members": "New (previous)", "activation_rate_7d": "Activation (7d)",
        "week4_cohort": "Week-4 cohort", "week4_retention": "Week-4 retention", "segment": "Segment", "persons": "Persons",
        "items": "Items", "views": "Views", "likes": "Likes", "comments": "Comments", "shares": "Shares",
        "engagement_rate": "Engagement rate", "title": "Title", "format": "Format", "topic": "Topic",
        "published_date": "Published", "engagements": "Engagements", "keyword": "Keyword", "mentions": "Mentions",
        "dimension": "Dimension", "dim_value": "Value", "period_members": "Members at end",
        "active_members": "Active this period", "tag": "Tag", "keywords": "Keywords",
        "strategy": "Strategy", "in_period": "Started this period", "mean_before": "Mean before",
        "mean_after": "Mean after", "p_value": "p-value", "days_compared": "Days (before / after)",
        "assessment": "Assessment", "recommendation": "Recommendation", "evidence": "Evidence",
        "threshold": "Threshold", "forecast": "Next-period forecast", "slope": "Trend per period",
        "points": "Values used", "method": "Method", "owner": "Owner", "due": "Due", "status": "Status", "note": "Note",
        "target": "Suggested target", "goal": "Team goal",
    },
})

_add(TEXT, {
    "zh": {
        "x_unknown": "未知",
        "x_list_sep": "；",
        "x_legend_this_period": "本期",
        "x_legend_previous_period": "上期",
        "x_legend_actual": "实际值",
        "x_legend_forecast": "预测值",
        # growth: acquisition channels
        "x_table_acquisition": "获客渠道：新增成员、7 日激活率与第 4 周留存（第 4 周留存：入群周 W 的第 W+4 周在本期内结束的成员中，该周仍活跃的比例）",
        "x_chart_acquisition": "各获客渠道的新增成员（本期与上期）",
        "x_no_profiles_channel": "未提供成员画像文件（member_profiles），无法按获客渠道拆分新增成员。",
        "x_no_channel_values": "成员画像中没有获客渠道（acquisition_channel）信息，无法按渠道拆分新增成员。",
        # activity: member segments
        "x_table_segments": "成员分层（期末成员按本期活跃天数占比）",
        "x_chart_segments": "各分层成员数（本期与上期）",
        "x_segment_core": "核心", "x_segment_regular": "常规", "x_segment_casual": "偶尔", "x_segment_silent": "沉默",
        "x_segment_core_def": "活跃天数 ≥ 50%",
        "x_segment_regular_def": "15% ≤ 活跃天数 < 50%",
        "x_segment_casual_def": "0 < 活跃天数 < 15%",
        "x_segment_silent_def": "本期未活跃",
        # content: published content and keywords
        "x_table_published": "已发布内容表现（本期与上期）",
        "x_table_published_by_format": "本期已发布内容：按形式",
        "x_table_published_by_topic": "本期已发布内容：按主题",
        "x_table_top_content": "本期互动最多的内容（点赞 + 评论 + 分享）",
        "x_chart_published": "本期各内容形式的阅读量与发布数",
        "x_no_content_input": "未提供已发布内容文件（content），本节不含内容表现数据。",
        "x_no_content_in_period": "本期没有发布内容。",
        "x_table_keywords": "成员发言热词（jieba 中文分词，已去除停用词、机器人和系统消息）",
        "x_chart_keywords": "成员发言热词（前 15）",
        # profile
        "x_table_profile": "成员画像分布（期末成员）",
        "x_chart_profile": "地区、性别、年龄段与获客渠道分布（期末成员，前 8 项）",
        "x_dim_region": "地区", "x_dim_gender": "性别", "x_dim_age_band": "年龄段", "x_dim_acquisition_channel": "获客渠道",
        "x_no_profiles": "未提供成员画像文件（member_profiles），无法统计地区、性别、年龄段和获客渠道分布。",
        "x_profiles_unmatched": "成员画像文件中没有与期末成员对应的记录，无法统计画像分布。",
        "x_n_profile_coverage": "期末 {members} 名成员中，{coverage} 有画像资料。",
        "x_n_profile_top": "{items}。",
        "x_n_profile_top_item": "人数最多的{dimension}是 {value}（{share}）",
        "x_table_interest_tags": "兴趣标签（关键词词典匹配本期成员发言）",
        "x_chart_interest_tags": "各兴趣标签的发言人数",
        "x_tags_error": "兴趣标签词典无法使用：{error}",
        "x_n_tags_total": "本期有 {persons} 名成员的 {messages} 条消息带有兴趣标签，{change}。",
        "x_n_tags_top": "最热门的标签是「{tag}」：{persons} 人、{messages} 条消息。",
        # strategy
        "x_table_strategy": "运营策略前后对比（开始前 14 天与开始后 14 天的日均值，Mann–Whitney U 检验）",
        "x_chart_strategy": "最近的策略「{name}」（{date} 开始）前后各 14 天的关键指标",
        "x_metric_dau": "DAU", "x_metric_messages": "消息数", "x_metric_new_members": "新增成员",
        "x_metric_response_rate": "回复率",
        "x_days_compared": "{before} / {after}",
        "x_effect_up": "显著上升", "x_effect_down": "显著下降", "x_effect_not_significant": "无显著变化",
        "x_effect_na": "无法检验",
        "x_no_strategies_input": "未提供运营策略文件（strategies），无法评估策略成效。",
        "x_no_strategies_started": "截至本期末没有已开始的运营策略。",
        "x_n_strategy_count": "共评估 {n} 项截至本期末已开始的策略（本期开始 {in_period} 项，更早开始 {earlier} 项）；“之后”为开始日起 {days} 天，截至本期末。",
        "x_n_strategy_latest": "最近的策略「{name}」（{date} 开始）前后日均 DAU 从 {before} 变为 {after}（{change}），{p}：{assessment}。",
        "x_n_strategy_significant": "{total} 组前后对比中有 {n} 组在 5% 水平上显著。",
        # recommendations
        "x_table_recommendations": "改进建议（每条附触发它的指标、数值与阈值）",
        "x_table_rules": "已检查的规则",
        "x_no_recommendations": "本期没有规则被触发。",
        "x_rule_triggered": "触发", "x_rule_ok": "未触发", "x_rule_not_evaluated": "无数据，未评估",
        "x_rule_response_rate": "回复率", "x_cmp_response_rate": "< {threshold}",
        "x_rec_response_rate": "安排值班答疑：在求助频道按工作日排班，目标 15 分钟内首次回复，让回复率（{value_text}）回到 {threshold_text} 以上。",
        "x_rule_first_response": "首次回复时长中位数", "x_cmp_first_response": "> {threshold}",
        "x_rec_first_response": "缩短首次回复时间：为未回复的提问设置提醒，由管理员每天两次集中回复（当前中位数 {value_text}，目标 ≤ {threshold_text}）。",
        "x_rule_churn": "活跃流失率环比", "x_cmp_churn": "> {threshold}",
        "x_rec_churn": "流失率从 {previous} 升至 {value}（{value_text}）：回访上期活跃、本期未发言的成员，了解原因并邀请参加近期活动。",
        "x_rule_onboarding": "7 日激活率", "x_cmp_onboarding": "< {threshold}",
        "x_rec_onboarding": "优化新人引导：欢迎私信 + 新手任务（自我介绍、提第一个问题），把 7 日激活率（{value_text}）提到 {threshold_text} 以上。",
        "x_rule_acquisition": "新增成员环比", "x_cmp_acquisition": "< {threshold}",
        "x_rec_acquisition": "新增成员从 {previous} 降到 {value}（{value_text}）：复查获客渠道，加大效果最好的渠道投入，并准备一次拉新活动。",
        "x_rule_activity": "日均活跃环比", "x_cmp_activity": "< {threshold}",
        "x_rec_activity": "日均活跃从 {previous} 降到 {value}（{value_text}）：安排话题讨论或线上活动带动发言。",
        "x_rule_silent": "沉默成员占比", "x_cmp_silent": "> {threshold}",
        "x_rec_silent": "沉默成员占 {value_text}（> {threshold_text}）：按兴趣标签推送精选内容，邀请沉默成员参与投票或问答。",
        "x_rule_slot": "最活跃时段消息数 ÷ 有消息时段的平均值", "x_cmp_slot": "≥ {threshold}×",
        "x_rec_slot": "把公告和活动预告安排在最活跃的时段 {slot}（{messages} 条消息，是平均时段的 {value_text} 倍）。",
        "x_rule_channel": "频道消息数环比（降幅最大的频道）", "x_cmp_channel": "< {threshold}",
        "x_rec_channel": "频道「{channel}」的消息从 {previous} 条降到 {value} 条（{value_text}）：检查话题是否过时，考虑合并频道或请版主带话题。",
        "x_rule_complaints": "未解决的投诉", "x_cmp_complaints": "> {threshold}",
        "x_rec_complaints": "有 {value_text} 条投诉尚未解决：指定负责人，一周内回复。",
        "x_rule_incidents": "未关闭的问题", "x_cmp_incidents": "> {threshold}",
        "x_rec_incidents": "有 {value_text} 个问题尚未关闭：跟进处理，并在群内同步进展。",
        "x_n_recommendations": "本期触发 {n} 条建议（共评估 {checked} 条规则）。",
        "x_n_recommendation_first": "第一条的依据：{evidence} 为 {value}（阈值 {threshold}）。",
        "x_n_no_recommendations": "评估的 {checked} 条规则均未触发，各项指标都在阈值内。",
        # outlook
        "x_table_review": "表现较好与需要关注的指标（按环比）",
        "x_went_well": "表现较好", "x_went_poorly": "需要关注",
        "x_no_review": "没有可比较的环比变化（上期数值缺失或为 0）。",
        "x_n_review_item": "{label}（{change}）",
        "x_n_went_well": "表现较好：{items}。",
        "x_n_went_poorly": "需要关注：{items}。",
        "x_forecast_method_weekly": "最近 {n} 周数值的最小二乘线性趋势",
        "x_forecast_method_monthly": "最近 {n} 个月数值的最小二乘线性趋势",
        "x_chart_forecast": "关键指标与下期预测（{method}）",
        "x_table_forecast": "下期（{next_label}）预测",
        "x_forecast_too_short": "历史数据不足 3 个周期，暂不预测。",
        "x_n_forecast": "按{method}，预计 {next_label}：{items}。",
        "x_n_forecast_item": "{label}约 {value}",
        # next-period plan
        "x_table_plan_next": "下期（{next_label}）计划事项",
        "x_table_plan_carry": "本期未完成、建议顺延的事项",
        "x_no_plan_input": "未提供运营计划文件（plan），无法列出下期计划事项。",
        "x_no_plan_items": "计划文件中没有下期的事项。",
        "x_status_done": "已完成", "x_status_in_progress": "进行中", "x_status_not_started": "未开始",
        "x_status_blocked": "受阻", "x_status_cancelled": "已取消",
        "x_n_plan": "{next_label} 已计划 {n} 项工作，另有 {carry} 项本期未完成、建议顺延。",
        "x_table_targets": "下期（{next_label}）建议目标（由趋势预测推出）",
        "x_rule_higher": "max(预测, 本期) × (1 + {stretch})",
        "x_rule_lower": "min(预测, 本期) × (1 − {stretch})（越低越好）",
        "x_rule_rate": "max(预测, 本期) × (1 + {stretch})，上限 100%",
        "x_n_targets": "建议目标 = max(趋势预测, 本期实际) × (1 + {stretch})（越低越好的指标取 min × (1 − {stretch})）；例如{label}：预测 {forecast}，目标 {target}。",
    },
    "en": {
        "x_unknown": "unknown",
        "x_list_sep": "; ",
        "x_legend_this_period": "This period",
        "x_legend_previous_period": "Previous period",
        "x_legend_actual": "Actual",
        "x_legend_forecast": "Forecast",
        "x_table_acquisition": "Acquisition channels: new members, 7-day activation and week-4 retention (week-4 retention: of the members whose join week W has its week W+4 ending in this period, the share active in that week)",
        "x_chart_acquisition": "New members by acquisition channel (this and previous period)",
        "x_no_profiles_channel": "No member profiles (member_profiles) were provided, so new members cannot be split by acquisition channel.",
        "x_no_channel_values": "The member profiles carry no acquisition channel, so new members cannot be split by channel.",
        "x_table_segments": "Member segments (members at period end by share of days active)",
        "x_chart_segments": "Members per segment (this and previous period)",
        "x_segment_core": "Core", "x_segment_regular": "Regular", "x_segment_casual": "Casual", "x_segment_silent": "Silent",
        "x_segment_core_def": "active on ≥ 50% of days",
        "x_segment_regular_def": "active on ≥ 15% and < 50% of days",
        "x_segment_casual_def": "active on > 0% and < 15% of days",
        "x_segment_silent_def": "not active in the period",
        "x_table_published": "Published content performance (this and previous period)",
        "x_table_published_by_format": "Published this period: by format",
        "x_table_published_by_topic": "Published this period: by topic",
        "x_table_top_content": "Most engaging items this period (likes + comments + shares)",
        "x_chart_published": "Views and items by format this period",
        "x_no_content_input": "No published-content input (content) was provided, so content performance is not shown.",
        "x_no_content_in_period": "No content was published in this period.",
        "x_table_keywords": "Top keywords in member messages (Chinese segmented with jieba; stop words, bots and system messages removed)",
        "x_chart_keywords": "Top 15 keywords in member messages",
        "x_table_profile": "Member profile distributions (members at period end)",
        "x_chart_profile": "Region, gender, age band and acquisition channel (members at period end, top 8)",
        "x_dim_region": "Region", "x_dim_gender": "Gender", "x_dim_age_band": "Age band",
        "x_dim_acquisition_channel": "Acquisition channel",
        "x_no_profiles": "No member profiles (member_profiles) were provided, so region, gender, age band and acquisition channel cannot be shown.",
        "x_profiles_unmatched": "The member profiles match none of the members at period end, so no distribution can be shown.",
        "x_n_profile_coverage": "{coverage} of the {members} members at period end have a profile.",
        "x_n_profile_top": "Largest groups: {items}.",
        "x_n_profile_top_item": "{dimension} {value} ({share})",
        "x_table_interest_tags": "Interest tags (keyword dictionary matched against this period's member messages)",
        "x_chart_interest_tags": "Persons per interest tag",
        "x_tags_error": "The interest-tag dictionary cannot be used: {error}",
        "x_n_tags_total": "Members whose messages carry an interest tag: {persons} ({messages} messages), {change}.",
        "x_n_tags_top": "The most popular tag was “{tag}”: {persons} persons, {messages} messages.",
        "x_table_strategy": "Strategies before and after (daily means of the 14 days before vs the 14 days from the start, Mann–Whitney U test)",
        "x_chart_strategy": "Key metrics in the 14 days around the latest strategy “{name}” (started {date})",
        "x_metric_dau": "DAU", "x_metric_messages": "Messages", "x_metric_new_members": "New members",
        "x_metric_response_rate": "Response rate",
        "x_days_compared": "{before} / {after}",
        "x_effect_up": "significant rise", "x_effect_down": "significant fall",
        "x_effect_not_significant": "no significant change", "x_effect_na": "not testable",
        "x_no_strategies_input": "No strategies input (strategies) was provided, so no strategy can be evaluated.",
        "x_no_strategies_started": "No strategy had started by the end of this period.",
        "x_n_strategy_count": "Strategies evaluated (started by the end of this period): {n}, of which {in_period} started in it and {earlier} earlier; “after” is the {days} days from the start, cut at the period's end.",
        "x_n_strategy_latest": "Around the latest strategy “{name}” (started {date}) average DAU went from {before} to {after} ({change}), {p}: {assessment}.",
        "x_n_strategy_significant": "Before/after comparisons significant at the 5% level: {n} of {total}.",
        "x_table_recommendations": "Recommendations (each with the metric, value and threshold that triggered it)",
        "x_table_rules": "Rules checked",
        "x_no_recommendations": "No rule was triggered in this period.",
        "x_rule_triggered": "triggered", "x_rule_ok": "not triggered", "x_rule_not_evaluated": "no data, not evaluated",
        "x_rule_response_rate": "Response rate", "x_cmp_response_rate": "< {threshold}",
        "x_rec_response_rate": "Set up a Q&A rota: volunteers on duty in the help channel every weekday, first reply within 15 minutes, to bring the response rate ({value_text}) back above {threshold_text}.",
        "x_rule_first_response": "Median first response time", "x_cmp_first_response": "> {threshold}",
        "x_rec_first_response": "Shorten first replies: flag unanswered questions and have moderators sweep them twice a day (median now {value_text}, target ≤ {threshold_text}).",
        "x_rule_churn": "Churn rate change", "x_cmp_churn": "> {threshold}",
        "x_rec_churn": "Churn rose from {previous} to {value} ({value_text}): reach out to members active last period but silent in this one, ask why and invite them to the next event.",
        "x_rule_onboarding": "Activation rate (7d)", "x_cmp_onboarding": "< {threshold}",
        "x_rec_onboarding": "Improve onboarding: a welcome DM plus starter tasks (introduce yourself, ask a first question) to lift 7-day activation ({value_text}) above {threshold_text}.",
        "x_rule_acquisition": "New members change", "x_cmp_acquisition": "< {threshold}",
        "x_rec_acquisition": "New members fell from {previous} to {value} ({value_text}): review the acquisition channels, invest in the best one and plan a recruiting event.",
        "x_rule_activity": "Average DAU change", "x_cmp_activity": "< {threshold}",
        "x_rec_activity": "Average DAU fell from {previous} to {value} ({value_text}): schedule topic threads or an online event to get people talking.",
        "x_rule_silent": "Silent member share", "x_cmp_silent": "> {threshold}",
        "x_rec_silent": "Silent members are {value_text} of members (> {threshold_text}): send curated content by interest tag and invite them to polls or Q&As.",
        "x_rule_slot": "Busiest slot ÷ mean of slots with messages", "x_cmp_slot": "≥ {threshold}×",
        "x_rec_slot": "Post announcements and event reminders in the busiest slot, {slot} ({messages} messages, {value_text}× the average slot).",
        "x_rule_channel": "Channel messages change (largest fall)", "x_cmp_channel": "< {threshold}",
        "x_rec_channel": "Messages in channel “{channel}” fell from {previous} to {value} ({value_text}): check whether its topic is stale, merge it or ask a moderator to seed discussions.",
        "x_rule_complaints": "Unresolved complaints", "x_cmp_complaints": "> {threshold}",
        "x_rec_complaints": "{value_text} complaints are unresolved: assign an owner and reply within a week.",
        "x_rule_incidents": "Open incidents", "x_cmp_incidents": "> {threshold}",
        "x_rec_incidents": "{value_text} incidents are still open: follow them up and post progress updates in the community.",
        "x_n_recommendations": "Recommendations triggered: {n} (of {checked} rules evaluated).",
        "x_n_recommendation_first": "The first is based on {evidence}: {value} (threshold {threshold}).",
        "x_n_no_recommendations": "None of the {checked} rules evaluated was triggered: every figure is within its threshold.",
        "x_table_review": "What went well and what did not (by change on the previous period)",
        "x_went_well": "went well", "x_went_poorly": "needs attention",
        "x_no_review": "No KPI has a comparable change (previous values missing or zero).",
        "x_n_review_item": "{label} ({change})",
        "x_n_went_well": "Went well: {items}.",
        "x_n_went_poorly": "Did not go well: {items}.",
        "x_forecast_method_weekly": "least-squares linear trend over the last {n} weekly values",
        "x_forecast_method_monthly": "least-squares linear trend over the last {n} monthly values",
        "x_chart_forecast": "Key metrics and next-period forecast ({method})",
        "x_table_forecast": "Forecast for the next period ({next_label})",
        "x_forecast_too_short": "Fewer than 3 periods of history: no forecast.",
        "x_n_forecast": "Forecast for {next_label} ({method}): {items}.",
        "x_n_forecast_item": "{label} about {value}",
        "x_table_plan_next": "Planned items for the next period ({next_label})",
        "x_table_plan_carry": "Unfinished items of this period to carry over",
        "x_no_plan_input": "No plan input (plan) was provided, so no planned items can be listed.",
        "x_no_plan_items": "The plan has no items for the next period.",
        "x_status_done": "done", "x_status_in_progress": "in progress", "x_status_not_started": "not started",
        "x_status_blocked": "blocked", "x_status_cancelled": "cancelled",
        "x_n_plan": "Items planned for {next_label}: {n}; unfinished items of this period that could carry over: {carry}.",
        "x_table_targets": "Suggested targets for {next_label} (derived from the trend forecast)",
        "x_rule_higher": "max(forecast, this period) × (1 + {stretch})",
        "x_rule_lower": "min(forecast, this period) × (1 − {stretch}) (lower is better)",
        "x_rule_rate": "max(forecast, this period) × (1 + {stretch}), at most 100%",
        "x_n_targets": "Suggested target = max(trend forecast, this period) × (1 + {stretch}) (min × (1 − {stretch}) for lower-is-better metrics); e.g. {label}: forecast {forecast}, target {target}.",
    },
})

GLOSSARY["zh"] += [
    ("member_segments", "成员分层", "期末成员按本期活跃天数占比分为：核心（≥ 50%）、常规（≥ 15% 且 < 50%）、偶尔（> 0 且 < 15%）、沉默（0 天）。"),
    ("acquisition_channels", "获客渠道质量", "按成员画像中的获客渠道统计本期新增、7 日激活率，以及第 4 周留存：入群周 W 的第 W+4 周在本期内结束的成员中，该周仍活跃的比例。"),
    ("engagement_rate", "内容互动率", "（点赞 + 评论 + 分享）÷ 阅读量，按发布日期计入本期的已发布内容。"),
    ("keywords", "发言热词", "本期成员（非机器人）非系统消息用 jieba 分词（英文按单词），去除停用词、单字、数字、链接和 @；出现次数为词的出现总数。"),
    ("interest_tags", "兴趣标签", "按关键词→标签词典匹配本期成员发言（中文关键词按子串、英文按整词，不区分大小写）；人数为带该标签消息的发言人数。词典可在 community.yaml 的 settings.interest_tags 中替换。"),
    ("profile_coverage", "画像覆盖率", "期末成员中，地区、性别、年龄段、获客渠道至少有一项已知的比例。"),
    ("strategy_effect", "策略成效", "策略开始日 d 前 14 天（d−14..d−1）与之后 14 天（d..d+13，截至本期末）的日值对比：均值、变化率与双侧 Mann–Whitney U 检验 p 值；p < 0.05 视为显著。"),
    ("recommendation_rules", "建议规则", "回复率 < 50%；首次回复时长中位数 > 60 分钟；流失率环比 > +20%；7 日激活率 < 30%；新增成员环比 < −20%；日均活跃环比 < −10%；沉默成员占比 > 50%；最活跃时段 ≥ 平均时段 2 倍（本期 ≥ 20 条消息）；频道消息环比 < −30%（上期 ≥ 20 条）；有未解决投诉或未关闭问题。恰好等于阈值不触发。"),
    ("forecast", "预测", "对最近 8 个同粒度周期（含本期，不含尚无成员的周期）的指标值做最小二乘线性拟合，外推一期；少于 3 个值不预测；计数不小于 0，比率在 0–100% 之间。"),
    ("suggested_target", "建议目标", "max(预测, 本期) × 110%；越低越好的指标取 min(预测, 本期) × 90%；比率上限 100%。"),
]
GLOSSARY["en"] += [
    ("member_segments", "Member segments", "Members at period end by share of the period's days they were active: core (≥ 50%), regular (≥ 15% and < 50%), casual (> 0 and < 15%), silent (0 days)."),
    ("acquisition_channels", "Acquisition channel quality", "Per acquisition channel of the member profiles: new members in the period, their 7-day activation rate, and week-4 retention: of the members whose join week W has its week W+4 ending in the period, the share active in that week."),
    ("engagement_rate", "Engagement rate", "(likes + comments + shares) ÷ views of the content published in the period."),
    ("keywords", "Top keywords", "Member (non-bot) non-system messages of the period, Chinese segmented with jieba and Latin text split into words; stop words, single characters, numbers, links and mentions removed; mentions = occurrences."),
    ("interest_tags", "Interest tags", "A keyword → tag dictionary matched against the period's member messages (Chinese keywords as substrings, Latin ones as whole words, case-insensitive); persons = authors of messages with the tag. Replace the dictionary with settings.interest_tags in community.yaml."),
    ("profile_coverage", "Profile coverage", "Share of the members at period end with at least one of region, gender, age band, acquisition channel known."),
    ("strategy_effect", "Strategy effect", "Daily values of the 14 days before a strategy's date d (d−14..d−1) against the 14 days from it (d..d+13, cut at the period's end): means, change and the two-sided Mann–Whitney U p-value; p < 0.05 counts as significant."),
    ("recommendation_rules", "Recommendation rules", "Response rate < 50%; median first response > 60 min; churn rate change > +20%; 7-day activation < 30%; new members change < −20%; average DAU change < −10%; silent share > 50%; busiest slot ≥ 2× the mean slot (with ≥ 20 messages); a channel's messages change < −30% (from ≥ 20); unresolved complaints or open incidents. A value exactly at its threshold does not trigger."),
    ("forecast", "Forecast", "Least-squares linear trend over the metric's values of the last 8 periods of the same grain (this one included, periods without members left out), extended one period; no forecast with fewer than 3 values; counts floored at 0, rates kept within 0–100%."),
    ("suggested_target", "Suggested target", "max(forecast, this period) × 110%; min(forecast, this period) × 90% for lower-is-better metrics; rates at most 100%."),
]


def format_p_value(f: Formatter, p) -> str:
    """A p-value as shown: three decimals, '< 0.001' below that, n/a when missing."""
    if _is_missing(p):
        return f.text["na"]
    return "< 0.001" if float(p) < 0.001 else fixed(p, 3)


def format_p_statement(f: Formatter, p) -> str:
    """'p = 0.012', 'p < 0.001' or 'p = n/a' for a sentence."""
    text = format_p_value(f, p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


# --- business-input sections: goals, campaigns, feedback, competitors, cost, plan, incidents ------------
# (pipeline/report/sections/{goals,campaigns,feedback,competitors,cost,plan,incidents}.py; appended here.)
# Their KPIs are not in METRIC_KINDS, which lists the core KPI mart's metrics (always in metrics.json):
# a business section adds its KPIs only when its input was provided. BUSINESS_METRIC_KINDS says how each
# is formatted (goal_attainment_<metric> is "pct"); amounts are in the currency of the team's files.
BUSINESS_METRIC_KINDS: dict[str, str] = {
    # goals
    "goals_set": "int",
    "goals_assessed": "int",
    "goals_achieved": "int",
    "goal_achievement_rate": "pct",
    # campaigns
    "campaigns": "int",
    "campaign_registrations": "int",
    "campaign_attendees": "int",
    "campaign_attendance_rate": "pct",
    "campaign_cost": "num2",
    "campaign_cost_per_attendee": "num2",
    "campaign_lift": "change",
    "campaigns_measured": "int",
    # feedback
    "feedback_received": "int",
    "complaints": "int",
    "feedback_resolved": "int",
    "feedback_resolution_rate": "pct",
    "feedback_median_hours_to_resolve": "num1",
    "satisfaction": "num2",
    "satisfaction_ratings": "int",
    "nps": "change",
    "nps_responses": "int",
    "open_complaints": "int",
    # competitors
    "competitors": "int",
    "competitor_metrics_compared": "int",
    "competitor_metrics_leading": "int",
    # cost & ROI
    "cost": "num2",
    "cac": "num2",
    "conversions": "int",
    "converting_persons": "int",
    "conversion_rate": "pct",
    "revenue": "num2",
    "roi": "change",
    # plan
    "plan_items": "int",
    "plan_done": "int",
    "plan_cancelled": "int",
    "plan_blocked": "int",
    "plan_completion_rate": "pct",
    "plan_overdue": "int",
    # incidents
    "incidents": "int",
    "incidents_resolved": "int",
    "incident_median_hours_to_resolve": "num1",
    "open_incidents": "int",
}

# Where a fall is good news (card colours, goal attainment = target / actual). The SQL of
# marts.goals_attainment / marts.competitors_comparison lists this set plus the core KPI mart's lower-is-better
# metrics (left_members, churn_rate, median_first_response_minutes); a test checks.
BUSINESS_LOWER_IS_BETTER = {"campaign_cost_per_attendee", "complaints", "open_complaints",
                            "feedback_median_hours_to_resolve", "cac", "plan_overdue", "incidents", "open_incidents",
                            "incident_median_hours_to_resolve"}

SECTION_TITLES["zh"].update({
    "goals": "目标达成情况",
    "campaigns": "社群活动",
    "feedback": "用户反馈与投诉",
    "competitors": "竞品分析",
    "cost": "运营费用与效益",
    "plan": "运营计划进展",
    "incidents": "问题与技术支持",
})
SECTION_TITLES["en"].update({
    "goals": "Goal attainment",
    "campaigns": "Campaigns & events",
    "feedback": "Feedback & complaints",
    "competitors": "Competitor comparison",
    "cost": "Cost & ROI",
    "plan": "Plan progress",
    "incidents": "Problems & tech support",
})

METRIC_LABELS["zh"].update({
    "goals_set": "目标数",
    "goals_assessed": "可评估目标数",
    "goals_achieved": "已达成目标数",
    "goal_achievement_rate": "目标达成比例",
    "campaigns": "活动场次",
    "campaign_registrations": "活动报名人数",
    "campaign_attendees": "活动到场人数",
    "campaign_attendance_rate": "到场率",
    "campaign_cost": "活动费用",
    "campaign_cost_per_attendee": "人均到场成本",
    "campaign_lift": "活动效应（DAU 提升）",
    "campaigns_measured": "可计算效应的活动数",
    "feedback_received": "收到反馈",
    "complaints": "投诉数",
    "feedback_resolved": "已解决反馈",
    "feedback_resolution_rate": "反馈解决率",
    "feedback_median_hours_to_resolve": "解决时长中位数（小时）",
    "satisfaction": "满意度（1–5 分）",
    "satisfaction_ratings": "评分数",
    "nps": "NPS",
    "nps_responses": "NPS 评分数",
    "open_complaints": "未解决投诉",
    "competitors": "竞品数",
    "competitor_metrics_compared": "比较的指标数",
    "competitor_metrics_leading": "领先所有竞品的指标数",
    "cost": "运营费用",
    "cac": "获客成本（CAC）",
    "conversions": "转化次数",
    "converting_persons": "转化人数",
    "conversion_rate": "转化率",
    "revenue": "收入",
    "roi": "投入产出比（ROI）",
    "plan_items": "计划项",
    "plan_done": "已完成",
    "plan_cancelled": "已取消",
    "plan_blocked": "受阻",
    "plan_completion_rate": "计划完成率",
    "plan_overdue": "逾期项",
    "incidents": "新增问题",
    "incidents_resolved": "已解决问题",
    "incident_median_hours_to_resolve": "问题解决时长中位数（小时）",
    "open_incidents": "未解决问题",
})
METRIC_LABELS["en"].update({
    "goals_set": "Goals",
    "goals_assessed": "Goals assessed",
    "goals_achieved": "Goals achieved",
    "goal_achievement_rate": "Share of goals achieved",
    "campaigns": "Campaigns",
    "campaign_registrations": "Registrations",
    "campaign_attendees": "Attendees",
    "campaign_attendance_rate": "Attendance rate",
    "campaign_cost": "Campaign cost",
    "campaign_cost_per_attendee": "Cost per attendee",
    "campaign_lift": "Campaign lift (DAU)",
    "campaigns_measured": "Campaigns with a measurable lift",
    "feedback_received": "Feedback received",
    "complaints": "Complaints",
    "feedback_resolved": "Feedback resolved",
    "feedback_resolution_rate": "Resolution rate",
    "feedback_median_hours_to_resolve": "Median hours to resolve",
    "satisfaction": "Satisfaction (1–5)",
    "satisfaction_ratings": "Ratings",
    "nps": "NPS",
    "nps_responses": "NPS responses",
    "open_complaints": "Open complaints",
    "competitors": "Competitors",
    "competitor_metrics_compared": "Metrics compared",
    "competitor_metrics_leading": "Metrics where we lead all",
    "cost": "Cost",
    "cac": "CAC",
    "conversions": "Conversions",
    "converting_persons": "Converting persons",
    "conversion_rate": "Conversion rate",
    "revenue": "Revenue",
    "roi": "ROI",
    "plan_items": "Plan items",
    "plan_done": "Done",
    "plan_cancelled": "Cancelled",
    "plan_blocked": "Blocked",
    "plan_completion_rate": "Completion rate",
    "plan_overdue": "Overdue items",
    "incidents": "New incidents",
    "incidents_resolved": "Incidents resolved",
    "incident_median_hours_to_resolve": "Median hours to resolve an incident",
    "open_incidents": "Open incidents",
})

# Column headings of the business sections' tables (their own keys: not shared with COLUMN_LABELS).
BUSINESS_COLUMN_LABELS = {
    "zh": {
        "goal_metric": "目标指标", "target": "目标值", "actual": "实际值", "attainment": "达成率", "achieved": "是否达成",
        "previous_attainment": "上期达成率",
        "campaign": "活动", "campaign_type": "形式", "dates": "日期", "registrations": "报名", "attendees": "到场",
        "attendance_rate": "到场率", "cost_per_attendee": "人均成本", "dau_before": "活动前 7 天日均活跃",
        "dau_after": "活动后 7 天日均活跃", "lift": "活动效应", "new_members_before": "活动前 7 天新增",
        "new_members_during": "活动期间新增", "new_members_after": "活动后 7 天新增", "dau": "日均活跃",
        "kind_label": "类型", "received": "收到", "resolved": "已解决", "open": "未解决", "avg_rating": "平均评分",
        "category_label": "类别", "complaints": "投诉", "local_date": "日期", "status_label": "状态", "text": "内容",
        "rating": "评分（1–5）", "score": "推荐分（0–10）",
        "competitor_metric": "指标", "ours": "我们", "position": "对比",
        "amount": "金额", "share": "占比", "items": "条目数", "type_label": "转化类型", "conversions": "转化次数",
        "revenue": "收入",
        "item": "计划项", "owner_label": "负责人", "due": "截止日期", "overdue": "是否逾期", "note": "备注",
        "opened": "新增", "median_hours": "解决时长中位数（小时）", "title": "问题", "impact": "影响", "state": "期末状态",
        "hours_to_resolve": "解决时长（小时）", "resolution": "解决方式",
    },
    "en": {
        "goal_metric": "Goal metric", "target": "Target", "actual": "Actual", "attainment": "Attainment",
        "achieved": "Achieved", "previous_attainment": "Previous attainment",
        "campaign": "Campaign", "campaign_type": "Type", "dates": "Dates", "registrations": "Registrations",
        "attendees": "Attendees", "attendance_rate": "Attendance rate", "cost_per_attendee": "Cost per attendee",
        "dau_before": "Avg DAU 7 days before", "dau_after": "Avg DAU 7 days after", "lift": "Lift",
        "new_members_before": "New members 7 days before", "new_members_during": "New members during",
        "new_members_after": "New members 7 days after", "dau": "Average DAU",
        "kind_label": "Kind", "received": "Received", "resolved": "Resolved", "open": "Open",
        "avg_rating": "Avg. rating", "category_label": "Category", "complaints": "Complaints", "local_date": "Date",
        "status_label": "Status", "text": "Text", "rating": "Rating (1–5)", "score": "Score (0–10)",
        "competitor_metric": "Metric", "ours": "Us", "position": "Comparison",
        "amount": "Amount", "share": "Share", "items": "Items", "type_label": "Conversion type",
        "conversions": "Conversions", "revenue": "Revenue",
        "item": "Item", "owner_label": "Owner", "due": "Due", "overdue": "Overdue", "note": "Note",
        "opened": "Opened", "median_hours": "Median hours to resolve", "title": "Incident", "impact": "Impact",
        "state": "State at period end", "hours_to_resolve": "Hours to resolve", "resolution": "Resolution",
    },
}

TEXT["zh"].update({
    "biz_unknown": "未注明",
    "biz_list_sep": "、",
    "biz_not_built": "数据表 {table} 尚未生成，本节暂无数据。",
    "biz_no_period_rows": "{table} 中没有 {label} 的数据（该周期尚未计算），本节暂无数据。",
    "biz_status_open": "未解决",
    "biz_status_in_progress": "处理中",
    "biz_status_resolved": "已解决",
    "biz_status_closed": "已关闭",
    # goals
    "goals_missing": "未提供目标表（goals.csv），本节无法评估。",
    "goals_none_weekly": "本周（{label}）没有设定周目标。",
    "goals_none_monthly": "本月（{label}）没有设定月目标。",
    "goals_monthly_elsewhere": "{month} 设定了 {n} 项月度目标，在月报中评估。",
    "goals_lower_marker": "（越低越好）",
    "goals_no_actual": "无实际数据",
    "goals_achieved": "✓ 达成",
    "goals_not_achieved": "✗ 未达成",
    "goals_table": "本期目标：目标值、实际值与达成率",
    "goals_chart": "各目标达成率（虚线 = 100%）",
    "goals_n_summary": "本期共设定 {n} 项目标，其中 {assessed} 项可评估，达成 {achieved} 项（{rate}）。",
    "goals_n_best_worst": "达成率最高的是“{best}”（{best_rate}），最低的是“{worst}”（{worst_rate}）。",
    "goals_n_single": "“{metric}”的达成率为 {rate}。",
    "goals_n_no_actual": "{n} 项目标没有对应的实际数据，无法评估：{metrics}。",
    # campaigns
    "campaigns_missing": "未提供活动表（campaigns.csv），本节无法评估活动效果。",
    "campaigns_type_online": "线上",
    "campaigns_type_offline": "线下",
    "campaigns_table": "本期开始的活动",
    "campaigns_none": "本期没有开始的活动。",
    "campaigns_chart": "活动前后 7 天的日均活跃（DAU）",
    "campaigns_n_none": "本期（{label}）没有开始的活动。",
    "campaigns_n_summary": "本期开始 {n} 场活动，报名 {registrations} 人，到场 {attendees} 人（{change}），到场率 {rate}。",
    "campaigns_n_best": "活动效应最大的是“{name}”：结束后 7 天日均活跃 {after}，开始前 7 天为 {before}，变化 {lift}。",
    "campaigns_n_pending": "{n} 场活动暂无法计算活动效应（活动前后 7 天的数据尚不完整，或活动前日均活跃为 0）。",
    # feedback
    "feedback_missing": "未提供反馈表（feedback.csv），本节无法评估用户反馈与投诉。",
    "feedback_kind_complaint": "投诉",
    "feedback_kind_suggestion": "建议",
    "feedback_kind_bug": "缺陷",
    "feedback_kind_question": "咨询",
    "feedback_kind_praise": "表扬",
    "feedback_chart_weekly": "每日收到的反馈（按类型，本期与上期）",
    "feedback_chart_monthly": "每周收到的反馈（按类型，本期与上期，按周一日期）",
    "feedback_table_kind": "按类型的反馈（截至期末的处理情况）",
    "feedback_table_category": "反馈主题（按类别，最多的在前）",
    "feedback_table_open": "期末仍未解决的投诉（最早的在前）",
    "feedback_no_open": "期末没有未解决的投诉。",
    "feedback_table_verbatims": "用户原话摘录",
    "feedback_n_none": "本期（{label}）没有收到反馈。",
    "feedback_n_summary": "本期收到反馈 {n} 条（{change}），其中投诉 {complaints} 条；截至期末解决率 {rate}，解决时长中位数 {hours} 小时。",
    "feedback_n_sat_nps": "满意度（平均评分）为 {sat} 分（{ratings} 个评分），NPS 为 {nps}（{responses} 个 0–10 推荐分）。",
    "feedback_n_sat": "满意度（平均评分）为 {sat} 分（{ratings} 个评分）。",
    "feedback_n_nps": "NPS 为 {nps}（{responses} 个 0–10 推荐分）。",
    "feedback_n_theme_open": "反馈最多的主题是“{category}”（{n} 条）；期末仍有 {open} 条投诉未解决。",
    "feedback_n_theme_no_open": "反馈最多的主题是“{category}”（{n} 条）；期末没有未解决的投诉。",
    "feedback_n_open": "期末仍有 {open} 条投诉未解决。",
    "feedback_n_no_open": "期末没有未解决的投诉。",
    # competitors
    "competitors_missing": "未提供竞品数据表（competitors.csv），本节无法进行竞品对比。",
    "competitors_none_weekly": "本周（{label}）没有周度竞品数据。",
    "competitors_none_monthly": "本月（{label}）没有竞品数据。",
    "competitors_monthly_elsewhere": "{month} 的月度竞品数据在月报中对比。",
    "competitors_no_ours": "我们无对应数据",
    "competitors_behind": "落后于{names}",
    "competitors_lead_all": "不落后于任何竞品",
    "competitors_table": "我们与竞品的指标对比（{label}）",
    "competitors_chart": "竞品指标相对我们的比值（我们 = 100%，虚线）",
    "competitors_axis": "竞品 ÷ 我们",
    "competitors_n_summary": "本期与 {competitors} 家竞品比较了 {metrics} 项指标，我们在其中 {leading} 项上不落后于任何一家。",
    "competitors_n_gap": "差距最大的是“{metric}”：我们为 {ours}，{competitor}为 {theirs}。",
    "competitors_n_no_ours": "{n} 项指标我们没有对应数据，无法比较：{metrics}。",
    # cost & ROI
    "cost_missing": "未提供费用表（costs.csv）和转化表（conversions.csv），本节无法评估运营费用与效益。",
    "cost_costs_missing": "未提供费用表（costs.csv），无法计算获客成本与 ROI。",
    "cost_conversions_missing": "未提供转化表（conversions.csv），无法计算转化、收入与 ROI。",
    "cost_chart": "本期各类别费用",
    "cost_table_category": "按类别的费用",
    "cost_table_conversions": "按类型的转化与收入",
    "cost_n_cost": "本期运营费用 {cost}（{change}）；新增成员 {new} 人，获客成本（CAC）为 {cac}。",
    "cost_n_conversions": "{persons} 人完成 {n} 次转化，转化率（占本期活跃成员）{rate}，带来收入 {revenue}。",
    "cost_n_no_conversions": "本期没有转化记录。",
    "cost_n_roi": "投入产出比（ROI =（收入 − 费用）÷ 费用）为 {roi}。",
    "cost_n_roi_na": "本期没有费用，无法计算投入产出比（ROI）。",
    # plan
    "plan_missing": "未提供运营计划表（plan.csv），本节无法跟踪计划进展。",
    "plan_status_done": "已完成",
    "plan_status_in_progress": "进行中",
    "plan_status_not_started": "未开始",
    "plan_status_blocked": "受阻",
    "plan_status_cancelled": "已取消",
    "plan_none_weekly": "本周（{label}）没有周计划条目。",
    "plan_none_monthly": "本月（{label}）没有计划条目。",
    "plan_monthly_elsewhere": "{month} 的月度计划共 {n} 项，在月报中跟踪。",
    "plan_chart": "本期计划项（按状态）",
    "plan_table_overdue": "逾期项（截止日期已过且未完成、未取消）",
    "plan_no_overdue": "没有逾期项。",
    "plan_table_items": "本期全部计划项",
    "plan_n_summary": "本期计划 {n} 项，已完成 {done} 项，完成率 {rate}（完成率 = 已完成 ÷（全部 − 已取消），已取消的 {cancelled} 项不计入）。",
    "plan_n_overdue": "{n} 项已逾期：{items}。",
    "plan_n_no_overdue": "没有逾期项。",
    "plan_n_blocked": "{n} 项受阻：{items}。",
    # incidents
    "incidents_missing": "未提供问题记录表（incidents.csv），本节无法评估问题与技术支持情况。",
    "incidents_chart": "本期新增问题（按类别）",
    "incidents_table_category": "按类别的问题（本期新增，截至期末的处理情况）",
    "incidents_none_opened": "本期没有新增问题。",
    "incidents_table_list": "本期新增或期末仍未解决的问题",
    "incidents_n_none": "本期（{label}）没有新增问题。",
    "incidents_n_summary": "本期新增问题 {n} 个（{change}），截至期末已解决 {resolved} 个，解决时长中位数 {hours} 小时。",
    "incidents_n_top": "问题最多的类别是“{category}”（{n} 个）。",
    "incidents_n_open": "期末仍有 {n} 个问题未解决，包括：{titles}。",
    "incidents_n_no_open": "期末没有未解决的问题。",
})
TEXT["en"].update({
    "biz_unknown": "unspecified",
    "biz_list_sep": ", ",
    "biz_not_built": "The table {table} has not been built yet, so this section has no data.",
    "biz_no_period_rows": "{table} has no rows for {label} (the period has not been computed), so this section has no data.",
    "biz_status_open": "open",
    "biz_status_in_progress": "in progress",
    "biz_status_resolved": "resolved",
    "biz_status_closed": "closed",
    # goals
    "goals_missing": "No goals file (goals.csv) was provided, so goal attainment cannot be assessed.",
    "goals_none_weekly": "No weekly goals were set for {label}.",
    "goals_none_monthly": "No monthly goals were set for {label}.",
    "goals_monthly_elsewhere": "Monthly goals are set for {month} ({n}); they are assessed in the monthly report.",
    "goals_lower_marker": " (lower is better)",
    "goals_no_actual": "no actual figure",
    "goals_achieved": "✓ achieved",
    "goals_not_achieved": "✗ not achieved",
    "goals_table": "Goals of the period: target, actual and attainment",
    "goals_chart": "Attainment per goal (dashed line = 100%)",
    "goals_n_summary": "Goals set for this period: {n}; {assessed} could be assessed and {achieved} of them were achieved ({rate}).",
    "goals_n_best_worst": "The highest attainment was “{best}” ({best_rate}), the lowest “{worst}” ({worst_rate}).",
    "goals_n_single": "The attainment of “{metric}” was {rate}.",
    "goals_n_no_actual": "Goals without an actual figure, which cannot be assessed ({n}): {metrics}.",
    # campaigns
    "campaigns_missing": "No campaigns file (campaigns.csv) was provided, so campaigns cannot be assessed.",
    "campaigns_type_online": "online",
    "campaigns_type_offline": "offline",
    "campaigns_table": "Campaigns that started this period",
    "campaigns_none": "No campaign started this period.",
    "campaigns_chart": "Average DAU in the 7 days before and after each campaign",
    "campaigns_n_none": "No campaign started in {label}.",
    "campaigns_n_summary": "Campaigns started this period: {n}, with {registrations} registrations and {attendees} attendees ({change}), an attendance rate of {rate}.",
    "campaigns_n_best": "The largest lift followed “{name}”: average DAU was {after} in the 7 days after it against {before} in the 7 days before, a change of {lift}.",
    "campaigns_n_pending": "Campaigns whose lift cannot be computed yet ({n}): the 7 days before or after are not fully in the data, or DAU before was 0.",
    # feedback
    "feedback_missing": "No feedback file (feedback.csv) was provided, so feedback and complaints cannot be assessed.",
    "feedback_kind_complaint": "complaint",
    "feedback_kind_suggestion": "suggestion",
    "feedback_kind_bug": "bug",
    "feedback_kind_question": "question",
    "feedback_kind_praise": "praise",
    "feedback_chart_weekly": "Feedback received per day by kind (this and previous period)",
    "feedback_chart_monthly": "Feedback received per week by kind (this and previous period; weeks by their Monday)",
    "feedback_table_kind": "Feedback by kind (handling as of the period's end)",
    "feedback_table_category": "Feedback themes (by category, most frequent first)",
    "feedback_table_open": "Complaints still open at the period's end (oldest first)",
    "feedback_no_open": "No complaint was open at the period's end.",
    "feedback_table_verbatims": "Verbatims",
    "feedback_n_none": "No feedback was received in {label}.",
    "feedback_n_summary": "Feedback received: {n} ({change}), of which complaints: {complaints}; {rate} was resolved by the period's end, with a median of {hours} hours to resolve.",
    "feedback_n_sat_nps": "Satisfaction (mean rating) was {sat} from {ratings} ratings; NPS was {nps} from {responses} 0–10 scores.",
    "feedback_n_sat": "Satisfaction (mean rating) was {sat} from {ratings} ratings.",
    "feedback_n_nps": "NPS was {nps} from {responses} 0–10 scores.",
    "feedback_n_theme_open": "The most frequent theme was “{category}” ({n}); complaints still open at the period's end: {open}.",
    "feedback_n_theme_no_open": "The most frequent theme was “{category}” ({n}); no complaint was open at the period's end.",
    "feedback_n_open": "Complaints still open at the period's end: {open}.",
    "feedback_n_no_open": "No complaint was open at the period's end.",
    # competitors
    "competitors_missing": "No competitors file (competitors.csv) was provided, so no competitor comparison can be made.",
    "competitors_none_weekly": "No weekly competitor figures were provided for {label}.",
    "competitors_none_monthly": "No competitor figures were provided for {label}.",
    "competitors_monthly_elsewhere": "Monthly competitor figures for {month} are compared in the monthly report.",
    "competitors_no_ours": "no figure of ours",
    "competitors_behind": "behind {names}",
    "competitors_lead_all": "not behind any competitor",
    "competitors_table": "Our figures beside the competitors' ({label})",
    "competitors_chart": "Competitors' figures relative to ours (ours = 100%, dashed)",
    "competitors_axis": "competitor ÷ ours",
    "competitors_n_summary": "We compared {metrics} metric(s) with {competitors} competitor(s); on {leading} of them we are not behind any competitor.",
    "competitors_n_gap": "The widest gap is in “{metric}”: ours is {ours}, {competitor}'s is {theirs}.",
    "competitors_n_no_ours": "Metrics without a figure of ours, which cannot be compared ({n}): {metrics}.",
    # cost & ROI
    "cost_missing": "No costs file (costs.csv) and no conversions file (conversions.csv) were provided, so cost and ROI cannot be assessed.",
    "cost_costs_missing": "No costs file (costs.csv) was provided, so CAC and ROI cannot be computed.",
    "cost_conversions_missing": "No conversions file (conversions.csv) was provided, so conversions, revenue and ROI cannot be computed.",
    "cost_chart": "Spend by category this period",
    "cost_table_category": "Spend by category",
    "cost_table_conversions": "Conversions and revenue by type",
    "cost_n_cost": "Operating cost was {cost} ({change}); with {new} new members, the customer acquisition cost (CAC) was {cac}.",
    "cost_n_conversions": "{persons} person(s) converted {n} time(s): a conversion rate of {rate} of the period's active members, bringing {revenue} in revenue.",
    "cost_n_no_conversions": "No conversion was recorded this period.",
    "cost_n_roi": "ROI ((revenue − cost) ÷ cost) was {roi}.",
    "cost_n_roi_na": "There was no cost this period, so ROI cannot be computed.",
    # plan
    "plan_missing": "No plan file (plan.csv) was provided, so plan progress cannot be tracked.",
    "plan_status_done": "done",
    "plan_status_in_progress": "in progress",
    "plan_status_not_started": "not started",
    "plan_status_blocked": "blocked",
    "plan_status_cancelled": "cancelled",
    "plan_none_weekly": "There are no weekly plan items for {label}.",
    "plan_none_monthly": "There are no plan items for {label}.",
    "plan_monthly_elsewhere": "The monthly plan for {month} has {n} item(s); it is tracked in the monthly report.",
    "plan_chart": "Plan items of the period by status",
    "plan_table_overdue": "Overdue items (due date passed, neither done nor cancelled)",
    "plan_no_overdue": "No item is overdue.",
    "plan_table_items": "All plan items of the period",
    "plan_n_summary": "Plan items done: {done} of {n}, a completion rate of {rate} (done ÷ (all − cancelled); cancelled items, left out: {cancelled}).",
    "plan_n_overdue": "Overdue items ({n}): {items}.",
    "plan_n_no_overdue": "No item is overdue.",
    "plan_n_blocked": "Blocked items ({n}): {items}.",
    # incidents
    "incidents_missing": "No incidents file (incidents.csv) was provided, so problems and tech support cannot be assessed.",
    "incidents_chart": "New incidents this period by category",
    "incidents_table_category": "Incidents by category (opened this period, handling as of its end)",
    "incidents_none_opened": "No incident was opened this period.",
    "incidents_table_list": "Incidents opened this period or still open at its end",
    "incidents_n_none": "No incident was opened in {label}.",
    "incidents_n_summary": "Incidents opened: {n} ({change}); {resolved} of them were resolved by the period's end, with a median of {hours} hours to resolve.",
    "incidents_n_top": "The most frequent category was “{category}” ({n}).",
    "incidents_n_open": "Incidents still open at the period's end ({n}), including: {titles}.",
    "incidents_n_no_open": "No incident was open at the period's end.",
})

GLOSSARY["zh"] += [
    ("goal_attainment", "目标达成率", "实际值 ÷ 目标值；越低越好的指标（如首次回复时长、获客成本、未解决投诉）为 目标值 ÷ 实际值。达成率 ≥ 100% 即为达成。实际值取目标所在周期（同一周/月粒度）的周期指标；没有实际值的目标不参与评估。"),
    ("campaign_lift", "活动效应", "活动结束后 7 天的日均活跃 ÷ 活动开始前 7 天的日均活跃 − 1；两段数据都完整后才计算。活动归入其开始日所在的周期；到场率 = 到场人数 ÷ 报名人数；人均到场成本 = 活动费用 ÷ 到场人数；活动前后新增 = 开始前 7 天与结束后 7 天的新增成员。"),
    ("feedback_resolution_rate", "反馈解决率 / 解决时长", "本期收到的反馈中，截至期末已解决的比例；解决时长为这些反馈从收到到解决的小时数的中位数。"),
    ("satisfaction", "满意度", "本期反馈中 1–5 分评分的平均值。"),
    ("nps", "NPS（净推荐值）", "本期 0–10 推荐分中，9–10 分的比例 − 0–6 分的比例（以百分比显示，范围 −100% 至 +100%）。"),
    ("open_complaints", "未解决投诉", "期末之前收到、截至期末仍未解决的投诉数（不论在哪一期收到）。"),
    ("cac", "获客成本（CAC）", "本期运营费用 ÷ 本期新增成员数。"),
    ("conversion_rate", "转化率 / 收入", "本期有转化记录的不同人数 ÷ 本期活跃成员数；收入 = 本期转化金额之和。"),
    ("roi", "投入产出比（ROI）", "（收入 − 费用）÷ 费用。"),
    ("plan_completion_rate", "计划完成率 / 逾期", "本期计划中已完成项 ÷（全部项 − 已取消项）。逾期：截止日期早于周期结束（不晚于最后一天）且既未完成也未取消；状态以运营团队表格中的为准。"),
    ("incident_median_hours_to_resolve", "问题解决时长 / 未解决问题", "本期新增问题中截至期末已解决的，从发生到解决的小时数的中位数；未解决问题 = 期末之前发生、截至期末仍未解决的问题数。"),
    ("competitor_comparison", "竞品对比", "同一周期、同一指标下我们的数值与各竞品的数值；不落后 = 我们 ≥ 竞品（越低越好的指标为 ≤）。"),
]
GLOSSARY["en"] += [
    ("goal_attainment", "Goal attainment", "Actual ÷ target; target ÷ actual for lower-is-better metrics (first response time, CAC, open complaints, ...). A goal is achieved when attainment ≥ 100%. The actual is the period KPI of the goal's own period and grain; a goal without an actual is not assessed."),
    ("campaign_lift", "Campaign lift", "Mean DAU over the 7 days after a campaign ends ÷ mean DAU over the 7 days before it starts − 1, computed once both windows are in the data. A campaign belongs to the period it starts in; attendance rate = attendees ÷ registrations; cost per attendee = cost ÷ attendees; new members before / after = in the 7 days before the start / after the end."),
    ("feedback_resolution_rate", "Resolution rate / time to resolve", "Share of the feedback received in the period that was resolved by the period's end; time to resolve = median hours from received to resolved over those."),
    ("satisfaction", "Satisfaction", "Mean of the period's 1–5 ratings."),
    ("nps", "NPS (Net Promoter Score)", "Of the period's 0–10 scores: share scoring 9–10 − share scoring 0–6 (shown as a percentage, from −100% to +100%)."),
    ("open_complaints", "Open complaints", "Complaints received by the period's end and not resolved by then (whatever period they came in)."),
    ("cac", "CAC", "Operating cost of the period ÷ new members of the period."),
    ("conversion_rate", "Conversion rate / revenue", "Distinct persons with a conversion in the period ÷ active members of the period; revenue = sum of the period's conversion values."),
    ("roi", "ROI", "(Revenue − cost) ÷ cost."),
    ("plan_completion_rate", "Plan completion rate / overdue", "Done items of the period's plan ÷ (all items − cancelled items). Overdue: due before the period's end (on or before its last day) and neither done nor cancelled, as the team's file says."),
    ("incident_median_hours_to_resolve", "Time to resolve / open incidents", "Median hours from opening to resolution of the incidents opened in the period and resolved by its end; open incidents = opened by the period's end and not resolved by then."),
    ("competitor_comparison", "Competitor comparison", "Our figure beside each competitor's for the same period and metric; not behind = ours ≥ theirs (≤ for lower-is-better metrics)."),
]

# --- figures from aggregates (growth, activity) and accounts merged across platforms (overview)
# accounts merged: in every report (0 when nobody is merged); aggregates: only when a source has them
METRIC_KINDS.setdefault("accounts_merged", "int")
METRIC_KINDS.setdefault("merged_persons", "int")
for _metric, _kind in {
    "aggregate_new_members": "int", "aggregate_total_members": "int", "aggregate_messages": "int",
    "aggregate_avg_active_members": "num1",
}.items():
    BUSINESS_METRIC_KINDS.setdefault(_metric, _kind)

_add(METRIC_LABELS, {
    "zh": {"aggregate_new_members": "新增成员（平台汇总数据）", "aggregate_total_members": "成员总数（平台汇总数据）",
           "aggregate_messages": "消息数（平台汇总数据）", "aggregate_avg_active_members": "日均活跃成员（平台汇总数据）",
           "accounts_merged": "合并的账号数", "merged_persons": "拥有多个账号的人数"},
    "en": {"aggregate_new_members": "New members (from aggregates)",
           "aggregate_total_members": "Total members (from aggregates)",
           "aggregate_messages": "Messages (from aggregates)",
           "aggregate_avg_active_members": "Avg daily active members (from aggregates)",
           "accounts_merged": "Accounts merged", "merged_persons": "Persons with several accounts"},
})

_add(COLUMN_LABELS, {
    "zh": {"days": "有数据的天数", "new_groups": "新增群", "total_groups": "群总数", "previous_messages": "上期消息数",
           "avg_active_members": "日均活跃成员", "avg_active_groups": "日均活跃群", "basis": "合并依据",
           "accounts": "账号数", "accounts_merged": "被合并的账号", "sources": "来源数", "platform": "平台"},
    "en": {"days": "Days reported", "new_groups": "New groups", "total_groups": "Groups", "previous_messages":
           "Messages (previous)", "avg_active_members": "Active members / day", "avg_active_groups": "Active groups / day",
           "basis": "Merged by", "accounts": "Accounts", "accounts_merged": "Accounts merged away", "sources": "Sources",
           "platform": "Platform"},
})

_add(TEXT, {
    "zh": {
        "x_table_aggregate_growth": "来自平台汇总数据的增长（企业微信客户群统计）：平台只提供每日汇总数字、没有成员明细，"
                                    "因此单独列出，未计入上面的成员级指标；成员总数与群总数为本期最后一个有数据日的数值",
        "x_table_aggregate_activity": "来自平台汇总数据的活跃度（企业微信客户群统计）：平台只提供每日汇总数字、没有成员明细，"
                                      "因此单独列出，未计入上面的成员级指标；活跃成员与活跃群为有数据日的日均值",
        "x_table_identity": "跨平台合并的账号",
        "x_table_identity_n": "跨平台合并的账号：{accounts} 个账号属于 {persons} 个人，按人统计的指标因此比按账号少计 {merged} 个",
        "x_identity_none": "没有账号被合并：每个账号按一个人统计（可通过 identity_map 输入或共同的邮箱/手机号合并）。",
        "x_identity_total": "合计",
        "x_identity_identity_map": "身份映射表（identity_map）",
        "x_identity_email": "相同邮箱",
        "x_identity_phone": "相同手机号",
        "x_table_keywords_sampled": "成员发言热词（jieba 中文分词，已去除停用词、机器人和系统消息；本期 {total} 条发言中固定抽样 {n} 条统计）",
    },
    "en": {
        "x_table_aggregate_growth": "Growth from aggregates (WeCom customer-group statistics): the platform reports "
                                    "daily totals only, no member records, so these figures stand apart and are not "
                                    "in the member-level figures above; totals are as of the period's last reported day",
        "x_table_aggregate_activity": "Activity from aggregates (WeCom customer-group statistics): the platform reports "
                                      "daily totals only, no member records, so these figures stand apart and are not "
                                      "in the member-level figures above; active members and groups are daily means "
                                      "over the reported days",
        "x_table_identity": "Accounts merged across platforms",
        "x_table_identity_n": "Accounts merged across platforms: {accounts} accounts belong to {persons} persons, so "
                              "person counts are {merged} lower than account counts",
        "x_identity_none": "No accounts were merged: each account counts as one person (accounts are merged by the "
                           "identity_map input or a shared e-mail or phone).",
        "x_identity_total": "Total",
        "x_identity_identity_map": "identity map",
        "x_identity_email": "shared e-mail",
        "x_identity_phone": "shared phone",
        "x_table_keywords_sampled": "Top keywords in member messages (Chinese segmented with jieba; stop words, bots and system messages removed; counted on a fixed sample of {n} of the period's {total} messages)",
    },
})
