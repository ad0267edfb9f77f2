-- One row per (message, reactor, reaction), dated by the reaction's own local date when it has
-- a time (never before the message's), else by the message's. Unknown reactors (a count only)
-- are one row with person_key NULL and reaction_count = how many.
-- Platform exports carry a message's reactions as a snapshot at export time, so the newest
-- export holding reactions for a message wins (counts grow between exports; never summed).
-- Canonical files are reaction events, so all canonical files are combined.
with

short_window as (

    -- a daily or weekly run (up to two months); a backfill over a longer range dates everything
    select ($period_end - $period_start) <= 62 as yes

),

candidate_keys as (

    -- in a short window, only the messages whose reactions can fall in it: the window's messages
    -- (reactions without a time take their message's date) and those with a reaction timed
    -- within two days of it (any time zone); every row of these messages is kept, so the
    -- snapshot choice is unchanged. Without it a one-day run would date every reaction of the
    -- history. (Empty for long windows, where it would filter nothing and cost memory.)
    select message_key from staging.messages
    where local_date >= $period_start and local_date < $period_end
        and (select yes from short_window)
    union
    select source || ':' || message_id from raw.reactions
    where reacted_at >= cast($period_start as timestamp) - interval 2 day
        and reacted_at < cast($period_end as timestamp) + interval 2 day
        and (select yes from short_window)

),

messages as (

    select message_key, local_date from staging.messages
    where not (select yes from short_window)
        or message_key in (select message_key from candidate_keys)

),

raw_reactions as (

    select
        r.*,
        r.source || ':' || r.message_id as message_key,
        case when r.platform = 'canonical' then 0 else r.file_seq end as snapshot_seq
    from raw.reactions as r
    where not (select yes from short_window)
        or r.source || ':' || r.message_id in (select message_key from candidate_keys)

),

latest_snapshot as (

    select * from raw_reactions
    qualify snapshot_seq = max(snapshot_seq) over (partition by message_key)

),

dated as (

    select
        latest_snapshot.*,
        -- never before its message's date: a reaction timed earlier is a clock that disagrees
        -- (a daily run, which stages the days one by one, would otherwise never date it: its day
        -- was staged before its message was)
        greatest(cast(timezone($timezone, latest_snapshot.reacted_at) as date), messages.local_date) as local_date
    from latest_snapshot
    inner join messages on messages.message_key = latest_snapshot.message_key

),

members as (

    select member_key, person_key, is_bot from staging.members

),

final as (

    select
        dated.message_key,
        dated.source,
        dated.source || ':' || dated.reactor_id as member_key,
        members.person_key,
        coalesce(members.is_bot, false) as is_bot,
        dated.reaction,
        -- a known reactor counts once however many exports or files repeat it
        case when dated.reactor_id is null then max(dated.reaction_count) else 1 end as reaction_count,
        min(dated.reacted_at) as reacted_at,
        min(dated.local_date) as local_date
    from dated
    left join members on members.member_key = dated.source || ':' || dated.reactor_id
    where dated.local_date >= $period_start and dated.local_date < $period_end
    group by dated.message_key, dated.source, dated.reactor_id, members.person_key, members.is_bot, dated.reaction

)

select * from final
