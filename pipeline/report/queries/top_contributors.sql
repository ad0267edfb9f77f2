-- One row per person among the top contributors of the report period: non-system messages
-- and reactions by non-bot persons (reactions by unknown reactors make no one a contributor).
with

message_counts as (

    select person_key, count(*) as messages
    from staging.messages
    where local_date >= $period_start and local_date < $period_end
        and kind <> 'system' and not is_bot and person_key is not null
    group by person_key

),

reaction_counts as (

    select person_key, sum(reaction_count) as reactions
    from staging.reactions
    where local_date >= $period_start and local_date < $period_end
        and not coalesce(is_bot, false) and person_key is not null
    group by person_key

),

final as (

    select
        person_key,
        coalesce(message_counts.messages, 0) as messages,
        coalesce(reaction_counts.reactions, 0) as reactions,
        coalesce(message_counts.messages, 0) + coalesce(reaction_counts.reactions, 0) as contributions
    from message_counts
    full outer join reaction_counts using (person_key)

)

select * from final
order by contributions desc, messages desc, person_key
limit $limit
