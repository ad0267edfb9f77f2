-- Incidents opened in the period by category: opened, resolved by the period's end, median hours to resolve.
select
    category,
    count(*) as opened,
    count(*) filter (where is_resolved and coalesce(resolved_date < $period_end, true)) as resolved,
    median(hours_to_resolve) filter (where is_resolved and coalesce(resolved_date < $period_end, true))
        as median_hours
from marts.incidents_items
where local_date >= $period_start and local_date < $period_end
group by category
order by opened desc, category nulls last
