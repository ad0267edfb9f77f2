-- One row per (period_start, metric): the period KPIs of spec §4 for the $grain period
-- [period_start, period_end) (period_end exclusive), long form; value is a double, NULL when a
-- rate's denominator is 0. kpis_weekly.sql and kpis_monthly.sql are the same file on purpose: the
-- runner needs one file per table and the period comes from the bound parameters (a test keeps
-- the two identical). Reads person_days from 29 days / one period before the period (MAU, churn)
-- to 6 days after it (activation within days 0-6 of joining).
with

members as (

    select * from staging.members

),

messages as (

    select * from staging.messages
    where local_date >= $period_start and local_date < $period_end

),

reactions as (

    select * from staging.reactions
    where local_date >= $period_start and local_date < $period_end

),

person_days as (

    select * from intermediate.person_days
    where local_date >= least($period_start - cast($period_end - $period_start as integer), $period_start - 29)
        and local_date < $period_end + 6

),

lifecycle as not materialized (

    select * from intermediate.person_lifecycle

),

threads as (

    select * from marts.interaction_threads
    where local_date >= $period_start and local_date < $period_end

),

persons as (

    -- identity-mapped persons: one bot account makes the whole person a bot
    select
        person_key,
        bool_or(is_bot) as is_bot
    from members
    group by person_key

),

bounds as (

    select
        cast($period_start as date) as first_day,
        cast($period_end as date) - 1 as last_day,
        -- churn compares with the previous period of the same length (n days before the start)
        cast($period_start as date) - cast($period_end - $period_start as integer) as previous_start

),

period_days as (

    select cast(days.day as date) as date
    from bounds,
        generate_series(bounds.first_day, bounds.last_day, interval 1 day) as days (day)

),

activity_spans as (

    -- after an active day a person counts in WAU for 7 days and in MAU for 30 (the day itself
    -- included), until their next active day starts a new span. One person's spans never
    -- overlap, so counting the spans that cover a day counts distinct persons (as activity_daily).
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

daily_active as (

    select
        local_date as date,
        count(*) as dau
    from person_days
    group by local_date

),

daily_activity as (

    -- every day of the period, days without any contribution included (DAU = 0)
    select
        period_days.date,
        coalesce(daily_active.dau, 0) as dau,
        coalesce(rolling_counts.wau, 0) as wau,
        coalesce(rolling_counts.mau, 0) as mau
    from period_days
    -- the latest edge on or before the day holds the day's totals
    asof left join rolling_counts on period_days.date >= rolling_counts.date
    left join daily_active on daily_active.date = period_days.date

),

day_figures as (

    select
        avg(daily_activity.dau) as avg_dau,
        -- avg skips the NULLs of days with MAU = 0, which the spec leaves out; a sum of doubles
        -- depends on the order the threads deliver them: ordered, a rerun gives the same last bit
        avg(daily_activity.dau / nullif(daily_activity.mau, 0) order by daily_activity.date) as stickiness,
        any_value(daily_activity.wau) filter (where daily_activity.date = bounds.last_day) as wau,
        any_value(daily_activity.mau) filter (where daily_activity.date = bounds.last_day) as mau
    from daily_activity
    cross join bounds

),

period_persons as (

    select distinct person_days.person_key
    from person_days
    cross join bounds
    where person_days.local_date between bounds.first_day and bounds.last_day

),

previous_persons as (

    select distinct person_days.person_key
    from person_days
    cross join bounds
    where person_days.local_date >= bounds.previous_start
        and person_days.local_date < bounds.first_day

),

churn as (

    select
        count(*) as previously_active_members,
        count(*) filter (where period_persons.person_key is null) as churned_members
    from previous_persons
    left join period_persons on period_persons.person_key = previous_persons.person_key

),

period_activity as (

    select
        count(distinct person_days.person_key) as active_members,
        coalesce(sum(person_days.messages), 0) as messages,
        count(distinct person_days.person_key) filter (where person_days.messages > 0) as posters
    from person_days
    cross join bounds
    where person_days.local_date between bounds.first_day and bounds.last_day

),

reaction_totals as (

    select coalesce(sum(reactions.reaction_count), 0) as reactions
    from reactions
    left join persons on persons.person_key = reactions.person_key
    -- unknown reactors (person_key NULL) add to totals; bots never do
    where reactions.person_key is null or not (reactions.is_bot or coalesce(persons.is_bot, false))

),

message_mix as (

    select
        count(*) filter (where messages.kind = 'message' and messages.parent_key is null) as top_level_messages,
        count(*) filter (where not (messages.kind = 'message' and messages.parent_key is null)) as replies
    from messages
    left join persons on persons.person_key = messages.person_key
    where messages.kind <> 'system'
        and not messages.is_bot
        and not coalesce(persons.is_bot, false)

),

growth as (

    select
        count(*) filter (where lifecycle.join_date between bounds.first_day and bounds.last_day) as new_members,
        count(*) filter (where lifecycle.leave_date between bounds.first_day and bounds.last_day) as left_members,
        count(*) filter (
            where lifecycle.join_date <= bounds.last_day
                and (lifecycle.leave_date is null or lifecycle.leave_date > bounds.last_day)
        ) as total_members
    from lifecycle
    cross join bounds

),

new_member_activation as (

    select
        lifecycle.person_key,
        count(person_days.person_key) > 0 as is_activated
    from lifecycle
    cross join bounds
    left join person_days
        on person_days.person_key = lifecycle.person_key
        -- days 0-6 counted from the join date, the join date included
        and person_days.local_date between lifecycle.join_date and lifecycle.join_date + 6
    where lifecycle.join_date between bounds.first_day and bounds.last_day
    group by lifecycle.person_key

),

activation as (

    select
        count(*) as activation_cohort,
        count(*) filter (where is_activated) as activated_members
    from new_member_activation

),

responses as (

    select
        count(*) as threads,
        count(*) filter (where responded) as responded_threads,
        median(first_response_minutes) filter (where responded) as median_first_response_minutes
    from threads

),

kpis as (

    select
        cast(growth.new_members as double) as new_members,
        cast(growth.left_members as double) as left_members,
        cast(growth.new_members - growth.left_members as double) as net_growth,
        cast(growth.total_members as double) as total_members,
        cast(period_activity.messages as double) as messages,
        cast(reaction_totals.reactions as double) as reactions,
        cast(message_mix.top_level_messages as double) as top_level_messages,
        cast(message_mix.replies as double) as replies,
        cast(day_figures.wau as double) as wau,
        cast(day_figures.mau as double) as mau,
        cast(day_figures.avg_dau as double) as avg_dau,
        cast(day_figures.stickiness as double) as stickiness,
        cast(period_activity.active_members as double) as active_members,
        cast(period_activity.posters as double) as posters,
        cast(reaction_totals.reactions / nullif(period_activity.messages, 0) as double) as reactions_per_message,
        cast(period_activity.messages / nullif(period_activity.active_members, 0) as double)
            as messages_per_active_member,
        cast(message_mix.replies / nullif(message_mix.top_level_messages, 0) as double)
            as replies_per_top_level_message,
        cast(activation.activated_members as double) as activated_members,
        cast(activation.activated_members / nullif(activation.activation_cohort, 0) as double)
            as activation_rate_7d,
        cast(churn.previously_active_members as double) as previously_active_members,
        cast(churn.churned_members as double) as churned_members,
        cast(churn.churned_members / nullif(churn.previously_active_members, 0) as double) as churn_rate,
        cast(responses.responded_threads as double) as responded_messages,
        cast(responses.responded_threads / nullif(responses.threads, 0) as double) as response_rate,
        cast(responses.median_first_response_minutes as double) as median_first_response_minutes
    from growth
    cross join period_activity
    cross join reaction_totals
    cross join message_mix
    cross join day_figures
    cross join activation
    cross join churn
    cross join responses

),

final as (

    select
        cast($period_start as date) as period_start,
        cast($period_end as date) as period_end,
        cast($grain as varchar) as grain,
        cast($period_key as varchar) as period_key,
        metric,
        value
    from kpis
    unpivot include nulls (value for metric in (columns(*)))

)

select * from final
