-- One row per local date of activity_daily: the four key metrics a strategy is judged by (spec §4
-- strategy effect): dau and messages (activity_daily), new_members (growth_daily), and the response
-- rate of that day's top-level messages (interaction_threads: responded / top-level, NULL on a day
-- without top-level messages). The report compares 14 days before a strategy's date with 14 after.
with

activity as (

    select * from marts.activity_daily
    where date >= $period_start and date < $period_end

),

growth as (

    select * from marts.growth_daily
    where date >= $period_start and date < $period_end

),

threads as (

    select * from marts.interaction_threads
    where local_date >= $period_start and local_date < $period_end

),

daily_responses as (

    select
        local_date as date,
        count(*) as top_level_messages,
        count(*) filter (where responded) as responded_messages
    from threads
    group by local_date

),

final as (

    select
        activity.date,
        activity.dau,
        activity.messages,
        coalesce(growth.new_members, 0) as new_members,
        coalesce(daily_responses.top_level_messages, 0) as top_level_messages,
        coalesce(daily_responses.responded_messages, 0) as responded_messages,
        cast(daily_responses.responded_messages / nullif(daily_responses.top_level_messages, 0) as double)
            as response_rate
    from activity
    left join growth on growth.date = activity.date
    left join daily_responses on daily_responses.date = activity.date

)

select * from final
