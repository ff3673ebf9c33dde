{#- Whole days from the DATE `start` to the DATE `end` (negative when end is before start), for
    the journal's revenue recognition (SPEC 12.3). Dispatched: each engine spells it its way. -#}
{% macro term_days_between(start, end) -%}
    {{ return(adapter.dispatch('term_days_between', 'automq_billing')(start, end)) }}
{%- endmacro %}

{% macro default__term_days_between(start, end) -%}
    datediff({{ end }}, {{ start }})
{%- endmacro %}

{% macro duckdb__term_days_between(start, end) -%}
    date_diff('day', cast({{ start }} as date), cast({{ end }} as date))
{%- endmacro %}

{#- Who invoices a charge (SPEC 10.2), as a journal memo names it. -#}
{% macro invoicer_title(invoiced_by) -%}
    case {{ invoiced_by }}
        when 'automq' then 'AutoMQ'
        when 'aws_marketplace' then 'AWS Marketplace'
        when 'azure_marketplace' then 'Azure Marketplace'
        when 'gcp_marketplace' then 'Google Cloud Marketplace'
        when 'alibaba_marketplace' then 'Alibaba Cloud Marketplace'
        else {{ invoiced_by }}
    end
{%- endmacro %}
