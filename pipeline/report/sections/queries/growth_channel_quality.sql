-- Acquisition channels of a period from marts.growth_channel_cohorts: members who joined in the period
-- (and in the previous one) per channel, their 7-day activation, and the week-4 retention of the join
-- weeks whose week W+4 ended in the period (only when the data covers that whole week). NULL channel =
-- unknown (no member profile).
with

cohorts as (

    select * from marts.growth_channel_cohorts

),

current_joins as (

    select
        acquisition_channel,
        sum(new_members) as new_members,
        sum(activated_members) as activated_members
    from cohorts
    where join_date >= $period_start and join_date < $period_end
    group by acquisition_channel

),

previous_joins as (

    select
        acquisition_channel,
        sum(new_members) as new_members
    from cohorts
    where join_date >= $previous_start and join_date < $period_start
    group by acquisition_channel

),

week4 as (

    select
        acquisition_channel,
        sum(new_members) as week4_cohort,
        sum(week4_retained) as week4_retained
    from cohorts
    where week4_start + 6 >= $period_start
        and week4_start + 6 < $period_end
        and week4_complete
    group by acquisition_channel

),

channels as (

    select acquisition_channel from current_joins
    union
    select acquisition_channel from previous_joins
    union
    select acquisition_channel from week4

)

select
    channels.acquisition_channel,
    cast(coalesce(current_joins.new_members, 0) as bigint) as new_members,
    cast(coalesce(previous_joins.new_members, 0) as bigint) as previous_new_members,
    cast(current_joins.activated_members as bigint) as activated_members,
    current_joins.activated_members / nullif(current_joins.new_members, 0) as activation_rate_7d,
    cast(week4.week4_cohort as bigint) as week4_cohort,
    cast(week4.week4_retained as bigint) as week4_retained,
    week4.week4_retained / nullif(week4.week4_cohort, 0) as week4_retention
from channels
left join current_joins on current_joins.acquisition_channel is not distinct from channels.acquisition_channel
left join previous_joins on previous_joins.acquisition_channel is not distinct from channels.acquisition_channel
left join week4 on week4.acquisition_channel is not distinct from channels.acquisition_channel
order by new_members desc, previous_new_members desc, channels.acquisition_channel nulls last
