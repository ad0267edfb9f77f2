-- One row per source with platform-reported activity figures ("from aggregates": WeCom
-- customer-group statistics, marts.aggregate_activity_daily) on at least one day of the report
-- period: messages summed over the period's days (and the previous period's), active members and
-- active groups as daily means over the reported days (a member active on two days counts on
-- both: the platform reports no identities). Never mixed with the member-level figures.
with

days as (

    select * from marts.aggregate_activity_daily
    where date >= $previous_start and date < $period_end

),

final as (

    select
        source,
        any_value(platform) as platform,
        count(*) filter (where date >= $period_start) as days,
        sum(messages) filter (where date >= $period_start) as messages,
        sum(messages) filter (where date < $period_start) as previous_messages,
        avg(active_members) filter (where date >= $period_start) as avg_active_members,
        avg(active_members) filter (where date < $period_start) as previous_avg_active_members,
        avg(active_groups) filter (where date >= $period_start) as avg_active_groups,
        arg_max(total_members, date) filter (where date >= $period_start) as total_members
    from days
    group by source
    having count(*) filter (where date >= $period_start) > 0

)

select * from final
order by source
