-- One row per campaign (all history, unpartitioned): the team's figures (registrations, attendees,
-- cost), attendance rate = attendees / registrations, cost per attendee = cost / attendees, mean DAU
-- over the 7 days before the start and over the 7 days after the end (marts.activity_daily), the lift
-- = after / before - 1 (NULL until both windows are fully covered by activity_daily, or when the
-- before mean is 0), new members in the 7 days before, during and 7 days after (marts.growth_daily),
-- and the members listed in staging.campaign_participants (persons, and those who attended).
with

campaigns as (

    select * from staging.campaigns

),

participants as (

    select * from staging.campaign_participants

),

activity as (

    select
        date,
        dau
    from marts.activity_daily

),

growth as (

    select
        date,
        new_members
    from marts.growth_daily

),

windows as (

    select
        cast(campaign_id as varchar) as campaign_id,
        name,
        type,
        theme,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(registrations as double) as registrations,
        cast(attendees as double) as attendees,
        cast(cost as double) as cost,
        -- before: days start-7 .. start-1; after: days end+1 .. end+7
        cast(start_date as date) - 7 as before_first,
        cast(start_date as date) - 1 as before_last,
        cast(end_date as date) + 1 as after_first,
        cast(end_date as date) + 7 as after_last
    from campaigns

),

dau_windows as (

    select
        windows.campaign_id,
        avg(activity.dau) filter (
            where activity.date between windows.before_first and windows.before_last
        ) as dau_before,
        count(activity.dau) filter (
            where activity.date between windows.before_first and windows.before_last
        ) as before_days_covered,
        avg(activity.dau) filter (
            where activity.date between windows.after_first and windows.after_last
        ) as dau_after,
        count(activity.dau) filter (
            where activity.date between windows.after_first and windows.after_last
        ) as after_days_covered
    from windows
    left join activity
        on activity.date between windows.before_first and windows.after_last
    group by windows.campaign_id

),

new_member_windows as (

    select
        windows.campaign_id,
        sum(growth.new_members) filter (
            where growth.date between windows.before_first and windows.before_last
        ) as new_members_before,
        sum(growth.new_members) filter (
            where growth.date between windows.start_date and windows.end_date
        ) as new_members_during,
        sum(growth.new_members) filter (
            where growth.date between windows.after_first and windows.after_last
        ) as new_members_after
    from windows
    left join growth
        on growth.date between windows.before_first and windows.after_last
    group by windows.campaign_id

),

participant_counts as (

    select
        cast(campaign_id as varchar) as campaign_id,
        count(distinct coalesce(person_key, member_key)) as member_participants,
        count(distinct coalesce(person_key, member_key)) filter (where cast(attended as boolean)) as member_attendees
    from participants
    group by all

),

final as (

    select
        windows.campaign_id,
        windows.name,
        windows.type,
        windows.theme,
        windows.start_date,
        windows.end_date,
        windows.registrations,
        windows.attendees,
        windows.cost,
        windows.attendees / nullif(windows.registrations, 0) as attendance_rate,
        windows.cost / nullif(windows.attendees, 0) as cost_per_attendee,
        cast(dau_windows.dau_before as double) as dau_before,
        cast(dau_windows.dau_after as double) as dau_after,
        dau_windows.before_days_covered,
        dau_windows.after_days_covered,
        case
            when dau_windows.before_days_covered = 7 and dau_windows.after_days_covered = 7
                then cast(dau_windows.dau_after / nullif(dau_windows.dau_before, 0) - 1 as double)
        end as lift,
        -- a window reaching outside the data has no count (NULL, not a partial sum)
        case when dau_windows.before_days_covered = 7 then cast(coalesce(new_member_windows.new_members_before, 0) as double)
        end as new_members_before,
        cast(new_member_windows.new_members_during as double) as new_members_during,
        case when dau_windows.after_days_covered = 7 then cast(coalesce(new_member_windows.new_members_after, 0) as double)
        end as new_members_after,
        cast(coalesce(participant_counts.member_participants, 0) as double) as member_participants,
        cast(coalesce(participant_counts.member_attendees, 0) as double) as member_attendees
    from windows
    left join dau_windows on dau_windows.campaign_id = windows.campaign_id
    left join new_member_windows on new_member_windows.campaign_id = windows.campaign_id
    left join participant_counts on participant_counts.campaign_id = windows.campaign_id

)

select * from final
