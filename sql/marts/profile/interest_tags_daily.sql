-- Interest tags of what members write (spec §5.9), per local date and person. Grain: one row per
-- (date, person_key, tag_key) for each tag the person's member messages of that date carry
-- (messages = those messages), plus one row per (date, person_key) with tag_key NULL: all of the
-- person's member messages of that date (messages) and those carrying any tag (tagged_messages).
-- Member messages: non-system, neither the message nor its person a bot, with text. `dictionary`
-- is the fingerprint of the tag dictionary the rows were matched with (pipeline/interest_tags.py).
-- The `tag_flags` fragment is one regexp_matches per tag of that dictionary, its pattern a bound parameter.
with

persons as (

    -- identity-mapped persons: one bot account makes the whole person a bot
    select
        person_key,
        bool_or(is_bot) as is_bot
    from staging.members
    group by person_key

),

texts as (

    select
        messages.local_date as date,
        messages.person_key,
        lower(messages.text) as text
    from staging.messages as messages
    left join persons on persons.person_key = messages.person_key
    where messages.local_date >= $period_start
        and messages.local_date < $period_end
        and messages.kind <> 'system'
        and not messages.is_bot
        and not coalesce(persons.is_bot, false)
        and messages.has_text

),

flagged as materialized (

    -- each text is matched once against each tag's pattern. Read twice (person_days, tag_hits):
    -- without `materialized` DuckDB inlines it into both and runs every pattern twice (a week of
    -- the benchmark: 0.92 -> 0.61 s)
    select
        date,
        person_key,
        {{ tag_flags }} as flags
    from texts

),

person_days as (

    select
        date,
        person_key,
        cast(null as varchar) as tag_key,
        count(*) as messages,
        count(*) filter (where coalesce(list_bool_or(flags), false)) as tagged_messages
    from flagged
    group by date, person_key

),

tag_hits as (

    select
        date,
        person_key,
        unnest(list_filter(range(1, len(flags) + 1), lambda i: flags[i])) as tag_index
    from flagged

),

person_day_tags as (

    select
        date,
        person_key,
        cast($tag_keys[tag_index] as varchar) as tag_key,
        count(*) as messages,
        count(*) as tagged_messages
    from tag_hits
    group by date, person_key, tag_index

)

select
    date,
    person_key,
    tag_key,
    messages,
    tagged_messages,
    $tag_dictionary as dictionary
from (
    select * from person_days
    union all
    select * from person_day_tags
)
