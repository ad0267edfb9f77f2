-- One row per (campaign, member) of the campaign_participants input, unpartitioned; person_key is the
-- member's person (staging.members, else the identity map, else the member key itself).
select
    p.campaign_id,
    p.member_key,
    coalesce(m.person_key, 'person:' || im.person, p.member_key) as person_key,
    p.attended,
    p.file_path,
    p.line
from raw.input_campaign_participants as p
left join staging.members as m on m.member_key = p.member_key
left join raw.input_identity_map as im on im.member_key = p.member_key
