-- The exporter reads, never writes: SELECT on CloudStack's database only.
-- (Database-level because the simulator may create the tables after this runs; on a
-- real CloudStack grant SELECT on cloud.mshost, cloud.mshost_peer and cloud.mshost_status.)
CREATE USER IF NOT EXISTS 'exporter'@'%' IDENTIFIED BY 'demo-exporter';
GRANT SELECT ON cloud.* TO 'exporter'@'%';
