-- Incidents (staging.incidents) opened by the end of the period and not resolved by then: status not
-- resolved / closed, or resolved only after the period.
select count(*) as open_incidents
from staging.incidents
where local_date < $period_end
    and (
        coalesce(lower(cast(status as varchar)), 'open') not in ('resolved', 'closed')
        or cast(timezone($timezone, resolved_at) as date) >= $period_end
    )
