-- One row per member key of the member_profiles input, unpartitioned (staging.members copies the
-- attributes onto the member, and onto the person's other accounts that have none).
select
    member_key,
    region,
    gender,
    age_band,
    acquisition_channel,
    file_path,
    line
from raw.input_member_profiles
