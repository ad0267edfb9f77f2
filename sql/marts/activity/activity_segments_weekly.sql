-- One row per ($grain period, segment) for the persons who are members on the period's last day
-- (spec §4 member segments): core = active on >= 50 % of the period's n days, regular = >= 15 % and
-- < 50 %, casual = > 0 and < 15 %, silent = 0 days. Thresholds compared in integers (100 * active
-- days vs 50 * n), so 1 of 7 days (14.3 %) is casual and 2 of 7 (28.6 %) regular. share = persons /
-- members (NULL with no members). activity_segments_weekly.sql and _monthly.sql are the same file.
with

lifecycle as (

    select * from intermediate.person_lifecycle

),

person_days as (

    select * from intermediate.person_days
    where local_date >= $period_start and local_date < $period_end

),

bounds as (

    select
        cast($period_start as date) as first_day,
        cast($period_end as date) - 1 as last_day,
        cast($period_end - $period_start as integer) as period_days

),

period_members as (

    select lifecycle.person_key
    from lifecycle
    cross join bounds
    where lifecycle.join_date <= bounds.last_day
        and (lifecycle.leave_date is null or lifecycle.leave_date > bounds.last_day)

),

active_days as (

    select
        person_key,
        count(distinct local_date) as active_days
    from person_days
    group by person_key

),

member_segments as (

    select
        period_members.person_key,
        coalesce(active_days.active_days, 0) as active_days,
        case
            when 100 * coalesce(active_days.active_days, 0) >= 50 * bounds.period_days then 'core'
            when 100 * coalesce(active_days.active_days, 0) >= 15 * bounds.period_days then 'regular'
            when coalesce(active_days.active_days, 0) > 0 then 'casual'
            else 'silent'
        end as segment
    from period_members
    cross join bounds
    left join active_days on active_days.person_key = period_members.person_key

),

segments as (

    select * from (values (1, 'core'), (2, 'regular'), (3, 'casual'), (4, 'silent')) as s (segment_order, segment)

),

counts as (

    select
        segments.segment_order,
        segments.segment,
        count(member_segments.person_key) as persons,
        coalesce(sum(member_segments.active_days), 0) as active_days
    from segments
    left join member_segments on member_segments.segment = segments.segment
    group by segments.segment_order, segments.segment

),

final as (

    select
        cast($period_start as date) as period_start,
        cast($period_end as date) as period_end,
        cast($grain as varchar) as grain,
        cast($period_key as varchar) as period_key,
        counts.segment,
        counts.segment_order,
        bounds.period_days,
        counts.persons,
        cast(sum(counts.persons) over () as bigint) as members,
        counts.persons / nullif(sum(counts.persons) over (), 0) as share,
        cast(counts.active_days as bigint) as active_days
    from counts
    cross join bounds

)

select * from final
