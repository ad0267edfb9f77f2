-- One row per (local date, source) for the dates of activity_daily and every source with staged
-- data (zeros included). A contribution belongs to the source it was made on, so a person active
-- on two sources counts in both (sum of dau over sources >= activity_daily.dau). Same rules as
-- activity_daily: non-bot persons, non-system messages, reactions by non-bot or unknown reactors.
with

members as (

    select * from staging.members

),

messages as not materialized (

    select * from staging.messages

),

reactions as not materialized (

    select * from staging.reactions

),

membership_events as not materialized (

    select * from staging.membership_events

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

sources as (

    select source from messages
    union
    select source from reactions
    union
    select source from membership_events

),

user_messages as (

    select
        messages.local_date as date,
        messages.source,
        messages.person_key
    from messages
    left join persons on persons.person_key = messages.person_key
    where messages.local_date >= $period_start
        and messages.local_date < $period_end
        and messages.kind <> 'system'
        and not messages.is_bot
        and not coalesce(persons.is_bot, false)

),

counted_reactions as (

    select
        reactions.local_date as date,
        reactions.source,
        reactions.person_key,
        reactions.reaction_count
    from reactions
    left join persons on persons.person_key = reactions.person_key
    where reactions.local_date >= $period_start
        and reactions.local_date < $period_end
        -- unknown reactors (person_key NULL) add to totals; bots never do
        and (reactions.person_key is null or not (reactions.is_bot or coalesce(persons.is_bot, false)))

),

active_persons as (

    select date, source, person_key from user_messages
    union
    select date, source, person_key from counted_reactions
    where person_key is not null

),

daily_dau as (

    select
        date,
        source,
        count(*) as dau
    from active_persons
    group by date, source

),

daily_messages as (

    select
        date,
        source,
        count(*) as messages,
        count(distinct person_key) as posters
    from user_messages
    group by date, source

),

daily_reactions as (

    select
        date,
        source,
        sum(reaction_count) as reactions
    from counted_reactions
    group by date, source

),

final as (

    select
        calendar.date,
        sources.source,
        coalesce(daily_dau.dau, 0) as dau,
        coalesce(daily_messages.messages, 0) as messages,
        coalesce(daily_messages.posters, 0) as posters,
        cast(coalesce(daily_reactions.reactions, 0) as bigint) as reactions
    from calendar
    cross join sources
    left join daily_dau
        on daily_dau.date = calendar.date and daily_dau.source = sources.source
    left join daily_messages
        on daily_messages.date = calendar.date and daily_messages.source = sources.source
    left join daily_reactions
        on daily_reactions.date = calendar.date and daily_reactions.source = sources.source

)

select * from final
