-- The team's goals (staging.goals) for one period of the report's grain.
select
    metric,
    target
from staging.goals
where lower(cast(period_grain as varchar)) = $grain
    and cast(period_start as date) = $period_start
