-- One row per plan item (all periods, unpartitioned): the staged item with its period's exclusive
-- end, a normalised status (lower case, spaces and hyphens as underscores) and whether it is done,
-- cancelled, or overdue = due before the period's end (on or before its last day) and neither done
-- nor cancelled.
with

plan as (

    select * from staging.plan

),

normalised as (

    select
        period,
        lower(trim(period_grain)) as period_grain,
        cast(period_start as date) as period_start,
        case lower(trim(period_grain))
            when 'weekly' then cast(period_start as date) + 7
            when 'monthly' then cast(cast(period_start as date) + interval 1 month as date)
        end as period_end,
        item,
        owner,
        cast(due as date) as due,
        nullif(replace(replace(lower(trim(status)), ' ', '_'), '-', '_'), '') as status,
        note
    from plan

),

final as (

    select
        *,
        coalesce(status = 'done', false) as is_done,
        coalesce(status = 'cancelled', false) as is_cancelled,
        coalesce(due < period_end and status is distinct from 'done' and status is distinct from 'cancelled', false)
            as is_overdue
    from normalised

)

select * from final
