-- One row per top-level message of the report period among the hottest (replies + reactions).
select
    local_date as sent_date,
    source,
    channel_name as channel,
    person_key,
    text_preview as text,
    replies,
    reactions,
    replies + reactions as score
from marts.interaction_threads
where local_date >= $period_start and local_date < $period_end
    and replies + reactions > 0
order by score desc, replies desc, sent_at, message_key
limit $limit
