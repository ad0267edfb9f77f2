-- One row per source with any raw record (users, messages, reactions, events): platform, channels
-- with messages, members (non-bot persons with a join date holding an account there, and those
-- not left), bot accounts, user-generated messages, first / last local date with staged data.
-- Unpartitioned: an all-history summary.
with

members as not materialized (

    select * from staging.members

),

messages as not materialized (

    select * from staging.messages

),

reactions as (

    select * from staging.reactions

),

membership_events as (

    select * from staging.membership_events

),

lifecycle as (

    select * from intermediate.person_lifecycle

),

persons as (

    -- identity-mapped persons: one bot account makes the whole person a bot
    select
        person_key,
        bool_or(is_bot) as is_bot
    from members
    group by person_key

),

source_members as (

    select
        members.source,
        any_value(members.platform) as platform,
        count(distinct lifecycle.person_key) as members,
        count(distinct lifecycle.person_key) filter (where lifecycle.leave_date is null) as current_members,
        count(*) filter (where members.is_bot) as bots
    from members
    left join lifecycle on lifecycle.person_key = members.person_key
    group by members.source

),

source_messages as (

    select
        messages.source,
        count(distinct messages.channel_id) as channels,
        count(*) filter (
            where messages.kind <> 'system'
                and not messages.is_bot
                and not coalesce(persons.is_bot, false)
        ) as messages
    from messages
    left join persons on persons.person_key = messages.person_key
    group by messages.source

),

source_dates as (

    select
        source,
        min(local_date) as first_date,
        max(local_date) as last_date
    from (
        select source, local_date from messages
        union all
        select source, local_date from reactions
        union all
        select source, local_date from membership_events
    )
    group by source

),

final as (

    select
        source_members.source,
        source_members.platform,
        coalesce(source_messages.channels, 0) as channels,
        source_members.members,
        source_members.current_members,
        source_members.bots,
        coalesce(source_messages.messages, 0) as messages,
        source_dates.first_date,
        source_dates.last_date
    from source_members
    left join source_messages on source_messages.source = source_members.source
    left join source_dates on source_dates.source = source_members.source

)

select * from final
