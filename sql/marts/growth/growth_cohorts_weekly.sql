-- One row per (cohort_week, weeks_since) with weeks_since 0..12: cohort = members whose join date
-- falls in ISO week cohort_week (its Monday); retained = cohort members active in week
-- cohort_week + weeks_since; only weeks that have started by the last date with data.
-- Unpartitioned on purpose: a cohort's row keeps changing for 12 weeks after its week and join
-- dates can move when an older export is loaded, while the table stays tiny (cohorts x 13).
with

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

cohort_members as (

    -- date_trunc('week') gives the ISO week's Monday
    select
        person_key,
        cast(date_trunc('week', join_date) as date) as cohort_week
    from lifecycle

),

cohort_sizes as (

    select
        cohort_week,
        count(*) as cohort_size
    from cohort_members
    group by cohort_week

),

week_offsets as (

    select cast(range as integer) as weeks_since
    from range(0, 13)

),

cohort_grid as (

    select
        cohort_sizes.cohort_week,
        cohort_sizes.cohort_size,
        offsets.weeks_since,
        cast(cohort_sizes.cohort_week + 7 * offsets.weeks_since as date) as activity_week,
        cohort_sizes.cohort_week + 7 * offsets.weeks_since + 6 <= data_dates.last_date as is_complete
    from cohort_sizes
    cross join week_offsets as offsets
    cross join data_dates
    where cohort_sizes.cohort_week + 7 * offsets.weeks_since <= data_dates.last_date

),

active_weeks as (

    select distinct
        person_key,
        cast(date_trunc('week', local_date) as date) as activity_week
    from person_days

),

retained_members as (

    select
        cohort_members.cohort_week,
        active_weeks.activity_week,
        count(*) as retained
    from cohort_members
    inner join active_weeks on active_weeks.person_key = cohort_members.person_key
    group by cohort_members.cohort_week, active_weeks.activity_week

),

final as (

    select
        cohort_grid.cohort_week,
        cohort_grid.weeks_since,
        cohort_grid.cohort_size,
        coalesce(retained_members.retained, 0) as retained,
        coalesce(retained_members.retained, 0) / cohort_grid.cohort_size as retention_rate,
        cohort_grid.activity_week,
        cohort_grid.is_complete
    from cohort_grid
    left join retained_members
        on retained_members.cohort_week = cohort_grid.cohort_week
        and retained_members.activity_week = cohort_grid.activity_week

)

select * from final
