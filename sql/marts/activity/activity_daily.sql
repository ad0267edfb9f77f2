-- One row per local date, from the first to the last date with any staged data (messages,
-- reactions, membership events; all sources), within the window. DAU/WAU/MAU = distinct persons
-- active on d / on [d-6, d] / on [d-29, d] (reads person_days 29 days back); messages and posters
-- = non-system messages by non-bot persons and their distinct authors; reactions = sum of
-- reaction counts by non-bot or unknown reactors dated d; stickiness = dau / mau (NULL if mau = 0).
with

members as (

    select * from staging.members

),

messages as (

    select * from staging.messages

),

reactions as (

    select * from staging.reactions

),

membership_events as (

    select * from staging.membership_events

),

person_days as (

    select * from intermediate.person_days
    where local_date >= $period_start - 29 and local_date < $period_end

),

persons as (

    -- identity-mapped persons: one bot account makes the whole person a bot
    select
        person_key,
        bool_or(is_bot) as is_bot
    from members
    group by person_key

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

rolling_activity as (

    select
        calendar.date,
        count(distinct person_days.person_key) filter (where person_days.local_date = calendar.date) as dau,
        count(distinct person_days.person_key) filter (where person_days.local_date > calendar.date - 7) as wau,
        count(distinct person_days.person_key) as mau,
        coalesce(sum(person_days.messages) filter (where person_days.local_date = calendar.date), 0) as messages,
        count(distinct person_days.person_key) filter (
            where person_days.local_date = calendar.date and person_days.messages > 0
        ) as posters
    from calendar
    left join person_days
        on person_days.local_date between calendar.date - 29 and calendar.date
    group by calendar.date

),

daily_reactions as (

    select
        reactions.local_date as date,
        sum(reactions.reaction_count) as reactions
    from reactions
    left join persons on persons.person_key = reactions.person_key
    where reactions.local_date >= $period_start
        and reactions.local_date < $period_end
        -- unknown reactors (person_key NULL) add to totals; bots never do
        and (reactions.person_key is null or not (reactions.is_bot or coalesce(persons.is_bot, false)))
    group by reactions.local_date

),

final as (

    select
        rolling_activity.date,
        rolling_activity.dau,
        rolling_activity.wau,
        rolling_activity.mau,
        cast(rolling_activity.messages as bigint) as messages,
        rolling_activity.posters,
        cast(coalesce(daily_reactions.reactions, 0) as bigint) as reactions,
        rolling_activity.dau / nullif(rolling_activity.mau, 0) as stickiness
    from rolling_activity
    left join daily_reactions on daily_reactions.date = rolling_activity.date

)

select * from final
