-- One row per top-level message (kind 'message', no parent) by a non-bot person, dated by its local
-- date. replies = non-system messages by non-bot persons whose parent or thread is it; reactions =
-- reaction counts on it by non-bot or unknown reactors (both as staged when built); responded = a
-- reply from a different non-bot person within 7 days (168 h) of sent_at, and
-- first_response_minutes = time to the first such reply. A reply dated more than a day before
-- the message (a clock that disagrees) is not counted.
with

members as (

    select * from staging.members

),

messages as not materialized (

    -- all dates: replies and reactions arrive after the message they answer
    select * from staging.messages

),

reactions as (

    select * from staging.reactions

),

persons as (

    -- identity-mapped persons: one bot account makes the whole person a bot
    select
        person_key,
        bool_or(is_bot) as is_bot
    from members
    group by person_key

),

user_messages as not materialized (

    -- read twice (top-level messages, replies): materialized, it was a copy of every message

    select messages.*
    from messages
    left join persons on persons.person_key = messages.person_key
    where messages.kind <> 'system'
        and not messages.is_bot
        and not coalesce(persons.is_bot, false)

),

top_level as (

    select * from user_messages
    where kind = 'message'
        and parent_key is null
        and local_date >= $period_start
        and local_date < $period_end

),

reply_links as (

    -- a reply answers its parent and its thread root: one link each, one when both are the same.
    -- `union all` with that condition, not `union`: deduplicating ~9M links of a year took 9 of
    -- this model's 14 s. A reply counts when it is dated at most a day before the message it
    -- answers (thread_replies; a day's margin for clocks that disagree, e.g. the members' phones
    -- of a WeChat export), so none dated before the window's first day - 1 can count: a daily run
    -- reads the replies of its last days, not those of the whole history (the 8 days a daily run
    -- rewrites, on the year: 1.8-2.0 -> 0.7-0.8 s). No filter on the window's keys besides: the
    -- join below does it, and an `in (...)` behind an `or` (for short windows only) cost a scan
    -- of every candidate (the 8 days: 0.47-0.76 -> 0.36-0.60 s; the year's window the same;
    -- same rows)
    select
        parent_key as target_key,
        message_key,
        person_key,
        sent_at,
        local_date
    from user_messages
    where parent_key is not null
        and local_date >= $period_start - 1
    union all
    select
        thread_key as target_key,
        message_key,
        person_key,
        sent_at,
        local_date
    from user_messages
    where thread_key is not null
        and local_date >= $period_start - 1
        and thread_key is distinct from parent_key

),

thread_replies as (

    select
        top_level.message_key,
        -- each reply links to a message once (reply_links; message_key is unique: staging's GX suite)
        count(*) as replies,
        min(reply_links.sent_at) filter (
            where reply_links.person_key <> top_level.person_key
                and reply_links.sent_at >= top_level.sent_at
                -- 7 days as hours: exact whatever the session time zone's DST rules
                and reply_links.sent_at <= top_level.sent_at + interval 168 hours
        ) as first_response_at
    from top_level
    inner join reply_links
        on reply_links.target_key = top_level.message_key
        -- a thread root can carry its own key as thread_key (Slack): it is not its own reply
        and reply_links.message_key <> top_level.message_key
        and reply_links.local_date >= top_level.local_date - 1
    group by top_level.message_key

),

message_reactions as (

    select
        reactions.message_key,
        sum(reactions.reaction_count) as reactions
    from reactions
    left join persons on persons.person_key = reactions.person_key
    -- unknown reactors (person_key NULL) add to totals; bots never do. A reaction is never dated
    -- before its message (staging.reactions): none before the window can be on one of its messages
    where (reactions.person_key is null or not (reactions.is_bot or coalesce(persons.is_bot, false)))
        and reactions.local_date >= $period_start
    group by reactions.message_key

),

final as (

    select
        top_level.message_key,
        top_level.source,
        top_level.channel_id,
        top_level.channel_name,
        top_level.person_key,
        top_level.sent_at,
        top_level.local_date,
        coalesce(thread_replies.replies, 0) as replies,
        cast(coalesce(message_reactions.reactions, 0) as bigint) as reactions,
        thread_replies.first_response_at is not null as responded,
        (epoch(thread_replies.first_response_at) - epoch(top_level.sent_at)) / 60.0 as first_response_minutes,
        left(top_level.text, 120) as text_preview
    from top_level
    left join thread_replies on thread_replies.message_key = top_level.message_key
    left join message_reactions on message_reactions.message_key = top_level.message_key

)

select * from final
