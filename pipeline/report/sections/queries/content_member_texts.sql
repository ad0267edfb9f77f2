-- How many member messages with text the period has (non-system, non-bot author and person).
with

persons as (

    select
        person_key,
        bool_or(is_bot) as is_bot
    from staging.members
    group by person_key

)

select count(*) as messages
from staging.messages as messages
left join persons on persons.person_key = messages.person_key
where messages.local_date >= $period_start
    and messages.local_date < $period_end
    and messages.kind <> 'system'
    and not messages.is_bot
    and not coalesce(persons.is_bot, false)
    and nullif(trim(messages.text), '') is not null
