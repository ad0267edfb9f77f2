-- The strategies (staging.strategies) that had started by the given day, latest first.
select
    cast(date as date) as date,
    name,
    description
from staging.strategies
where cast(date as date) <= $last_day
order by cast(date as date) desc, name
