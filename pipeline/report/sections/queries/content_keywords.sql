-- Top keywords of the period's member messages (non-system, non-bot): each text is segmented by the
-- Python UDF cr_segment (jieba for Chinese, word tokens for Latin script, stop words removed), then
-- DuckDB counts mentions (occurrences), messages and distinct persons per keyword. At most $sample
-- messages are segmented: a period with more takes a fixed sample (smallest hash(message_key) first,
-- the same messages on every rerun), because jieba segments ~0.5 MB of text per second in Python.
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
        messages.text
    from staging.messages as messages
    left join persons on persons.person_key = messages.person_key
    where messages.local_date >= $period_start
        and messages.local_date < $period_end
        and messages.kind <> 'system'
        and not messages.is_bot
        and not coalesce(persons.is_bot, false)
        and nullif(trim(messages.text), '') is not null

),

sampled as (

    select * from texts
    order by hash(message_key), message_key
    limit $sample

),

tokens as (

    select
        message_key,
        person_key,
        unnest(cr_segment(text)) as keyword
    from sampled

)

select
    keyword,
    count(*) as mentions,
    count(distinct message_key) as messages,
    count(distinct person_key) as persons
from tokens
group by keyword
order by mentions desc, persons desc, keyword
limit $limit
