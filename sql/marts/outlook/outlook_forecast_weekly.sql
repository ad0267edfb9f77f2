-- One row per ($grain period, key metric): a forecast of the metric for the NEXT period by a linear
-- trend fitted by least squares to its values in the last 8 periods of the same grain (this one
-- included) from marts.kpis_<grain>, x = periods relative to this one (0 = this period, -1 the one
-- before, ...), so forecast = intercept + slope * 1. Periods without members (before the community
-- had any) and NULL values are left out; fewer than 3 values -> forecast NULL. Counts are floored at
-- 0 and rates clamped to [0, 1]. outlook_forecast_weekly.sql and _monthly.sql are the same file.
with

kpis as (

    select * from query_table('marts.kpis_' || $grain)

),

forecast_metrics as (

    select * from (
        values
            (1, 'new_members', false),
            (2, 'total_members', false),
            (3, 'active_members', false),
            (4, 'avg_dau', false),
            (5, 'messages', false),
            (6, 'response_rate', true),
            (7, 'median_first_response_minutes', false)
    ) as m (metric_order, metric, is_rate)

),

bounds as (

    select
        cast($period_start as date) as period_start,
        case
            when $grain = 'weekly' then cast($period_start as date) - 7 * 7
            else cast(cast($period_start as date) - interval 7 month as date)
        end as window_start

),

member_periods as (

    -- periods in which the community had members at all
    select period_start
    from kpis
    where metric = 'total_members' and value > 0

),

points as (

    select
        kpis.metric,
        kpis.period_start,
        kpis.value,
        case
            when $grain = 'weekly' then cast((kpis.period_start - bounds.period_start) / 7 as integer)
            else cast(date_diff('month', bounds.period_start, kpis.period_start) as integer)
        end as x
    from kpis
    cross join bounds
    inner join member_periods on member_periods.period_start = kpis.period_start
    where kpis.period_start between bounds.window_start and bounds.period_start
        and kpis.value is not null
        and not isnan(kpis.value)

),

fits as (

    select
        metric,
        count(*) as points,
        min(period_start) as first_period,
        regr_slope(value, x order by x) as slope,
        regr_intercept(value, x order by x) as intercept,
        any_value(value) filter (where x = 0) as current_value
    from points
    group by metric

),

final as (

    select
        cast($period_start as date) as period_start,
        cast($period_end as date) as period_end,
        cast($grain as varchar) as grain,
        cast($period_key as varchar) as period_key,
        forecast_metrics.metric,
        forecast_metrics.metric_order,
        'linear_least_squares' as method,
        8 as window_periods,
        coalesce(fits.points, 0) as points,
        fits.first_period,
        fits.current_value,
        -- a fit needs 3 values (regr_* of fewer is NULL or NaN)
        case when fits.points >= 3 then fits.slope end as slope,
        case when fits.points >= 3 then fits.intercept end as intercept,
        case
            when coalesce(fits.points, 0) < 3 then null
            when forecast_metrics.is_rate then least(1.0, greatest(0.0, fits.intercept + fits.slope))
            else greatest(0.0, fits.intercept + fits.slope)
        end as forecast
    from forecast_metrics
    left join fits on fits.metric = forecast_metrics.metric

)

select * from final
