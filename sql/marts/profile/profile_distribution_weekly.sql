-- One row per ($grain period, dimension, value) over the persons who are members on the period's
-- last day: dimension is region, gender, age_band or acquisition_channel (from member_profiles via
-- staging.members; a person's value = the first non-empty one over their accounts; value NULL =
-- unknown), plus dimension 'profile' (value 'known' = any of the four known: the coverage).
-- members = persons with that value, active_members = of them active in the period, share =
-- members / all members at the end. profile_distribution_weekly.sql and _monthly.sql are the same file.
with

members as (

    select * from staging.members

),

lifecycle as (

    select * from intermediate.person_lifecycle

),

person_days as (

    select * from intermediate.person_days
    where local_date >= $period_start and local_date < $period_end

),

bounds as (

    select cast($period_end as date) - 1 as last_day

),

person_profiles as (

    select
        person_key,
        arg_min(trim(region), member_key) filter (where nullif(trim(region), '') is not null) as region,
        arg_min(trim(gender), member_key) filter (where nullif(trim(gender), '') is not null) as gender,
        arg_min(trim(age_band), member_key) filter (where nullif(trim(age_band), '') is not null) as age_band,
        arg_min(trim(acquisition_channel), member_key) filter (
            where nullif(trim(acquisition_channel), '') is not null
        ) as acquisition_channel
    from members
    group by person_key

),

period_members as (

    select
        lifecycle.person_key,
        exists (
            select 1 from person_days where person_days.person_key = lifecycle.person_key
        ) as is_active
    from lifecycle
    cross join bounds
    where lifecycle.join_date <= bounds.last_day
        and (lifecycle.leave_date is null or lifecycle.leave_date > bounds.last_day)

),

member_profiles as (

    select
        period_members.person_key,
        period_members.is_active,
        person_profiles.region,
        person_profiles.gender,
        person_profiles.age_band,
        person_profiles.acquisition_channel
    from period_members
    left join person_profiles on person_profiles.person_key = period_members.person_key

),

long_form as (

    select person_key, is_active, 'region' as dimension, region as value from member_profiles
    union all
    select person_key, is_active, 'gender' as dimension, gender as value from member_profiles
    union all
    select person_key, is_active, 'age_band' as dimension, age_band as value from member_profiles
    union all
    select person_key, is_active, 'acquisition_channel' as dimension, acquisition_channel as value
    from member_profiles
    union all
    -- dimension 'profile': 'known' when any of the four is known (the profile coverage)
    select
        person_key,
        is_active,
        'profile' as dimension,
        case when coalesce(region, gender, age_band, acquisition_channel) is not null then 'known' end as value
    from member_profiles

),

final as (

    select
        cast($period_start as date) as period_start,
        cast($period_end as date) as period_end,
        cast($grain as varchar) as grain,
        cast($period_key as varchar) as period_key,
        dimension,
        value,
        count(*) as members,
        count(*) filter (where is_active) as active_members,
        count(*) / sum(count(*)) over (partition by dimension) as share
    from long_form
    group by dimension, value

)

select * from final
