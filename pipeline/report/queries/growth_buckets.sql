-- One row per day ($bucket = 'day') or per week clipped to the period ($bucket = 'week'):
-- new / left / net summed, total members on the bucket's last day.
select
    cast(date_trunc($bucket, date) as date) as bucket_start,
    sum(new_members) as new_members,
    sum(left_members) as left_members,
    sum(net_growth) as net_growth,
    arg_max(total_members, date) as total_members
from marts.growth_daily
where date >= $period_start and date < $period_end
group by 1
order by 1
