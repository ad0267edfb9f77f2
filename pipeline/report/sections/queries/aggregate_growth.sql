-- One row per source with platform-reported growth figures ("from aggregates": WeCom customer-group
-- statistics, marts.aggregate_growth_daily) on at least one day of the report period: new members
-- summed over the period's days (and over the previous period's), member and group totals as of
-- the last reported day of the period. Never mixed with the member-level figures.
with

days as (

    select * from marts.aggregate_growth_daily
    where date >= $previous_start and date < $period_end

),

final as (

    select
        source,
        any_value(platform) as platform,
        count(*) filter (where date >= $period_start) as days,
        sum(new_members) filter (where date >= $period_start) as new_members,
        sum(new_members) filter (where date < $period_start) as previous_new_members,
        arg_max(total_members, date) filter (where date >= $period_start) as total_members,
        sum(new_groups) filter (where date >= $period_start) as new_groups,
        arg_max(total_groups, date) filter (where date >= $period_start) as total_groups,
        max(date) filter (where date >= $period_start) as last_date
    from days
    group by source
    having count(*) filter (where date >= $period_start) > 0

)

select * from final
order by source
