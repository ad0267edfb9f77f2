-- A few verbatims of the period: items with text, complaints first, then suggestions, bugs,
-- questions and praise; the newest first within a kind.
select
    local_date,
    kind,
    category,
    rating,
    score,
    text
from marts.feedback_items
where local_date >= $period_start and local_date < $period_end
    and nullif(trim(text), '') is not null
order by
    case kind when 'complaint' then 1 when 'suggestion' then 2 when 'bug' then 3 when 'question' then 4 else 5 end,
    received_at desc,
    feedback_id
limit $limit
