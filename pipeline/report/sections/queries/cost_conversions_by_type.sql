-- Conversions and revenue in the period by conversion type (marts.conversions_daily), largest revenue first.
select
    type,
    sum(conversions) as conversions,
    sum(revenue) as revenue
from marts.conversions_daily
where date >= $period_start and date < $period_end
group by type
order by revenue desc, conversions desc, type nulls last
