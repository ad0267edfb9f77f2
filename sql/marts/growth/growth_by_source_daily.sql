-- One row per (local date, source) for the dates of growth_daily and every source with staged
-- data (zeros included). A person belongs to one source: that of the account with the earliest
-- join (person_lifecycle.source), so sums over sources equal growth_daily.
with

messages as not materialized (

    select * from staging.messages

),

reactions as not materialized (

    select * from staging.reactions

),

membership_events as not materialized (

    select * from staging.membership_events

),

lifecycle as not materialized (

    select * from intermediate.person_lifecycle

),

data_dates as (

    select
        min(local_date) as first_date,
        max(local_date) as last_date
    from (
        select local_date from messages
        union all
        select local_date from reactions
        union all
        select local_date from membership_events
    )

),

calendar as (

    select cast(days.day as date) as date
    from data_dates,
        generate_series(
            greatest(data_dates.first_date, $period_start),
            least(data_dates.last_date, $period_end - 1),
            interval 1 day
        ) as days (day)
    -- greatest/least skip NULLs: without this guard an empty warehouse would get a full window
    where data_dates.first_date is not null

),

sources as (

    select source from messages
    union
    select source from reactions
    union
    select source from membership_events
    union
    select source from lifecycle

),

member_counts as (

    select
        calendar.date,
        sources.source,
        count(lifecycle.person_key) filter (where lifecycle.join_date = calendar.date) as new_members,
        count(lifecycle.person_key) filter (where lifecycle.leave_date = calendar.date) as left_members,
        count(lifecycle.person_key) filter (
            where lifecycle.join_date <= calendar.date
                and (lifecycle.leave_date is null or lifecycle.leave_date > calendar.date)
        ) as total_members
    from calendar
    cross join sources
    left join lifecycle
        on lifecycle.source = sources.source
        and (lifecycle.join_date <= calendar.date or lifecycle.leave_date = calendar.date)
    group by calendar.date, sources.source

),

final as (

    select
        date,
        source,
        new_members,
        left_members,
        new_members - left_members as net_growth,
        total_members
    from member_counts

)

select * from final
