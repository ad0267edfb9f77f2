-- The period's member messages: non-system, neither the message nor its person a bot, with text.
-- Grain: one row per message. The one definition the text analytics share: _text.over_member_texts
-- puts it first as CTE `texts` of the message count, the keyword query and the interest-tag counts.
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
    messages.text,
    messages.rowid as message_row       -- fetch a sample's text without reading the others'
from staging.messages as messages
left join persons on persons.person_key = messages.person_key
where messages.local_date >= $period_start
    and messages.local_date < $period_end
    and messages.kind <> 'system'
    and not messages.is_bot
    and not coalesce(persons.is_bot, false)
    and messages.has_text
