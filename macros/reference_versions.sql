{#- The effective_from of the next version after this row's (null for the latest), among the
    effective_from dates of the relation (optionally within a partition). With it, "the version
    in force on day d" is the plain range join effective_from <= d < coalesce(effective_to, ...):
    see `in_force`. -#}
{% macro next_effective_from(effective_from, partition_by=none) -%}
    min({{ effective_from }}) over (
        {%- if partition_by %} partition by {{ partition_by }}{% endif %}
        order by {{ effective_from }}
        range between interval 1 day following and unbounded following
    )
{%- endmacro %}

{#- True when the reference row `version` (with effective_from / effective_to) is in force on
    the DATE expression `day`. -#}
{% macro in_force(version, day) -%}
    ({{ version }}.effective_from <= {{ day }}
        and ({{ version }}.effective_to is null or {{ day }} < {{ version }}.effective_to))
{%- endmacro %}
