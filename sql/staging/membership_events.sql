-- One row per distinct membership event (a member joining or leaving a channel/group) with
-- its local date in the window; the same event seen in several exports is one row.
with

raw_events as (

    select * from raw.membership_events
    where local_date >= $period_start and local_date < $period_end

),

members as (

    select member_key, person_key from staging.members

),

final as (

    select
        coalesce(members.person_key, raw_events.source || ':' || raw_events.user_id) as person_key,
        raw_events.source || ':' || raw_events.user_id as member_key,
        raw_events.source,
        raw_events.channel_id,
        raw_events.event,
        raw_events.occurred_at,
        raw_events.local_date,
        min(raw_events.via) as via
    from raw_events
    left join members on members.member_key = raw_events.source || ':' || raw_events.user_id
    group by all

)

select * from final
