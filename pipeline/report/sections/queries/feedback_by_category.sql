-- Feedback received in the period by category (theme), most frequent first (top $limit).
select
    category,
    count(*) as received,
    count(*) filter (where kind = 'complaint') as complaints,
    count(*) filter (where is_resolved and coalesce(resolved_date < $period_end, true)) as resolved,
    avg(rating) as avg_rating
from marts.feedback_items
where local_date >= $period_start and local_date < $period_end
group by category
order by received desc, category nulls last
limit $limit
