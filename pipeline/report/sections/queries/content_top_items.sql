-- The period's published items with the most engagement (likes + comments + shares), then views.
select
    title,
    format,
    topic,
    local_date as published_date,
    coalesce(views, 0) as views,
    coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0) as engagements,
    (coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0)) / nullif(views, 0) as engagement_rate
from staging.content
where local_date >= $period_start and local_date < $period_end
order by engagements desc, views desc, title
limit $limit
