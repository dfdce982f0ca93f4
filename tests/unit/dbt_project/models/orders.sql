select customer_id, 10 * customer_id as amount from {{ ref('stg_customers') }}
