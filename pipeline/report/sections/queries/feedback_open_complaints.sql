-- Complaints received before the period's end and not resolved by it, oldest first (top $limit), and
-- how many there are in all.
select
    local_date,
    category,
    channel,
    status,
    text,
    count(*) over () as total
from marts.feedback_items
where kind = 'complaint'
    and local_date < $period_end
    and not (is_resolved and coalesce(resolved_date < $period_end, true))
order by received_at, feedback_id
limit $limit
