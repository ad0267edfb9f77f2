-- Spend in the period by cost category (marts.cost_daily), largest first.
select
    category,
    sum(amount) as amount,
    sum(items) as items
from marts.cost_daily
where date >= $period_start and date < $period_end
group by category
order by amount desc, category nulls last
