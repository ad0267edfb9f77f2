-- The forecasts made in a period and in the previous one, as stored in marts.outlook_forecast_<grain>.
select
    period_start,
    metric,
    metric_order,
    method,
    window_periods,
    points,
    first_period,
    current_value,
    slope,
    intercept,
    forecast
from query_table('marts.outlook_forecast_' || $grain)
where period_start in ($period_start, $previous_start)
order by period_start, metric_order
