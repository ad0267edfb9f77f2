-- One row per source: its size over all history (marts.overview_sources) and its member
-- messages in the report period.
with

period_activity as (

    select source, sum(messages) as period_messages
    from marts.activity_by_source_daily
    where date >= $period_start and date < $period_end
    group by source

),

final as (

    select
        overview.source,
        overview.platform,
        overview.channels,
        overview.members,
        overview.current_members,
        overview.bots,
        overview.messages as messages_all,
        coalesce(period_activity.period_messages, 0) as period_messages,
        overview.first_date,
        overview.last_date
    from marts.overview_sources as overview
    left join period_activity using (source)

)

select * from final
order by source
