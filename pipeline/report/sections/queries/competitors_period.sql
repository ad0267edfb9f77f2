-- Competitors' figures beside ours for a period and the previous one (marts.competitors_comparison).
select
    period,
    period_start,
    metric,
    competitor,
    competitor_value,
    our_value,
    lower_is_better,
    we_lead
from marts.competitors_comparison
where period_grain = $grain
    and period_start in ($period_start, $previous_start)
order by period_start, metric, competitor
