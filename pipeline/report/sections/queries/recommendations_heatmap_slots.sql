-- Messages per (weekday, hour) slot of the period (marts.activity_heatmap_daily), busiest first.
select
    weekday,
    hour,
    sum(messages) as messages
from marts.activity_heatmap_daily
where date >= $period_start and date < $period_end
group by weekday, hour
having sum(messages) > 0
order by messages desc, weekday, hour
