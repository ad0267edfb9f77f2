-- Feedback received in the period by kind: received, resolved by the period's end, still open, mean rating.
select
    kind,
    count(*) as received,
    count(*) filter (where is_resolved and coalesce(resolved_date < $period_end, true)) as resolved,
    count(*) filter (where not (is_resolved and coalesce(resolved_date < $period_end, true))) as open,
    avg(rating) as avg_rating
from marts.feedback_items
where local_date >= $period_start and local_date < $period_end
group by kind
order by received desc, kind
