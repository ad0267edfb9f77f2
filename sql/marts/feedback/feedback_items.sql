-- One row per feedback item (all history, unpartitioned): the staged item with its local dates,
-- whether it is resolved (its status says resolved / closed / done; without a status, a resolved_at
-- says so), the hours from received_at to resolved_at, and its NPS group for a 0-10 score
-- (promoter 9-10, passive 7-8, detractor 0-6).
with

feedback as (

    select * from staging.feedback

),

normalised as (

    select
        cast(feedback_id as varchar) as feedback_id,
        member_key,
        coalesce(person_key, member_key) as person_key,
        received_at,
        coalesce(cast(local_date as date), cast(timezone($timezone, received_at) as date)) as local_date,
        nullif(trim(channel), '') as channel,
        lower(trim(kind)) as kind,
        nullif(trim(category), '') as category,
        cast(rating as double) as rating,
        cast(score as double) as score,
        text,
        nullif(replace(replace(lower(trim(status)), ' ', '_'), '-', '_'), '') as status,
        resolved_at
    from feedback

),

final as (

    select
        feedback_id,
        member_key,
        person_key,
        received_at,
        local_date,
        channel,
        kind,
        category,
        rating,
        score,
        text,
        status,
        resolved_at,
        cast(timezone($timezone, resolved_at) as date) as resolved_date,
        case
            when status is not null then status in ('resolved', 'closed', 'done')
            else resolved_at is not null
        end as is_resolved,
        case
            when resolved_at >= received_at then date_diff('second', received_at, resolved_at) / 3600.0
        end as hours_to_resolve,
        case
            when score >= 9 then 'promoter'
            when score >= 7 then 'passive'
            when score >= 0 then 'detractor'
        end as nps_group
    from normalised

)

select * from final
