-- One row per (local date, conversion type): conversions from staging.conversions (rows), the
-- distinct persons converting that day, and revenue = sum of their values; daily by `date`.
with

conversions as (

    select * from staging.conversions
    where local_date >= $period_start and local_date < $period_end

),

final as (

    select
        cast(local_date as date) as date,
        nullif(trim(type), '') as type,
        count(*) as conversions,
        count(distinct coalesce(person_key, member_key)) as converting_persons,
        cast(coalesce(sum(value order by value), 0) as double) as revenue
    from conversions
    group by all

)

select * from final
