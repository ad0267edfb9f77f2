-- One row per (period_start, metric): incident KPIs of the $grain period [period_start, period_end),
-- long form like marts.kpis_<grain>: incidents = opened in the period, incidents_resolved = of those,
-- resolved by the period's last day, incident_median_hours_to_resolve = median hours of those,
-- open_incidents = opened on or before the last day and not resolved by it. incidents_kpis_weekly.sql
-- and incidents_kpis_monthly.sql are the same file on purpose.
with

items as (

    select * from marts.incidents_items

),

bounds as (

    select
        cast($period_start as date) as first_day,
        cast($period_end as date) - 1 as last_day

),

as_of_end as (

    select
        items.*,
        items.is_resolved and coalesce(items.resolved_date <= bounds.last_day, true) as resolved_by_end,
        items.local_date between bounds.first_day and bounds.last_day as is_opened
    from items
    cross join bounds
    where items.local_date <= bounds.last_day

),

kpis as (

    select
        cast(count(*) filter (where is_opened) as double) as incidents,
        cast(count(*) filter (where is_opened and resolved_by_end) as double) as incidents_resolved,
        cast(median(hours_to_resolve) filter (where is_opened and resolved_by_end) as double)
            as incident_median_hours_to_resolve,
        cast(count(*) filter (where not resolved_by_end) as double) as open_incidents
    from as_of_end

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
