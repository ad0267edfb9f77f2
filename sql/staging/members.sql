-- One row per member (member_key = <source>:<platform user id>), all sources, all history.
-- Built from user lists, message authors, reactors and membership events; the latest user
-- record wins; is_bot if any record says so. person_key = member_key until an identity map
-- merges accounts.
with

users as (

    select * from raw.users
    qualify row_number() over (partition by source, user_id order by file_seq desc, location desc) = 1

),

authors as (

    select
        source,
        any_value(platform) as platform,
        author_id as user_id,
        arg_max(author_name, sent_at) as display_name,
        coalesce(bool_or(author_is_bot), false) as is_bot,
        min(sent_at) filter (where kind <> 'system') as first_message_at
    from raw.messages
    where author_id is not null
    group by source, author_id

),

reactors as (

    select source, any_value(platform) as platform, reactor_id as user_id
    from raw.reactions
    where reactor_id is not null
    group by source, reactor_id

),

events as (

    select
        source,
        any_value(platform) as platform,
        user_id,
        min(occurred_at) filter (where event = 'join') as first_join_at,
        max(occurred_at) filter (where event = 'join') as last_join_at,
        max(occurred_at) filter (where event = 'leave') as last_leave_at
    from raw.membership_events
    group by source, user_id

),

ids as (

    select source, platform, user_id from users
    union
    select source, platform, user_id from authors
    union
    select source, platform, user_id from reactors
    union
    select source, platform, user_id from events

),

final as (

    select
        ids.source || ':' || ids.user_id as member_key,
        ids.source || ':' || ids.user_id as person_key,
        ids.source,
        ids.platform,
        ids.user_id as platform_user_id,
        coalesce(users.display_name, authors.display_name, ids.user_id) as display_name,
        coalesce(users.is_bot, false) or coalesce(authors.is_bot, false) as is_bot,
        coalesce(users.is_deleted, false) as is_deleted,
        least(users.joined_at, events.first_join_at) as joined_at,
        users.joined_at as platform_joined_at,  -- the user list's own date (join-date fallback, spec §4)
        case
            when events.last_leave_at is not null
                and (events.last_join_at is null or events.last_leave_at > events.last_join_at)
                then events.last_leave_at
        end as left_at,
        authors.first_message_at as first_seen_at,
        users.email,
        users.phone,
        cast(null as varchar) as acquisition_channel,
        cast(null as varchar) as region,
        cast(null as varchar) as gender,
        cast(null as varchar) as age_band
    from ids
    left join users using (source, user_id)
    left join authors using (source, user_id)
    left join events using (source, user_id)

)

select * from final
