-- One row per (period, metric) for the report period and the previous one, as stored in
-- marts.kpis_weekly / marts.kpis_monthly (the grain picks the table; values are never recomputed).
select
    period_start,
    metric,
    value
from query_table('marts.kpis_' || $grain)
where period_start in ($period_start, $previous_start)
order by period_start, metric
