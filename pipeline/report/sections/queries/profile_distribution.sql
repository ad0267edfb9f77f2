-- Profile distributions of a period and of the previous one, as stored in
-- marts.profile_distribution_<grain>; known values first by members, unknown (NULL) last.
select
    period_start,
    dimension,
    value,
    members,
    active_members,
    share
from query_table('marts.profile_distribution_' || $grain)
where period_start in ($period_start, $previous_start)
order by period_start, dimension, value is null, members desc, value
