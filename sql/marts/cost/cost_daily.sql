-- One row per (local date, cost category): the team's spend from staging.costs (amount summed, items
-- = rows), daily by `date`.
with

costs as (

    select * from staging.costs
    where cast(date as date) >= $period_start and cast(date as date) < $period_end

),

final as (

    select
        cast(date as date) as date,
        nullif(trim(category), '') as category,
        cast(sum(amount order by amount) as double) as amount,
        count(*) as items
    from costs
    group by all

)

select * from final
