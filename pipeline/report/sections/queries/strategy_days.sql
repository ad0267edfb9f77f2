-- Daily key metrics of marts.strategy_metrics_daily between two dates (inclusive).
select
    date,
    dau,
    messages,
    new_members,
    response_rate
from marts.strategy_metrics_daily
where date >= $first_day and date <= $last_day
order by date
