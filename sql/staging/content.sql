-- One row per published piece of content of the content input, unpartitioned; local_date is the
-- publication date in the community's time zone.
select
    content_id,
    title,
    format,
    topic,
    published_at,
    cast(timezone($timezone, published_at) as date) as local_date,
    views,
    likes,
    comments,
    shares,
    file_path,
    line
from raw.input_content
