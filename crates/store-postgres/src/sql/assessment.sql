-- assessment tables (PostgreSQL). See migrations.rs for the type conventions.
SELECT 1;
