-- One row per (local date, source, channel_id) with user-generated content: non-system messages
-- by non-bot persons. messages = top_level_messages + replies (top-level: kind 'message' and no
-- parent); posters is a distinct count (not additive over days); text_chars lets a period
-- recompute avg_text_length as sum(text_chars) / sum(messages).
with

members as (

    select * from staging.members

),

messages as (

    select * from staging.messages
    where local_date >= $period_start and local_date < $period_end

),

persons as (

    -- identity-mapped persons: one bot account makes the whole person a bot
    select
        person_key,
        bool_or(is_bot) as is_bot
    from members
    group by person_key

),

user_messages as (

    select
        messages.*,
        messages.kind = 'message' and messages.parent_key is null as is_top_level
    from messages
    left join persons on persons.person_key = messages.person_key
    where messages.kind <> 'system'
        and not messages.is_bot
        and not coalesce(persons.is_bot, false)

),

final as (

    select
        local_date as date,
        source,
        channel_id,
        -- a renamed channel keeps its id: show the name it had last that day
        arg_max(channel_name, sent_at) as channel_name,
        count(*) as messages,
        count(*) filter (where is_top_level) as top_level_messages,
        count(*) filter (where not is_top_level) as replies,
        count(distinct person_key) as posters,
        count(*) filter (where has_attachment) as attachments,
        cast(sum(text_length) as bigint) as text_chars,
        avg(text_length) as avg_text_length
    from user_messages
    group by local_date, source, channel_id

)

select * from final
