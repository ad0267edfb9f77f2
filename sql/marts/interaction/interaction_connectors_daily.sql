-- One row per (local date, person_key, replied_to_person_key): replies that day (non-system, by a
-- non-bot person) to another non-bot person's message, the parent if any, else the thread root.
-- Kept per pair so any period can count distinct persons replied to ("top connectors").
with

members as (

    select * from staging.members

),

messages as not materialized (

    select * from staging.messages

),

persons as (

    -- identity-mapped persons: one bot account makes the whole person a bot
    select
        person_key,
        bool_or(is_bot) as is_bot
    from members
    group by person_key

),

replies as (

    select
        messages.local_date,
        messages.person_key,
        coalesce(messages.parent_key, messages.thread_key) as target_key
    from messages
    left join persons on persons.person_key = messages.person_key
    where messages.local_date >= $period_start
        and messages.local_date < $period_end
        and messages.kind <> 'system'
        and coalesce(messages.parent_key, messages.thread_key) is not null
        -- a thread root carrying its own key as thread_key replies to no one
        and coalesce(messages.parent_key, messages.thread_key) <> messages.message_key
        and not messages.is_bot
        and not coalesce(persons.is_bot, false)

),

short_window as (

    -- a daily or weekly run (up to two months): only the messages its replies answer are looked
    -- up, not the whole history (same result: they are joined to replies below). A longer range
    -- takes them all: the filter would keep nearly everything.
    select ($period_end - $period_start) <= 62 as yes

),

targets as (

    -- the message replied to may be of any date
    select
        messages.message_key,
        messages.person_key
    from messages
    left join persons on persons.person_key = messages.person_key
    where not messages.is_bot
        and not coalesce(persons.is_bot, false)
        and (not (select yes from short_window) or messages.message_key in (select target_key from replies))

),

final as (

    select
        replies.local_date as date,
        replies.person_key,
        targets.person_key as replied_to_person_key,
        count(*) as replies
    from replies
    inner join targets on targets.message_key = replies.target_key
    where targets.person_key <> replies.person_key
    group by replies.local_date, replies.person_key, targets.person_key

)

select * from final
