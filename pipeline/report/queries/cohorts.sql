-- One row per (join week, weeks since joining) for the cohorts that joined in the weeks before
-- the report period's end, keeping only activity weeks W+k complete by then (and by the data).
select
    cohort_week,
    weeks_since,
    cohort_size,
    retained,
    retention_rate
from marts.growth_cohorts_weekly
where cohort_week >= $cohort_start
    and activity_week + 7 <= $period_end
    and is_complete
order by cohort_week, weeks_since
