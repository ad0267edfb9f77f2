-- One row per (period_start, metric): campaign KPIs of the $grain period [period_start, period_end)
-- for the campaigns that START in it (a campaign belongs to one period only), long form like
-- marts.kpis_<grain>: campaigns, registrations, attendees, attendance rate (pooled: attendees /
-- registrations over campaigns with both), cost, cost per attendee (pooled), campaign_lift = mean of
-- the lifts that can be measured (marts.campaigns_summary), campaigns_measured = how many.
-- campaigns_kpis_weekly.sql and campaigns_kpis_monthly.sql are the same file on purpose.
with

campaigns as (

    select * from marts.campaigns_summary
    where start_date >= $period_start and start_date < $period_end

),

kpis as (

    select
        cast(count(*) as double) as campaigns,
        cast(coalesce(sum(registrations), 0) as double) as campaign_registrations,
        cast(coalesce(sum(attendees), 0) as double) as campaign_attendees,
        cast(
            sum(attendees) filter (where registrations is not null)
            / nullif(sum(registrations) filter (where attendees is not null), 0) as double
        ) as campaign_attendance_rate,
        cast(coalesce(sum(cost order by cost), 0) as double) as campaign_cost,
        cast(
            sum(cost order by cost) filter (where attendees is not null)
            / nullif(sum(attendees) filter (where cost is not null), 0) as double
        ) as campaign_cost_per_attendee,
        cast(avg(lift order by lift) as double) as campaign_lift,
        cast(count(lift) as double) as campaigns_measured
    from campaigns

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
