-- One row per incident (all history, unpartitioned): the staged incident with its local dates,
-- whether it is resolved (its status says resolved / closed / done; without a status, a
-- resolved_at says so) and the hours from opened_at to resolved_at.
with

incidents as (

    select * from staging.incidents

),

normalised as (

    select
        opened_at,
        coalesce(cast(local_date as date), cast(timezone($timezone, opened_at) as date)) as local_date,
        nullif(trim(category), '') as category,
        title,
        impact,
        nullif(replace(replace(lower(trim(status)), ' ', '_'), '-', '_'), '') as status,
        resolved_at,
        resolution
    from incidents

),

final as (

    select
        *,
        cast(timezone($timezone, resolved_at) as date) as resolved_date,
        case
            when status is not null then status in ('resolved', 'closed', 'done')
            else resolved_at is not null
        end as is_resolved,
        case
            when resolved_at >= opened_at then date_diff('second', opened_at, resolved_at) / 3600.0
        end as hours_to_resolve
    from normalised

)

select * from final
