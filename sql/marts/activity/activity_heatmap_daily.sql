-- One row per (local date, local weekday 1=Mon..7=Sun, local hour 0..23) with at least one
-- message: non-system messages by non-bot persons, so any period's heatmap is a plain sum.
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
        messages.local_date,
        -- the hour on the community's clock, whatever offset the export used
        hour(timezone($timezone, messages.sent_at)) as local_hour
    from messages
    left join persons on persons.person_key = messages.person_key
    where messages.kind <> 'system'
        and not messages.is_bot
        and not coalesce(persons.is_bot, false)

),

final as (

    select
        local_date as date,
        cast(isodow(local_date) as integer) as weekday,
        cast(local_hour as integer) as hour,
        count(*) as messages
    from user_messages
    group by local_date, local_hour

)

select * from final
