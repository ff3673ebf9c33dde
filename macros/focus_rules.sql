{#- Portable exact integer arithmetic and largest-remainder apportionment (SPEC 10.1), for DuckDB
    and Spark alike: a model calls these macros, never an engine's own integer division.
    Operands are non-negative whole numbers up to 38 digits (DECIMAL(38, 0) on both engines). -#}

{#- floor(numerator / denominator) for a non-negative integer numerator and a positive integer
    denominator, exactly, as DECIMAL(38, 0). -#}
{% macro exact_floor_div(numerator, denominator) -%}
    {{ return(adapter.dispatch('exact_floor_div', 'automq_billing')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__exact_floor_div(numerator, denominator) -%}
    {#- DuckDB: DECIMAL division gives DOUBLE, so divide in HUGEINT -#}
    cast(cast({{ numerator }} as hugeint) // cast({{ denominator }} as hugeint) as decimal(38, 0))
{%- endmacro %}

{% macro spark__exact_floor_div(numerator, denominator) -%}
    {#- Spark: (n - pmod(n, d)) is a multiple of d, so its DECIMAL quotient is an exact integer -#}
    cast(
        (cast({{ numerator }} as decimal(38, 0))
            - pmod(cast({{ numerator }} as decimal(38, 0)), cast({{ denominator }} as decimal(38, 0))))
        / cast({{ denominator }} as decimal(38, 0))
        as decimal(38, 0))
{%- endmacro %}

{#- Splits a whole number of units (cents, millionths) over the rows of each group in proportion
    to a non-negative integer weight, so the pieces sum exactly to the total (largest remainder):
    every row gets floor(total x weight / group weight); the units left over go one each to the
    rows with the largest remainders, ties to `tie_breaker` ascending. Rows of weight 0 must be
    left out by the caller (a group's weight is then > 0).

    relation:     a CTE with one row per piece
    columns:      the columns of `relation` to carry through
    partition_by: the columns that identify a group
    weight:       integer column to split by
    total_units:  integer column holding the group's total in units (same on every row)
    tie_breaker:  column(s) ordering rows with equal remainders
    output:       the name of the allocated column (DECIMAL(38, 0) units) -#}
{% macro apportion_largest_remainder(
    relation, columns, partition_by, weight, total_units, tie_breaker, output
) -%}
    {%- set partition = partition_by | join(', ') -%}
    select
        {%- for column in columns %}
        ranked.{{ column }},
        {%- endfor %}
        cast(ranked.floor_units
            + case when ranked.remainder_rank <= ranked.leftover_units then 1 else 0 end
            as decimal(38, 0)) as {{ output }}
    from (
        select
            floored.*,
            floored.group_total
                - sum(floored.floor_units) over (partition by {{ partition }}) as leftover_units,
            row_number() over (
                partition by {{ partition }}
                order by floored.product - floored.floor_units * floored.group_weight desc,
                    {{ tie_breaker }}
            ) as remainder_rank
        from (
            select
                products.*,
                {{ exact_floor_div('products.product', 'products.group_weight') }} as floor_units
            from (
                select
                    weighted.*,
                    cast(weighted.group_total as decimal(38, 0))
                        * cast(weighted.piece_weight as decimal(38, 0)) as product
                from (
                    select
                        {{ relation }}.*,
                        cast({{ relation }}.{{ weight }} as decimal(38, 0)) as piece_weight,
                        cast({{ relation }}.{{ total_units }} as decimal(38, 0)) as group_total,
                        cast(sum({{ relation }}.{{ weight }}) over (partition by {{ partition }})
                            as decimal(38, 0)) as group_weight
                    from {{ relation }}
                ) as weighted
            ) as products
        ) as floored
    ) as ranked
{%- endmacro %}

{#- The FOCUS 1.2 unit of a statement unit (SPEC 10.2: `GiB`, `GiB-Months`, `Hours`, `AKU`). -#}
{% macro focus_unit(unit) -%}
    case {{ unit }}
        when 'GiB-month' then 'GiB-Months'
        when 'hour' then 'Hours'
        else {{ unit }}
    end
{%- endmacro %}

{#- The FOCUS SkuMeter of a billing item (SPEC 10.2). -#}
{% macro focus_sku_meter(billing_item) -%}
    case {{ billing_item }}
        when 'data_ingress' then 'Data Ingress'
        when 'data_egress' then 'Data Egress'
        when 'data_retention' then 'Data Retention'
        when 'cluster_uptime' then 'Cluster Uptime'
        when 'aku_subscription' then 'AKU Subscription'
    end
{%- endmacro %}

{#- InvoiceIssuerName of a party that invoices a charge (SPEC 10.2, "Who invoices a charge"). -#}
{% macro focus_invoice_issuer(invoiced_by) -%}
    case {{ invoiced_by }}
        when 'aws_marketplace' then 'Amazon Web Services'
        when 'azure_marketplace' then 'Microsoft'
        when 'gcp_marketplace' then 'Google'
        when 'alibaba_marketplace' then 'Alibaba Cloud'
        else 'AutoMQ'
    end
{%- endmacro %}

{#- quantity x unit price, exactly (12 decimals), on both engines: operands narrowed so that
    Spark's product keeps every decimal (22 + 15 + 1 digits of precision, scale 12). -#}
{% macro exact_cost(quantity, unit_price) -%}
    cast(cast({{ quantity }} as decimal(22, 6)) * cast({{ unit_price }} as decimal(15, 6))
        as decimal(38, 12))
{%- endmacro %}

{#- A DECIMAL as text without needless zeros ("10240.000000" -> "10240", "0.035000" -> "0.035"),
    for the words and JSON of a FOCUS row; the decimal must have a scale > 0. The patterns hold no
    backslash (Spark reads backslashes in literals as escapes). -#}
{% macro decimal_words(value) -%}
    regexp_replace(
        regexp_replace(cast({{ value }} as varchar(64)), '0+$', ''), '[.]$', ''
    )
{%- endmacro %}

{#- The billing item in words, capitalised (ChargeDescription). -#}
{% macro focus_item_title(billing_item) -%}
    case {{ billing_item }}
        when 'data_ingress' then 'Data ingress'
        when 'data_egress' then 'Data egress'
        when 'data_retention' then 'Data retention'
        when 'cluster_uptime' then 'Cluster uptime'
        when 'aku_subscription' then 'AKU subscription'
        else {{ billing_item }}
    end
{%- endmacro %}
