-- Incidents opened in the period or still open at its end (top $limit, oldest first), with their state
-- as of the period's end.
with

as_of_end as (

    select
        *,
        is_resolved and coalesce(resolved_date < $period_end, true) as resolved_by_end
    from marts.incidents_items
    where local_date < $period_end

)

select
    local_date,
    category,
    title,
    impact,
    resolved_by_end,
    case when resolved_by_end then hours_to_resolve end as hours_to_resolve,
    case when resolved_by_end then resolution end as resolution
from as_of_end
where local_date >= $period_start or not resolved_by_end
order by opened_at, title
limit $limit
