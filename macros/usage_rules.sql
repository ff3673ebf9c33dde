{#- The vocabularies of SPEC 1.1, defined once. -#}
{% macro usage_meters() -%}
    {{ return(['ingress_bytes', 'egress_bytes', 'retained_bytes', 'uptime_seconds',
               'write_peak_bytes_per_s', 'read_peak_bytes_per_s']) }}
{%- endmacro %}

{% macro pricing_modes() -%}
    {{ return(['usage_based', 'prepaid']) }}
{%- endmacro %}

{% macro cluster_tiers() -%}
    {{ return(['dev', 'pro', 'enterprise']) }}
{%- endmacro %}

{#- Quarantine reasons in the order SPEC 1.1 applies them (validation first, then identity). -#}
{% macro quarantine_reasons() -%}
    {{ return(['missing_field', 'unknown_meter', 'unknown_pricing_mode', 'unknown_cluster_tier',
               'negative_quantity', 'misaligned_hour', 'uptime_out_of_range', 'future_hour',
               'event_id_conflict', 'measurement_conflict']) }}
{%- endmacro %}

{% macro sql_list(values) -%}
    ({%- for value in values -%}'{{ value }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{% macro license_channels() -%}
    {{ return(['aws_marketplace', 'azure_marketplace', 'gcp_marketplace', 'alibaba_marketplace',
               'offline_contract', 'trial']) }}
{%- endmacro %}
