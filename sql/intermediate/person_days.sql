-- One row per (person_key, local_date) on which the person contributed (spec §4): non-system
-- messages by a non-bot person, and reactions by a known non-bot reactor dated by the reaction's
-- own local date (staging falls back to the message's). A person is a bot if any of their
-- accounts is; unknown reactors make no one active. first_source = source of the day's earliest
-- contribution.
with

members as (

    select * from staging.members

),

messages as not materialized (

    select * from staging.messages
    where local_date >= $period_start and local_date < $period_end

),

reactions as (

    select * from staging.reactions
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

message_contributions as (

    select
        messages.person_key,
        messages.local_date,
        messages.source,
        messages.sent_at as contributed_at,
        1 as messages,
        0 as reactions
    from messages
    left join persons on persons.person_key = messages.person_key
    where messages.kind <> 'system'
        and not messages.is_bot
        and not coalesce(persons.is_bot, false)

),

reaction_contributions as (

    select
        reactions.person_key,
        reactions.local_date,
        reactions.source,
        -- a reaction without a time of its own happened (for ordering) when its message was sent
        coalesce(reactions.reacted_at, messages.sent_at) as contributed_at,
        0 as messages,
        reactions.reaction_count as reactions
    from reactions
    inner join persons on persons.person_key = reactions.person_key
    left join messages on messages.message_key = reactions.message_key
    where not reactions.is_bot
        and not persons.is_bot

),

contributions as (

    select * from message_contributions
    union all
    select * from reaction_contributions

),

final as (

    select
        person_key,
        local_date,
        cast(sum(messages) as bigint) as messages,
        cast(sum(reactions) as bigint) as reactions,
        arg_min(source, (contributed_at, source)) as first_source
    from contributions
    group by person_key, local_date

)

select * from final
