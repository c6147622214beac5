-- The PostgreSQL mirror of CloudStack's mshost tables (docs/databases.md, "The
-- PostgreSQL mirror"). CloudStack itself never runs on PostgreSQL; this is the
-- project's convention for the postgresql driver. Same names, keys and indexes as
-- tests/sql/mysql_schema.sql, with the nearest types:
--   bigint unsigned msid -> numeric(20,0) (2^64-1 does not fit bigint)
--   bigint unsigned ids  -> bigint
--   DATETIME             -> timestamp without time zone, holding UTC
--   char(40)             -> character(40) (padded with spaces on read)
-- Run in database `cloud`, schema public.

CREATE TABLE mshost (
  id bigserial PRIMARY KEY,
  msid numeric(20,0) NOT NULL UNIQUE CHECK (msid >= 0 AND msid <= 18446744073709551615),
  runid bigint NOT NULL DEFAULT 0,
  name varchar(255),
  uuid varchar(40) CONSTRAINT mshost_uuid UNIQUE,
  state varchar(25),
  version varchar(255),
  service_ip character(40) NOT NULL,
  service_port integer NOT NULL,
  last_update timestamp without time zone NULL,
  removed timestamp without time zone,
  alert_count integer NOT NULL DEFAULT 0
);
CREATE INDEX i_mshost__removed ON mshost (removed);
CREATE INDEX i_mshost__last_update ON mshost (last_update);
COMMENT ON COLUMN mshost.msid IS 'management server id derived from MAC address';
COMMENT ON COLUMN mshost.runid IS 'run id, combined with msid to form a cluster session';
COMMENT ON COLUMN mshost.last_update IS 'Last record update time, UTC';

CREATE TABLE mshost_peer (
  id bigserial PRIMARY KEY,
  owner_mshost bigint NOT NULL
    CONSTRAINT fk_mshost_peer__owner_mshost REFERENCES mshost (id) ON DELETE CASCADE,
  peer_mshost bigint NOT NULL
    CONSTRAINT fk_mshost_peer__peer_mshost REFERENCES mshost (id),
  peer_runid bigint NOT NULL,
  peer_state varchar(10) NOT NULL DEFAULT 'Down',
  last_update timestamp without time zone NULL,
  CONSTRAINT i_mshost_peer__owner_peer UNIQUE (owner_mshost, peer_mshost)
);

CREATE TABLE mshost_status (
  id bigserial PRIMARY KEY,
  ms_id varchar(40) DEFAULT NULL
    CONSTRAINT uc_ms_id UNIQUE
    CONSTRAINT mshost_status_fk REFERENCES mshost (uuid),
  last_jvm_start timestamp without time zone DEFAULT NULL,
  last_jvm_stop timestamp without time zone DEFAULT NULL,
  last_system_boot timestamp without time zone DEFAULT NULL,
  os_distribution varchar(255) DEFAULT NULL,
  java_name varchar(64) DEFAULT NULL,
  java_version varchar(64) DEFAULT NULL,
  updated timestamp without time zone DEFAULT NULL,
  created timestamp without time zone DEFAULT NULL,
  removed timestamp without time zone DEFAULT NULL
);
