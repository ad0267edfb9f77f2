-- The goals of one grain for a period and the previous one (marts.goals_attainment), by metric.
select
    period,
    period_start,
    metric,
    target,
    actual,
    lower_is_better,
    attainment,
    achieved
from marts.goals_attainment
where period_grain = $grain
    and period_start in ($period_start, $previous_start)
order by period_start, metric
