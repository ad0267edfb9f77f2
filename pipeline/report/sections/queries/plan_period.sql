-- The plan items of one period of one grain (marts.plan_items), by status then due date.
select
    period,
    item,
    owner,
    due,
    status,
    note,
    is_done,
    is_cancelled,
    is_overdue
from marts.plan_items
where period_grain = $grain and period_start = $period_start
order by
    case status when 'done' then 1 when 'in_progress' then 2 when 'blocked' then 3 when 'not_started' then 4
        when 'cancelled' then 5 else 6 end,
    due nulls last,
    item
