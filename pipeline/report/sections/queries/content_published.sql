-- Published content (staging.content) of the period and of the previous one, by the local date of
-- publication: totals and one row per value of format and of topic. engagement_rate = (likes +
-- comments + shares) / views (spec §4), NULL without views. dimension 'total' = all items.
with

content as (

    select
        case
            when local_date >= $period_start and local_date < $period_end then 'current'
            else 'previous'
        end as which,
        nullif(trim(cast(format as varchar)), '') as format,
        nullif(trim(cast(topic as varchar)), '') as topic,
        coalesce(views, 0) as views,
        coalesce(likes, 0) as likes,
        coalesce(comments, 0) as comments,
        coalesce(shares, 0) as shares
    from staging.content
    where local_date >= $previous_start and local_date < $period_end

),

long_form as (

    select which, 'total' as dimension, cast(null as varchar) as value, views, likes, comments, shares
    from content
    union all
    select which, 'format' as dimension, format as value, views, likes, comments, shares from content
    union all
    select which, 'topic' as dimension, topic as value, views, likes, comments, shares from content

)

select
    which,
    dimension,
    value,
    count(*) as items,
    cast(sum(views) as bigint) as views,
    cast(sum(likes) as bigint) as likes,
    cast(sum(comments) as bigint) as comments,
    cast(sum(shares) as bigint) as shares,
    (sum(likes) + sum(comments) + sum(shares)) / nullif(sum(views), 0) as engagement_rate
from long_form
group by which, dimension, value
order by which, dimension, views desc, items desc, value nulls last
