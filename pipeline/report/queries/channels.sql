-- One row per channel with member messages in the report period.
select
    source,
    arg_max(channel_name, date) as channel,
    sum(messages) as messages,
    sum(replies) as replies,
    sum(attachments) as attachments,
    sum(text_chars) / nullif(sum(messages), 0) as avg_text_length
from marts.content_channel_daily
where date >= $period_start and date < $period_end
group by source, channel_id
having sum(messages) > 0
order by messages desc, source, channel
