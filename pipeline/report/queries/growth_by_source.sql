-- One row per source with members joining or leaving it in the report period.
select
    source,
    sum(new_members) as new_members,
    sum(left_members) as left_members,
    sum(new_members) - sum(left_members) as net_growth
from marts.growth_by_source_daily
where date >= $period_start and date < $period_end
group by source
having sum(new_members) <> 0 or sum(left_members) <> 0
order by new_members desc, source
