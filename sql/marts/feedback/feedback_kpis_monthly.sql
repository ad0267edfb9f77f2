-- One row per (period_start, metric): feedback KPIs of the $grain period [period_start, period_end),
-- long form like marts.kpis_<grain>, over the items RECEIVED in the period: feedback_received,
-- complaints, feedback_resolved = resolved by the period's last day (a resolved item without a
-- resolved_at counts), feedback_resolution_rate = resolved / received, the median hours to resolve of
-- those resolved, satisfaction = mean rating (1-5) and its count, nps = (promoters - detractors) /
-- 0-10 scores (a fraction) and its count; open_complaints = complaints received on or before the
-- period's last day and not resolved by it. feedback_kpis_weekly.sql and feedback_kpis_monthly.sql
-- are the same file on purpose.
with

items as (

    select * from marts.feedback_items

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
        items.local_date between bounds.first_day and bounds.last_day as is_received
    from items
    cross join bounds
    where items.local_date <= bounds.last_day

),

received as (

    select
        count(*) as feedback_received,
        count(*) filter (where kind = 'complaint') as complaints,
        count(*) filter (where resolved_by_end) as feedback_resolved,
        median(hours_to_resolve) filter (where resolved_by_end) as median_hours,
        avg(rating) filter (where rating between 1 and 5) as satisfaction,
        count(rating) filter (where rating between 1 and 5) as ratings,
        count(*) filter (where nps_group is not null) as nps_responses,
        count(*) filter (where nps_group = 'promoter') as promoters,
        count(*) filter (where nps_group = 'detractor') as detractors
    from as_of_end
    where is_received

),

open_items as (

    select count(*) filter (where kind = 'complaint' and not resolved_by_end) as open_complaints
    from as_of_end

),

kpis as (

    select
        cast(received.feedback_received as double) as feedback_received,
        cast(received.complaints as double) as complaints,
        cast(received.feedback_resolved as double) as feedback_resolved,
        cast(received.feedback_resolved / nullif(received.feedback_received, 0) as double)
            as feedback_resolution_rate,
        cast(received.median_hours as double) as feedback_median_hours_to_resolve,
        cast(received.satisfaction as double) as satisfaction,
        cast(received.ratings as double) as satisfaction_ratings,
        cast((received.promoters - received.detractors) / nullif(received.nps_responses, 0) as double) as nps,
        cast(received.nps_responses as double) as nps_responses,
        cast(open_items.open_complaints as double) as open_complaints
    from received
    cross join open_items

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
