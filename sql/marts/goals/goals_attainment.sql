-- One row per goal (staging.goals, all periods, unpartitioned): its target, the actual = the metric's
-- value for the goal's period in the period KPI marts of its grain (marts.kpis_<grain> and the business
-- sections' <section>_kpis_<grain>; NULL when there is none), attainment = actual / target, or target /
-- actual for lower-is-better metrics (NULL when the ratio means nothing: a zero or negative
-- denominator, a negative numerator), and achieved = attainment >= 100 % (without a ratio: actual >=
-- target, or <= for lower-is-better). The lower-is-better list is pipeline.report.i18n's
-- BUSINESS_LOWER_IS_BETTER plus the core KPIs' left_members, churn_rate, median_first_response_minutes
-- (tests/test_sections_business.py keeps them equal).
with

goals as (

    select * from staging.goals

),

actuals as (

    -- every period KPI mart, both grains (competitors_comparison.sql reads the same list)
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

joined as (

    select
        goals.period,
        lower(trim(goals.period_grain)) as period_grain,
        cast(goals.period_start as date) as period_start,
        trim(goals.metric) as metric,
        cast(goals.target as double) as target,
        cast(actuals.value as double) as actual,
        lower_is_better.metric is not null as lower_is_better
    from goals
    left join actuals
        on actuals.grain = lower(trim(goals.period_grain))
        and actuals.period_start = cast(goals.period_start as date)
        and actuals.metric = trim(goals.metric)
    left join lower_is_better on lower_is_better.metric = trim(goals.metric)

),

ratios as (

    select
        *,
        case
            when lower_is_better and actual > 0 and target >= 0 then target / actual
            when not lower_is_better and target > 0 and actual >= 0 then actual / target
        end as attainment
    from joined

),

final as (

    select
        period,
        period_grain,
        period_start,
        metric,
        target,
        actual,
        lower_is_better,
        attainment,
        case
            when actual is null or target is null then null
            when attainment is not null then attainment >= 1
            when lower_is_better then actual <= target
            else actual >= target
        end as achieved
    from ratios

)

select * from final
