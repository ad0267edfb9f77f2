-- One row per local date (the same dates as activity_daily: first to last date with any staged
-- data, within the window). new / left members = members whose join / leave date is d (spec §4
-- join and leave rules, see person_lifecycle); net_growth = new - left; total_members = members
-- joined on or before d and not left on or before d.
with

messages as (

    select * from staging.messages

),

reactions as (

    select * from staging.reactions

),

membership_events as (

    select * from staging.membership_events

),

lifecycle as (

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

member_counts as (

    select
        calendar.date,
        count(*) filter (where lifecycle.join_date = calendar.date) as new_members,
        count(*) filter (where lifecycle.leave_date = calendar.date) as left_members,
        count(*) filter (
            where lifecycle.join_date <= calendar.date
                and (lifecycle.leave_date is null or lifecycle.leave_date > calendar.date)
        ) as total_members
    from calendar
    left join lifecycle
        on lifecycle.join_date <= calendar.date
        or lifecycle.leave_date = calendar.date
    group by calendar.date

),

final as (

    select
        date,
        new_members,
        left_members,
        new_members - left_members as net_growth,
        total_members
    from member_counts

)

select * from final
