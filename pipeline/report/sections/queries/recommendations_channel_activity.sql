-- Member messages per chat channel in the period and in the previous one (marts.content_channel_daily).
select
    source,
    channel_id,
    arg_max(channel_name, date) as channel,
    cast(coalesce(sum(messages) filter (where date >= $period_start), 0) as bigint) as messages,
    cast(coalesce(sum(messages) filter (where date < $period_start), 0) as bigint) as previous_messages
from marts.content_channel_daily
where date >= $previous_start and date < $period_end
group by source, channel_id
order by source, channel_id
