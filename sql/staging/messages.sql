-- One row per message (message_key = <source>:<message id>) with its local date in the
-- window. The same message seen in several exports is one row: the latest version wins
-- (an edited version over an unedited one, then the later-loaded export).
with

winners as (

    -- the winning version of each message, picked on the ordering columns only: a window
    -- sort over whole rows (text included) spills to disk at millions of messages.
    -- Order: edited_at desc nulls last, then file_seq desc, then location desc (nulls last).
    select arg_max(rowid, (edited_at is not null, coalesce(edited_at, '-infinity'::timestamptz),
                           file_seq, location is not null, coalesce(location, ''))) as winner
    from raw.messages
    where local_date >= $period_start and local_date < $period_end
    group by source, message_id

),

latest as (

    select * from raw.messages
    where local_date >= $period_start and local_date < $period_end
        and rowid in (select winner from winners)

),

members as (

    select member_key, person_key, is_bot from staging.members

),

final as (

    select
        latest.source || ':' || latest.message_id as message_key,
        latest.source,
        latest.platform,
        latest.channel_id,
        latest.channel_name,
        latest.source || ':' || latest.author_id as author_key,
        coalesce(members.person_key, latest.source || ':' || latest.author_id) as person_key,
        coalesce(members.is_bot, latest.author_is_bot, false) as is_bot,
        latest.sent_at,
        latest.local_date,
        latest.kind,
        latest.system_event,
        latest.source || ':' || latest.parent_id as parent_key,
        latest.source || ':' || coalesce(latest.thread_id, latest.parent_id) as thread_key,
        latest.text,
        coalesce(length(latest.text), 0) as text_length,
        -- something besides white space of any kind (trim() leaves tabs, line breaks and
        -- zero-width spaces): no-break and ideographic spaces (\p{Z}), BOMs are no text either
        coalesce(regexp_matches(latest.text, '[^\s\p{Z}\x{200B}\x{FEFF}]'), false) as has_text,
        coalesce(latest.is_edited, false) as is_edited,
        coalesce(latest.has_attachment, false) as has_attachment,
        latest.file_id
    from latest
    left join members on members.member_key = latest.source || ':' || latest.author_id

)

select * from final
