-- One row per (message, reactor, reaction) of the winning version of each message, dated by
-- the reaction's own local date when it has a time, else by the message's. Unknown reactors
-- (a count only) are one row with person_key NULL and reaction_count = how many.
with

messages as (

    select message_key, source, file_id, local_date from staging.messages

),

raw_reactions as (

    select
        r.*,
        r.source || ':' || r.message_id as message_key
    from raw.reactions as r

),

current_version as (

    -- reactions change between exports: keep those of the export the message was taken from
    select
        raw_reactions.*,
        coalesce(cast(timezone($timezone, raw_reactions.reacted_at) as date), messages.local_date) as local_date
    from raw_reactions
    inner join messages
        on messages.message_key = raw_reactions.message_key
        and messages.file_id = raw_reactions.file_id

),

members as (

    select member_key, person_key, is_bot from staging.members

),

final as (

    select
        current_version.message_key,
        current_version.source,
        current_version.source || ':' || current_version.reactor_id as member_key,
        members.person_key,
        coalesce(members.is_bot, false) as is_bot,
        current_version.reaction,
        sum(current_version.reaction_count) as reaction_count,
        min(current_version.reacted_at) as reacted_at,
        min(current_version.local_date) as local_date
    from current_version
    left join members on members.member_key = current_version.source || ':' || current_version.reactor_id
    where current_version.local_date >= $period_start and current_version.local_date < $period_end
    group by all

)

select * from final
