-- One row per (date, source) with the activity figures a platform reports itself ("from
-- aggregates": WeCom customer-group statistics), NOT derived from member-level records and never
-- added to activity_daily: messages, members who sent one, groups with one. Single-day figures
-- only; per source and day the by-day series is used when present, else the sum over owners.
with

daily as (

    select * from staging.daily_aggregates
    where local_date >= $period_start and local_date < $period_end
        and days_covered = 1

),

chosen as (

    select * from daily
    qualify granularity = case
        when bool_or(granularity = 'by_day') over (partition by source, local_date) then 'by_day'
        else 'by_owner' end

),

final as (

    select
        local_date as date,
        source,
        any_value(platform) as platform,
        any_value(granularity) as basis,                 -- by_day | by_owner
        count(*) as owner_rows,
        sum(msg_total) as messages,
        sum(member_has_msg) as active_members,          -- as reported: summed over owners
        sum(member_total) as total_members,
        sum(chat_has_msg) as active_groups,
        sum(chat_total) as total_groups,
        sum(member_has_msg) / nullif(sum(member_total), 0) as active_member_share
    from chosen
    group by local_date, source

)

select * from final
