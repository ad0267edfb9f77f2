-- One row per (period_start, metric): cost & ROI KPIs of the $grain period [period_start, period_end),
-- long form like marts.kpis_<grain>: cost = sum of costs, cac = cost / new_members, conversions
-- (rows), converting_persons (distinct), conversion_rate = converting persons / active_members,
-- revenue = sum of conversion values, roi = (revenue - cost) / cost. new_members and active_members
-- are those of marts.kpis_<grain> for the same period (NULL when it has none). cost_kpis_weekly.sql
-- and cost_kpis_monthly.sql are the same file on purpose (kpis_<grain> is chosen by $grain).
with

costs as (

    select * from marts.cost_daily
    where date >= $period_start and date < $period_end

),

conversions as (

    -- distinct persons over the period: read the staged rows, not the daily mart
    select * from staging.conversions
    where local_date >= $period_start and local_date < $period_end

),

period_kpis as (

    select
        metric,
        value
    from query_table('marts.kpis_' || $grain)
    where period_start = $period_start

),

spend as (

    select coalesce(sum(amount order by amount), 0) as cost
    from costs

),

converted as (

    select
        count(*) as conversions,
        count(distinct coalesce(person_key, member_key)) as converting_persons,
        coalesce(sum(value order by value), 0) as revenue
    from conversions

),

community as (

    select
        any_value(value) filter (where metric = 'new_members') as new_members,
        any_value(value) filter (where metric = 'active_members') as active_members
    from period_kpis

),

kpis as (

    select
        cast(spend.cost as double) as cost,
        cast(spend.cost / nullif(community.new_members, 0) as double) as cac,
        cast(converted.conversions as double) as conversions,
        cast(converted.converting_persons as double) as converting_persons,
        cast(converted.converting_persons / nullif(community.active_members, 0) as double) as conversion_rate,
        cast(converted.revenue as double) as revenue,
        cast((converted.revenue - spend.cost) / nullif(spend.cost, 0) as double) as roi
    from spend
    cross join converted
    cross join community

),

final as (

    select
        cast($period_start as date) as period_start,
        cast($period_end as date) as period_end,
        cast($grain as varchar) as grain,
        cast($period_key as varchar) as period_key,
        metric,
        value
    from kpis
    unpivot include nulls (value for metric in (columns(*)))

)

select * from final
