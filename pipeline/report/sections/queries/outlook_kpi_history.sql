-- Values of some KPIs of marts.kpis_<grain> for the periods starting in [$first_start, $period_start].
select
    period_start,
    metric,
    value
from query_table('marts.kpis_' || $grain)
where period_start >= $first_start
    and period_start <= $period_start
    and list_contains($metrics, metric)
order by period_start, metric
