-- The campaigns that start in the period (marts.campaigns_summary), in start order.
select *
from marts.campaigns_summary
where start_date >= $period_start and start_date < $period_end
order by start_date, campaign_id
