{{ config(**contract_checked_config('orders', 'shop')) }}

{#- Every raw order row once, judged by the contract (macro contract_checked), with the order's own rules. -#}
{{ contract_checked('orders', source('shop', 'orders'), version_order='coalesce(updated_at, ordered_at)', extra_checks=[
    ('discount_amount', 'coalesce(discount_amount, 0) > gross_amount', 'discount larger than gross amount'),
    ('refunded_amount', 'coalesce(refunded_amount, 0) > gross_amount - coalesce(discount_amount, 0)',
        'refund larger than the amount paid (gross - discount)'),
    ('actual_delivery_date', 'actual_delivery_date < ' ~ add_days('cast(' ~ utc_timestamp('ordered_at') ~ ' as date)', -1),
        'delivered before the order was placed'),
], incremental=is_incremental()) }}
