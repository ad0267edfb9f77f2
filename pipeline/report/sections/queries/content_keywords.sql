-- Top keywords of the period's member messages (non-system, non-bot): each text is segmented by the
-- Python UDF cr_segment (jieba for Chinese, word tokens for Latin script, stop words removed), then
-- DuckDB counts mentions (occurrences), messages and distinct persons per keyword. At most $sample
-- messages are segmented: a period with more takes a fixed sample (smallest hash(message_key) first,
-- the same messages on every rerun), because the segmenter is called from Python for each text;
-- a text that several sampled messages share is segmented once.
-- Not a query on its own: CTEs following `texts` (queries/member_texts.sql), joined to it by
-- _text.over_member_texts.
-- The sample is chosen on the keys alone; only its texts are then read (reading every text of a
-- month to sort them by key was most of this query's time).
sampled_rows as (

    select message_row from texts
    order by hash(message_key), message_key
    limit $sample

),

sampled as (

    select
        messages.message_key,
        messages.person_key,
        messages.text
    from staging.messages as messages
    where messages.rowid in (select message_row from sampled_rows)

),

-- Each distinct text is segmented once, for all the messages that carry it (chat repeats itself:
-- "谢谢", "+1", bot and template lines; the same words come out of the same text every time).
segmented as (

    select
        cr_segment(text) as keywords,
        list({'message_key': message_key, 'person_key': person_key}) as messages
    from sampled
    group by text

),

sampled_messages as (

    select
        unnest(messages) as message,
        keywords
    from segmented

),

tokens as (

    select
        message.message_key,
        message.person_key,
        unnest(keywords) as keyword
    from sampled_messages

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
