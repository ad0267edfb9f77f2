-- One row per (ISO weekday 1..7, local hour 0..23) with messages in the report period.
select
    weekday,
    hour,
    sum(messages) as messages
from marts.activity_heatmap_daily
where date >= $period_start and date < $period_end
group by weekday, hour
having sum(messages) > 0
order by messages desc, weekday, hour
