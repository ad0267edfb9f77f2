-- Plan items (staging.plan) for a period [$window_start, $window_end): the item's own period
-- (period_start + its grain) overlaps the window, or, without a period, its due date falls in it.
with

plan as (

    select
        *,
        case lower(cast(period_grain as varchar))
            when 'weekly' then cast(period_start as date) + 7
            when 'monthly' then cast(cast(period_start as date) + interval 1 month as date)
            when 'quarterly' then cast(cast(period_start as date) + interval 3 month as date)
            when 'yearly' then cast(cast(period_start as date) + interval 1 year as date)
            else cast(period_start as date) + 1
        end as period_end
    from staging.plan

)

select
    cast(period as varchar) as period,
    item,
    owner,
    cast(due as date) as due,
    lower(cast(status as varchar)) as status,
    note
from plan
where (period_start is not null and cast(period_start as date) < $window_end and period_end > $window_start)
    or (period_start is null and cast(due as date) >= $window_start and cast(due as date) < $window_end)
order by due nulls last, item
