-- One row per (period_start, metric): plan KPIs of the $grain period, long form like
-- marts.kpis_<grain>, over the plan items of that period (period_grain = $grain, same period_start):
-- plan_items, plan_done, plan_cancelled, plan_blocked, plan_completion_rate = done / (items -
-- cancelled), plan_overdue (marts.plan_items). plan_kpis_weekly.sql and plan_kpis_monthly.sql are
-- the same file on purpose.
with

items as (

    select * from marts.plan_items
    where period_grain = $grain and period_start = $period_start

),

kpis as (

    select
        cast(count(*) as double) as plan_items,
        cast(count(*) filter (where is_done) as double) as plan_done,
        cast(count(*) filter (where is_cancelled) as double) as plan_cancelled,
        cast(count(*) filter (where status = 'blocked') as double) as plan_blocked,
        cast(count(*) filter (where is_done) / nullif(count(*) filter (where not is_cancelled), 0) as double)
            as plan_completion_rate,
        cast(count(*) filter (where is_overdue) as double) as plan_overdue
    from items

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
