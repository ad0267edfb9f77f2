-- One row per channel with member messages in the report period.
select
    source,
    channel_name as channel,
    sum(messages) as messages,
    sum(replies) as replies,
    sum(attachments) as attachments,
    sum(avg_text_length * messages) / nullif(sum(messages), 0) as avg_text_length
from marts.content_channel_daily
where date >= $period_start and date < $period_end
group by source, channel_id, channel_name
having sum(messages) > 0
order by messages desc, source, channel
