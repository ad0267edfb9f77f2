-- One row per person among the top contributors of the report period: messages + reactions from
-- intermediate.person_days (non-bot persons, non-system messages, known reactors only).
select
    person_key,
    sum(messages) as messages,
    sum(reactions) as reactions,
    sum(messages) + sum(reactions) as contributions
from intermediate.person_days
where local_date >= $period_start and local_date < $period_end
group by person_key
order by contributions desc, messages desc, person_key
limit $limit
