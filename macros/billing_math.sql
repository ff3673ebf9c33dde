{#- Exact arithmetic for money and quantities. DuckDB returns DOUBLE for decimal division and
    avg(), so every division here is done in integers (HUGEINT, Spark's DECIMAL(38, 0): see
    wide_int and int_div in portable.sql) and rescaled by multiplication.
    Rounding mode: half away from zero everywhere (SPEC 0: round2 / round6). -#}

{#- Integer division of two non-negative integers, rounded half away from zero. -#}
{% macro div_round_half_away(numerator, denominator) -%}
    {{ int_div(
        '(2 * cast(' ~ numerator ~ ' as ' ~ wide_int() ~ ') + cast(' ~ denominator ~ ' as ' ~ wide_int() ~ '))',
        '(2 * cast(' ~ denominator ~ ' as ' ~ wide_int() ~ '))') }}
{%- endmacro %}

{#- An integer count of millionths as DECIMAL(38,6), exactly. -#}
{% macro micros_to_decimal6(micros) -%}
    (cast({{ micros }} as decimal(38, 0)) * cast(0.000001 as decimal(38, 6)))
{%- endmacro %}

{#- An integer count of cents as DECIMAL(38,2), exactly. -#}
{% macro cents_to_decimal2(cents) -%}
    (cast({{ cents }} as decimal(38, 0)) * cast(0.01 as decimal(38, 2)))
{%- endmacro %}

{#- round6(numerator / denominator) for non-negative integers, as DECIMAL(38,6). -#}
{% macro ratio_round6(numerator, denominator) -%}
    {{ micros_to_decimal6(div_round_half_away(
        'cast(' ~ numerator ~ ' as ' ~ wide_int() ~ ') * 1000000', denominator)) }}
{%- endmacro %}

{#- round6(bytes / 2^30): GiB from a byte count (SPEC 3, data_ingress / data_egress). -#}
{% macro bytes_to_gib_round6(bytes) -%}
    {{ ratio_round6(bytes, '1073741824') }}
{%- endmacro %}

{#- round2 of a DECIMAL: round() on DECIMAL rounds half away from zero (DuckDB; Spark's
    HALF_UP). -#}
{% macro round2(expression) -%}
    cast(round({{ expression }}, 2) as decimal(38, 2))
{%- endmacro %}

{#- Hours in the billing month that starts on the DATE `month_start` (672, 696, 720 or 744). -#}
{% macro hours_in_month(month_start) -%}
    {{ hours_between('cast(' ~ month_start ~ ' as timestamp)',
        'cast(' ~ month_start ~ ' as timestamp) + interval 1 month') }}
{%- endmacro %}

{#- The billable quantity of SPEC 3 from an exact integer measure (see
    int_usage_measures_aggregated): GiB for ingress/egress, GiB-month for retention, hours for
    uptime, as DECIMAL(38,6). -#}
{% macro billable_quantity(billing_item, measure, usage_month) -%}
    case {{ billing_item }}
        when 'data_retention'
            then {{ ratio_round6(measure, '1073741824 * ' ~ hours_in_month(usage_month)) }}
        when 'cluster_uptime' then cast({{ measure }} as decimal(38, 6))
        else {{ bytes_to_gib_round6(measure) }}
    end
{%- endmacro %}

{#- ceil(numerator / denominator) for a non-negative integer numerator and positive integer
    denominator, exactly, in HUGEINT. -#}
{% macro ceil_div(numerator, denominator) -%}
    {{ int_div(
        '(cast(' ~ numerator ~ ' as ' ~ wide_int() ~ ') + cast(' ~ denominator ~ ' as ' ~ wide_int() ~ ') - 1)',
        'cast(' ~ denominator ~ ' as ' ~ wide_int() ~ ')') }}
{%- endmacro %}

{#- The unit a billing item is measured in (SPEC 5). -#}
{% macro billing_unit(billing_item) -%}
    case {{ billing_item }}
        when 'data_retention' then 'GiB-month'
        when 'cluster_uptime' then 'hour'
        when 'aku_subscription' then 'AKU'
        else 'GiB'
    end
{%- endmacro %}

{#- The billing item a usage meter is charged as (null for the peak meters and unknown ones). -#}
{% macro billable_item(meter) -%}
    case {{ meter }}
        {%- for meter_name, item in var('meter_billing_items').items() %}
        when '{{ meter_name }}' then '{{ item }}'
        {%- endfor %}
    end
{%- endmacro %}

{#- N div D for a non-negative measure N (HUGEINT-wide) and a measure per unit D that is 1 or
    a multiple of 2^30 (int_marketplace_metering_expected), as BIGINT. DuckDB shifts 2^30 out
    first: a BIGINT division costs ~40 times less than a HUGEINT one. -#}
{% macro whole_units(measure, measure_per_unit) -%}
    {{ return(adapter.dispatch('whole_units', 'automq_billing')(measure, measure_per_unit)) }}
{%- endmacro %}

{% macro default__whole_units(measure, measure_per_unit) -%}
    case
            when {{ measure_per_unit }} = 1 then cast({{ measure }} as bigint)
            when {{ measure_per_unit }} % 1073741824 = 0
                then cast({{ measure }} >> 30 as bigint)
                    // ({{ measure_per_unit }} >> 30)
            else cast({{ measure }} // {{ measure_per_unit }} as bigint)
        end
{%- endmacro %}

{% macro spark__whole_units(measure, measure_per_unit) -%}
    cast({{ int_div(measure, measure_per_unit) }} as bigint)
{%- endmacro %}

{#- The exact product of a DECIMAL(38,6) quantity and a DECIMAL(38,6) price, with 12 decimals
    (DuckDB: DECIMAL(38,12)). Spark would cut a DECIMAL(38,6) x DECIMAL(38,6) product to 6
    decimals (rounding it, so a round2 of it could round twice): the operands are narrowed to
    DECIMAL(24,6) (quantities below 10^18) and DECIMAL(13,6) (prices below 10^7), whose product
    DECIMAL(38,12) is exact; a larger value becomes NULL, which the not-null tests stop. -#}
{% macro decimal_product(quantity, price) -%}
    {{ return(adapter.dispatch('decimal_product', 'automq_billing')(quantity, price)) }}
{%- endmacro %}

{% macro default__decimal_product(quantity, price) -%}
    {{ quantity }} * {{ price }}
{%- endmacro %}

{% macro spark__decimal_product(quantity, price) -%}
    cast({{ quantity }} as decimal(24, 6)) * cast({{ price }} as decimal(13, 6))
{%- endmacro %}
