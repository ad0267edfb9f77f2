-- The member segments of a period and of the previous one, as stored in marts.activity_segments_<grain>.
select
    period_start,
    segment,
    segment_order,
    period_days,
    persons,
    members,
    share
from query_table('marts.activity_segments_' || $grain)
where period_start in ($period_start, $previous_start)
order by period_start, segment_order
