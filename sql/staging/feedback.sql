-- One row per feedback item of the feedback input, unpartitioned; local_date is the date received in the
-- community's time zone; person_key as in staging.members (NULL for anonymous feedback).
select
    f.feedback_id,
    f.member_key,
    case when f.member_key is not null then coalesce(m.person_key, 'person:' || im.person, f.member_key) end as person_key,
    f.received_at,
    cast(timezone($timezone, f.received_at) as date) as local_date,
    f.channel,
    f.kind,
    f.category,
    f.rating,
    f.score,
    f.text,
    f.status,
    f.resolved_at,
    f.file_path,
    f.line
from raw.input_feedback as f
left join staging.members as m on m.member_key = f.member_key
left join raw.input_identity_map as im on im.member_key = f.member_key
