{#- Splits an amount in whole cents over the rows of each group in proportion to a non-negative
    integer weight, so the pieces sum exactly to the amount (largest-remainder method):
    every row gets floor(cents * weight / total_weight); the cents left over go one each to the
    rows with the largest remainders, ties broken by `tie_breaker` ascending. A group whose
    weights sum to 0 gets nothing allocated (its amount must be 0 too: a test checks the sums).

    relation:      a CTE or relation name with one row per piece
    partition_by:  list of column names identifying a group
    weight:        integer column (HUGEINT-compatible) to split by
    total_cents:   integer column holding the group's amount in cents (same on every row)
    tie_breaker:   column(s) ordering rows with equal remainders
    Returns a select of every column of `relation` plus `allocated_cents`. -#}
{% macro allocate_largest_remainder(relation, partition_by, weight, total_cents, tie_breaker) -%}
    {%- set partition = partition_by | join(', ') -%}
    {%- set product = '(cast(pieces.' ~ total_cents ~ ' as ' ~ wide_int() ~ ') * cast(pieces.'
        ~ weight ~ ' as ' ~ wide_int() ~ '))' -%}
    select
        {{ star_except('ranked', ['floor_cents', 'remainder_weight', 'leftover_cents', 'remainder_rank']) }},
        ranked.floor_cents
            + case when ranked.remainder_rank <= ranked.leftover_cents then 1 else 0 end
            as allocated_cents
    from (
        select
            floored.*,
            floored.{{ total_cents }}
                - sum(floored.floor_cents) over (partition by {{ partition }}) as leftover_cents,
            row_number() over (
                partition by {{ partition }}
                order by floored.remainder_weight desc, {{ tie_breaker }}
            ) as remainder_rank
        from (
            select
                pieces.*,
                case when pieces.group_weight = 0 then 0 else
                    {{ int_div(product, 'pieces.group_weight') }} end as floor_cents,
                case when pieces.group_weight = 0 then 0 else
                    {{ product }}
                        % pieces.group_weight end as remainder_weight
            from (
                select
                    {{ relation }}.*,
                    cast(sum({{ relation }}.{{ weight }}) over (partition by {{ partition }})
                        as {{ wide_int() }}) as group_weight
                from {{ relation }}
            ) as pieces
        ) as floored
    ) as ranked
{%- endmacro %}
