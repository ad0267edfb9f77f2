-- Top keywords of the period's member messages (non-system, non-bot): each text is segmented by the
-- Python UDF cr_segment (jieba for Chinese, word tokens for Latin script, stop words removed), then
-- DuckDB counts mentions (occurrences), messages and distinct persons per keyword. At most $sample
-- messages are segmented: a period with more takes a fixed sample (smallest hash(message_key) first,
-- the same messages on every rerun), because jieba segments ~0.5 MB of text per second in Python.
-- Not a query on its own: CTEs following `texts` (queries/member_texts.sql), joined to it by
-- _text.over_member_texts.
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
