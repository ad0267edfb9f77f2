-- One row per conversion of the conversions input, unpartitioned; local_date in the community's time
-- zone; person_key as in staging.members.
select
    c.member_key,
    coalesce(m.person_key, 'person:' || im.person, c.member_key) as person_key,
    c.converted_at,
    cast(timezone($timezone, c.converted_at) as date) as local_date,
    c.type,
    c.value,
    c.file_path,
    c.line
from raw.input_conversions as c
left join staging.members as m on m.member_key = c.member_key
left join raw.input_identity_map as im on im.member_key = c.member_key
