-- One row per person among those who replied to the most distinct other persons in the report
-- period. Distinct over the whole period, so it reads staging (a sum of daily distinct counts
-- would count a person replied to on two days twice).
with

replies as (

    select person_key, coalesce(parent_key, thread_key) as target_key
    from staging.messages
    where local_date >= $period_start and local_date < $period_end
        and kind <> 'system' and not is_bot and person_key is not null
        and coalesce(parent_key, thread_key) is not null

),

targets as (

    select message_key, person_key
    from staging.messages
    where kind <> 'system' and not is_bot

),

final as (

    select
        replies.person_key,
        count(distinct targets.person_key) as persons_replied
    from replies
    inner join targets on targets.message_key = replies.target_key
    where targets.person_key <> replies.person_key
    group by replies.person_key

)

select * from final
order by persons_replied desc, person_key
limit $limit
