-- One row per (competitor figure) of staging.competitors (all periods, unpartitioned): the
-- competitor's value beside ours = the metric's value for the same period in the period KPI marts of
-- its grain (as goals_attainment.sql reads them; NULL when we have none), and whether we lead that
-- competitor on it (ours >= theirs, or <= for lower-is-better metrics).
with

competitors as (

    select * from staging.competitors

),

actuals as (

    -- every period KPI mart, both grains (goals_attainment.sql reads the same list)
    select grain, period_start, metric, value from marts.kpis_weekly
    union all select grain, period_start, metric, value from marts.kpis_monthly
    union all select grain, period_start, metric, value from marts.campaigns_kpis_weekly
    union all select grain, period_start, metric, value from marts.campaigns_kpis_monthly
    union all select grain, period_start, metric, value from marts.feedback_kpis_weekly
    union all select grain, period_start, metric, value from marts.feedback_kpis_monthly
    union all select grain, period_start, metric, value from marts.cost_kpis_weekly
    union all select grain, period_start, metric, value from marts.cost_kpis_monthly
    union all select grain, period_start, metric, value from marts.plan_kpis_weekly
    union all select grain, period_start, metric, value from marts.plan_kpis_monthly
    union all select grain, period_start, metric, value from marts.incidents_kpis_weekly
    union all select grain, period_start, metric, value from marts.incidents_kpis_monthly

),

lower_is_better as (

    select unnest([
        'left_members', 'churn_rate', 'median_first_response_minutes',
        'campaign_cost_per_attendee', 'complaints', 'open_complaints', 'feedback_median_hours_to_resolve',
        'cac', 'plan_overdue', 'incidents', 'open_incidents', 'incident_median_hours_to_resolve'
    ]) as metric

),

final as (

    select
        competitors.period,
        lower(trim(competitors.period_grain)) as period_grain,
        cast(competitors.period_start as date) as period_start,
        trim(competitors.metric) as metric,
        trim(competitors.competitor) as competitor,
        cast(competitors.value as double) as competitor_value,
        cast(actuals.value as double) as our_value,
        lower_is_better.metric is not null as lower_is_better,
        case
            when actuals.value is null or competitors.value is null then null
            when lower_is_better.metric is not null then actuals.value <= competitors.value
            else actuals.value >= competitors.value
        end as we_lead
    from competitors
    left join actuals
        on actuals.grain = lower(trim(competitors.period_grain))
        and actuals.period_start = cast(competitors.period_start as date)
        and actuals.metric = trim(competitors.metric)
    left join lower_is_better on lower_is_better.metric = trim(competitors.metric)

)

select * from final
