-- One row per day of the previous and the report period: member movements for the chart.
select
    date,
    new_members,
    left_members,
    total_members
from marts.growth_daily
where date >= $chart_start and date < $period_end
order by date
