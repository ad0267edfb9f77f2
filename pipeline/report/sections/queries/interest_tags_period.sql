-- A period's interest tags from marts.interest_tags_daily. One row per tag_key of the mart rows in
-- [$period_start, $period_end): persons = distinct persons with a message carrying the tag, messages
-- = those messages. tag_key NULL: persons = with a message carrying any tag, messages = all member
-- messages, tagged_messages = those carrying any tag. other_dictionary_rows counts rows matched with
-- another dictionary than $dictionary (the mart is then not used: see _text.period_tag_counts).
select
    tag_key,
    count(distinct person_key) filter (where tagged_messages > 0) as persons,
    sum(messages) as messages,
    sum(tagged_messages) as tagged_messages,
    count(*) filter (where dictionary <> $dictionary) as other_dictionary_rows
from marts.interest_tags_daily
where date >= $period_start
    and date < $period_end
group by tag_key
