-- Persons and messages of the period's member messages (non-system, non-bot) whose lower-cased text
-- matches $pattern (one interest tag's keywords, built in Python: Chinese keywords as substrings,
-- Latin ones as whole words). The pattern is a bound constant, so DuckDB compiles it once.
with

persons as (

    select
        person_key,
        bool_or(is_bot) as is_bot
    from staging.members
    group by person_key

),

texts as (

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

)

select
    count(distinct person_key) as persons,
    count(distinct message_key) as messages
from texts
where regexp_matches(text, $pattern)
