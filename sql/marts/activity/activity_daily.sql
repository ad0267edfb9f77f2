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

reactions as not materialized (

    select * from staging.reactions

),

membership_events as (

    select * from staging.membership_events

),

person_days as not materialized (

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

activity_spans as (

    -- after an active day a person counts in WAU for 7 days and in MAU for 30 (the day itself
    -- included), until their next active day starts a new span. One person's spans never
    -- overlap, so counting the spans that cover a day counts distinct persons, with no range join.
    select
        local_date as active_date,
        least(local_date + 7, coalesce(next_active_date, local_date + 7)) as wau_until,
        least(local_date + 30, coalesce(next_active_date, local_date + 30)) as mau_until
    from (
        select
            local_date,
            lead(local_date) over (partition by person_key order by local_date) as next_active_date
        from person_days
    )

),

span_edges as (

    select active_date as date, 1 as wau_change, 1 as mau_change from activity_spans
    union all
    select wau_until as date, -1 as wau_change, 0 as mau_change from activity_spans
    union all
    select mau_until as date, 0 as wau_change, -1 as mau_change from activity_spans

),

rolling_counts as (

    -- running totals of span starts and ends = persons covered, from each edge date on
    select
        date,
        sum(sum(wau_change)) over (order by date) as wau,
        sum(sum(mau_change)) over (order by date) as mau
    from span_edges
    group by date

),

day_facts as (

    select
        local_date as date,
        count(*) as dau,
        sum(messages) as messages,
        count(*) filter (where messages > 0) as posters
    from person_days
    group by local_date

),

rolling_activity as (

    select
        calendar.date,
        coalesce(day_facts.dau, 0) as dau,
        coalesce(rolling_counts.wau, 0) as wau,
        coalesce(rolling_counts.mau, 0) as mau,
        coalesce(day_facts.messages, 0) as messages,
        coalesce(day_facts.posters, 0) as posters
    from calendar
    -- the latest edge on or before the day holds the day's totals
    asof left join rolling_counts on calendar.date >= rolling_counts.date
    left join day_facts on day_facts.date = calendar.date

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
        cast(rolling_activity.wau as bigint) as wau,
        cast(rolling_activity.mau as bigint) as mau,
        cast(rolling_activity.messages as bigint) as messages,
        rolling_activity.posters,
        cast(coalesce(daily_reactions.reactions, 0) as bigint) as reactions,
        rolling_activity.dau / nullif(rolling_activity.mau, 0) as stickiness
    from rolling_activity
    left join daily_reactions on daily_reactions.date = rolling_activity.date

)

select * from final
