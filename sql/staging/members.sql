-- One row per member (member_key = <source>:<platform user id>), all sources, all history.
-- Built from user lists, message authors, reactors and membership events; the latest user
-- record wins; is_bot if any record says so.
-- person_key (identity, spec §3): (a) the identity_map input: every member key listed for one
-- person gets 'person:<id>'; (b) else accounts sharing an e-mail or a phone number (raw.users;
-- e-mail case and blanks ignored, phone digits only) are one person, transitively: the
-- identity-map person they reach, else their smallest member_key; (c) else the member_key.
-- identity_basis says which (identity_map | email | phone; NULL = not merged).
-- acquisition_channel, region, gender, age_band: the member_profiles input (the member's own
-- row, else another account of the same person).
with recursive

users as (

    select * from raw.users
    qualify row_number() over (partition by source, user_id order by file_seq desc, location desc) = 1

),

authors as (

    -- over every export's authors (raw.message_authors, one row per export and author: the same
    -- as aggregating their raw.messages rows, a group-by of the whole history on every run)
    select
        source,
        any_value(platform) as platform,
        author_id as user_id,
        arg_max(author_name, author_name_at) as display_name,      -- on their latest named message
        coalesce(bool_or(is_bot), false) as is_bot,
        min(first_message_at) as first_message_at
    from raw.message_authors
    group by source, author_id

),

reactors as (

    select source, any_value(platform) as platform, reactor_id as user_id
    from raw.reaction_users
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

contacts as (

    -- one normalized e-mail / phone per account (its latest user record)
    select source || ':' || user_id as member_key, 'email' as basis,
           lower(regexp_replace(email, '\s+', '', 'g')) as value
    from users
    where regexp_full_match(trim(email), '[^@\s]+@[^@\s]+\.[^@\s]+')
    union all
    select source || ':' || user_id, 'phone', regexp_replace(phone, '[^0-9]', '', 'g')
    from users
    where length(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')) >= 7

),

shared as (

    -- values held by more than one account; hub = the smallest of those accounts
    select basis, value, min(member_key) as hub
    from contacts
    group by basis, value
    having count(distinct member_key) > 1

),

links as (

    -- undirected edges account <-> hub of every shared value (a star per value)
    select contacts.member_key as a, shared.hub as b
    from contacts
    inner join shared using (basis, value)
    where contacts.member_key <> shared.hub
    union
    select shared.hub, contacts.member_key
    from contacts
    inner join shared using (basis, value)
    where contacts.member_key <> shared.hub

),

mapped as (

    -- the identity_map input (raw: always there, empty when absent); as in staging/identity_map.sql
    select member_key, 'person:' || person as person_key from raw.input_identity_map

),

profiles as (

    select member_key, region, gender, age_band, acquisition_channel from raw.input_member_profiles

),

-- Connected components by label propagation over the links. A mapped account keeps its person
-- and passes it on; every other linked account collects the labels it can reach and takes the
-- best: a mapped person first (rank 0), else the smallest member_key (rank 1).
walk(member_key, rank, label) as (

    select linked.member_key,
           case when mapped.person_key is null then 1 else 0 end,
           coalesce(mapped.person_key, linked.member_key)
    from (select a as member_key from links union select b from links) as linked
    left join mapped using (member_key)
    union
    select links.b, walk.rank, walk.label
    from walk
    inner join links on links.a = walk.member_key
    where links.b not in (select member_key from mapped)

),

components as (

    select member_key, coalesce(min(label) filter (where rank = 0), min(label)) as person_key
    from walk
    group by member_key

),

resolved as (

    select
        ids.source || ':' || ids.user_id as member_key,
        coalesce(mapped.person_key, components.person_key, ids.source || ':' || ids.user_id) as person_key,
        case
            when mapped.person_key is not null then 'identity_map'
            when exists (select 1 from contacts inner join shared using (basis, value)
                         where contacts.member_key = ids.source || ':' || ids.user_id and basis = 'email')
                then 'email'
            when components.member_key is not null then 'phone'
        end as identity_basis
    from ids
    left join mapped on mapped.member_key = ids.source || ':' || ids.user_id
    left join components on components.member_key = ids.source || ':' || ids.user_id

),

person_profiles as (

    -- a person's attributes from any of their accounts (own accounts or identity-map ones)
    select
        persons.person_key,
        arg_min(p.acquisition_channel, p.member_key) filter (where p.acquisition_channel is not null)
            as acquisition_channel,
        arg_min(p.region, p.member_key) filter (where p.region is not null) as region,
        arg_min(p.gender, p.member_key) filter (where p.gender is not null) as gender,
        arg_min(p.age_band, p.member_key) filter (where p.age_band is not null) as age_band
    from (select member_key, person_key from resolved union select member_key, person_key from mapped) as persons
    inner join profiles as p using (member_key)
    group by persons.person_key

),

final as (

    select
        ids.source || ':' || ids.user_id as member_key,
        resolved.person_key,
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
        coalesce(own.acquisition_channel, pp.acquisition_channel) as acquisition_channel,
        coalesce(own.region, pp.region) as region,
        coalesce(own.gender, pp.gender) as gender,
        coalesce(own.age_band, pp.age_band) as age_band,
        resolved.identity_basis
    from ids
    left join users using (source, user_id)
    left join authors using (source, user_id)
    left join events using (source, user_id)
    left join resolved on resolved.member_key = ids.source || ':' || ids.user_id
    left join profiles as own on own.member_key = ids.source || ':' || ids.user_id
    left join person_profiles as pp on pp.person_key = resolved.person_key

)

select * from final
