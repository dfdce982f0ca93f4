select 1 as customer_id, 'ada' as name
union all
select 2 as customer_id, 'grace' as name
