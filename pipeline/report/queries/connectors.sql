-- One row per person among those who replied to the most distinct other persons in the report
-- period (distinct over the whole period: the mart keeps one row per day and pair).
select
    person_key,
    count(distinct replied_to_person_key) as persons_replied,
    sum(replies) as replies
from marts.interaction_connectors_daily
where date >= $period_start and date < $period_end
group by person_key
order by persons_replied desc, replies desc, person_key
limit $limit
