-- One row per (join week, weeks since joining) for the cohorts that joined in the weeks up to
-- the report period's end, keeping only weeks W+k that were complete by then.
select
    cohort_week,
    weeks_since,
    cohort_size,
    retained,
    retention_rate
from marts.growth_cohorts_weekly
where cohort_week >= $cohort_start
    and cohort_week + 7 * (weeks_since + 1) <= $period_end
    and weeks_since <= 12
order by cohort_week, weeks_since
