-- One row per (join_date, acquisition_channel): the members who joined that day through that channel
-- (spec §4 join date; channel = the person's first non-empty acquisition_channel over their accounts,
-- from member_profiles via staging.members, NULL = unknown), how many of them contributed within days
-- 0-6 of joining (activation), and how many were active in ISO week W+4 of their join week W
-- (week4_start = Monday of W+4). *_complete = the data reaches the end of that window. Unpartitioned
-- like growth_cohorts_weekly: a cohort's figures keep changing for five weeks and join dates can move.
with

members as (

    select * from staging.members

),

messages as (

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

person_days as (

    select * from intermediate.person_days

),

data_dates as (

    select max(local_date) as last_date
    from (
        select local_date from messages
        union all
        select local_date from reactions
        union all
        select local_date from membership_events
    )

),

person_channels as (

    select
        person_key,
        arg_min(acquisition_channel, member_key) filter (
            where nullif(trim(acquisition_channel), '') is not null
        ) as acquisition_channel
    from members
    group by person_key

),

cohort_members as (

    select
        lifecycle.person_key,
        lifecycle.join_date,
        trim(person_channels.acquisition_channel) as acquisition_channel,
        -- date_trunc('week') gives the ISO week's Monday
        cast(date_trunc('week', lifecycle.join_date) as date) + 28 as week4_start
    from lifecycle
    left join person_channels on person_channels.person_key = lifecycle.person_key

),

member_outcomes as (

    select
        cohort_members.person_key,
        cohort_members.join_date,
        cohort_members.acquisition_channel,
        cohort_members.week4_start,
        count(person_days.person_key) filter (
            where person_days.local_date between cohort_members.join_date and cohort_members.join_date + 6
        ) > 0 as is_activated,
        count(person_days.person_key) filter (
            where person_days.local_date between cohort_members.week4_start and cohort_members.week4_start + 6
        ) > 0 as is_week4_active
    from cohort_members
    left join person_days
        on person_days.person_key = cohort_members.person_key
        and person_days.local_date >= cohort_members.join_date
        and person_days.local_date <= cohort_members.week4_start + 6
    group by all

),

final as (

    select
        member_outcomes.join_date,
        member_outcomes.acquisition_channel,
        cast(date_trunc('week', member_outcomes.join_date) as date) as cohort_week,
        member_outcomes.week4_start,
        count(*) as new_members,
        count(*) filter (where member_outcomes.is_activated) as activated_members,
        count(*) filter (where member_outcomes.is_week4_active) as week4_retained,
        coalesce(member_outcomes.join_date + 6 <= any_value(data_dates.last_date), false) as activation_complete,
        coalesce(member_outcomes.week4_start + 6 <= any_value(data_dates.last_date), false) as week4_complete
    from member_outcomes
    cross join data_dates
    group by member_outcomes.join_date, member_outcomes.acquisition_channel, member_outcomes.week4_start

)

select * from final
