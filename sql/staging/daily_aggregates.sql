-- One row per (source, statistics day, granularity, owner, covered range) of platform-computed
-- aggregates (WeCom customer-group statistics), daily by local_date = the platform's statistics
-- day (WeCom days are China days, UTC+8). The same day seen in several exports is one row: the
-- latest loaded export wins. Platform figures, never mixed with member-level tables.
with

raw_rows as (

    select * from raw.daily_aggregates
    where stat_date >= $period_start and stat_date < $period_end

),

latest as (

    select * from raw_rows
    qualify row_number() over (
        partition by source, granularity, coalesce(owner, ''), stat_date, stat_end_date
        order by file_seq desc, location desc
    ) = 1

),

final as (

    select
        source,
        platform,
        stat_date as local_date,
        stat_end_date,
        date_diff('day', stat_date, coalesce(stat_end_date, stat_date)) + 1 as days_covered,
        granularity,
        owner,
        new_chat_cnt,
        chat_total,
        chat_has_msg,
        new_member_cnt,
        member_total,
        member_has_msg,
        msg_total,
        migrate_trainee_chat_cnt,
        file_id
    from latest

)

select * from final
