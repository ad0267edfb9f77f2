-- One row per member: a non-bot person with a join date (spec §4). join_date = local date of the
-- earliest join event, else of the earliest platform joined_at, else of the first contribution
-- (join_basis says which); leave_date = local date of the latest leave event when no join event
-- follows it; source = source of the account with the earliest join. Unpartitioned: a join date
-- is a minimum over all history, so an older export loaded later can move it.
with

members as not materialized (

    select * from staging.members

),

membership_events as not materialized (

    select * from staging.membership_events

),

person_days as (

    select * from intermediate.person_days

),

persons as (

    -- identity-mapped persons: one bot account makes the whole person a bot
    select
        person_key,
        bool_or(is_bot) as is_bot
    from members
    group by person_key

),

first_join_events as (

    select
        person_key,
        source,
        occurred_at as joined_at,
        local_date as join_date
    from membership_events
    where event = 'join'
    qualify row_number() over (partition by person_key order by occurred_at, source, member_key) = 1

),

platform_joins as (

    -- only used for persons without any join event; the user list gives an instant
    select
        person_key,
        source,
        platform_joined_at as joined_at,
        cast(timezone($timezone, platform_joined_at) as date) as join_date
    from members
    where platform_joined_at is not null
    qualify row_number() over (partition by person_key order by platform_joined_at, source, member_key) = 1

),

first_contributions as (

    select
        person_key,
        first_source as source,
        local_date as first_contribution_date
    from person_days
    qualify row_number() over (partition by person_key order by local_date) = 1

),

last_joins as (

    select
        person_key,
        max(occurred_at) as last_join_at
    from membership_events
    where event = 'join'
    group by person_key

),

last_leave_events as (

    select
        person_key,
        occurred_at as left_at,
        local_date as leave_date
    from membership_events
    where event = 'leave'
    qualify row_number() over (partition by person_key order by occurred_at desc) = 1

),

leaves as (

    -- a leave counts only when no join event comes strictly after it (a rejoin cancels it)
    select
        last_leave_events.person_key,
        last_leave_events.left_at,
        last_leave_events.leave_date
    from last_leave_events
    left join last_joins on last_joins.person_key = last_leave_events.person_key
    where last_joins.last_join_at is null
        or last_joins.last_join_at <= last_leave_events.left_at

),

final as (

    select
        persons.person_key,
        coalesce(first_join_events.source, platform_joins.source, first_contributions.source) as source,
        coalesce(
            first_join_events.join_date,
            platform_joins.join_date,
            first_contributions.first_contribution_date
        ) as join_date,
        case
            when first_join_events.person_key is not null then 'event'
            when platform_joins.person_key is not null then 'platform'
            else 'first_contribution'
        end as join_basis,
        coalesce(first_join_events.joined_at, platform_joins.joined_at) as joined_at,
        leaves.leave_date,
        leaves.left_at,
        first_contributions.first_contribution_date
    from persons
    left join first_join_events on first_join_events.person_key = persons.person_key
    left join platform_joins on platform_joins.person_key = persons.person_key
    left join first_contributions on first_contributions.person_key = persons.person_key
    left join leaves on leaves.person_key = persons.person_key
    where not persons.is_bot
        and coalesce(
            first_join_events.join_date,
            platform_joins.join_date,
            first_contributions.first_contribution_date
        ) is not null

)

select * from final
