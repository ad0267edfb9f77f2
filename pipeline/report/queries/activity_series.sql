-- One row per day of the previous and the report period: DAU / WAU / MAU for the chart.
select
    date,
    dau,
    wau,
    mau
from marts.activity_daily
where date >= $chart_start and date < $period_end
order by date
