-- The period's member messages (non-system, non-bot, with text), their text lower-cased: what the
-- interest tags are matched against. Grain: one row per message. _text.tag_counts wraps this
-- query and matches every text once against each tag's pattern (bound constants $tag_<i>).
with

persons as (

    select
        person_key,
        bool_or(is_bot) as is_bot
    from staging.members
    group by person_key

)

select
    messages.message_key,
    messages.person_key,
    lower(messages.text) as text
from staging.messages as messages
left join persons on persons.person_key = messages.person_key
where messages.local_date >= $period_start
    and messages.local_date < $period_end
    and messages.kind <> 'system'
    and not messages.is_bot
    and not coalesce(persons.is_bot, false)
    and nullif(trim(messages.text), '') is not null
