{#- One row per valid licence and month of its term: the amount recognised in that month
    (SPEC 4.2). With D the term's days and c(m) the term days up to the end of month m,
    recognised(m) = round2(amount x c(m) / D) - round2(amount x c(m-1) / D), computed in integer
    cents (half away from zero), so each licence's schedule sums exactly to its amount. -#}
with

licenses as (

    select * from {{ ref('dim_licenses') }}

),

months as (

    {{ rows_per_month(
        'licenses',
        [
            'licenses.license_id',
            'licenses.organization_id',
            'licenses.term',
            'licenses.start_date',
            'licenses.end_date',
            'licenses.term_days',
            'licenses.amount',
            'cast(licenses.amount * 100 as ' ~ wide_int() ~ ') as amount_cents',
        ],
        "date_trunc('month', licenses.start_date)",
        "date_trunc('month', licenses.end_date - 1)",
        'revenue_month',
    ) }}

),

cumulated as (

    select
        months.*,
        {{ days_between(
            'months.start_date',
            'least(months.end_date, cast(months.revenue_month + interval 1 month as date))'
        ) }} as days_to_month_end,
        {{ days_between(
            'months.start_date', 'greatest(months.start_date, months.revenue_month)'
        ) }} as days_before_month
    from months

),

final as (

    select
        cumulated.license_id,
        cumulated.organization_id,
        cumulated.term,
        cumulated.revenue_month,
        cumulated.days_to_month_end - cumulated.days_before_month as days_in_month,
        cumulated.term_days,
        cumulated.amount as license_amount,
        {{ cents_to_decimal2(
            div_round_half_away('cumulated.amount_cents * cumulated.days_to_month_end',
                'cumulated.term_days')
            ~ ' - ' ~
            div_round_half_away('cumulated.amount_cents * cumulated.days_before_month',
                'cumulated.term_days')
        ) }} as recognized_amount,
        cast('USD' as string) as currency
    from cumulated

)

select * from final
