select customer_id, upper(name) as name from {{ ref('stg_customers') }}
