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

-- What a node holds: `host` and `async_job` as in tests/sql/mysql_schema.sql, same
-- columns and indexes. host.mgmt_server_id is an msid (bigint unsigned), so
-- numeric(20,0) like mshost.msid; the job msids are signed bigint in CloudStack too.
CREATE TABLE host (
  id bigserial PRIMARY KEY,
  name varchar(255) NOT NULL,
  status varchar(32) NOT NULL,
  type varchar(32) NOT NULL,
  private_ip_address character(40) NOT NULL,
  private_netmask varchar(15),
  private_mac_address varchar(17),
  cluster_id bigint,
  data_center_id bigint NOT NULL,
  pod_id bigint,
  hypervisor_type varchar(32),
  version varchar(40) NOT NULL,
  guid varchar(255) UNIQUE,
  dom0_memory bigint NOT NULL,
  last_ping bigint NOT NULL,
  mgmt_server_id numeric(20,0) CHECK (mgmt_server_id >= 0 AND mgmt_server_id <= 18446744073709551615),
  disconnected timestamp without time zone,
  created timestamp without time zone,
  removed timestamp without time zone
);
CREATE INDEX i_host__removed ON host (removed);
CREATE INDEX i_host__last_ping ON host (last_ping);
CREATE INDEX i_host__status ON host (status);
CREATE INDEX i_host__data_center_id ON host (data_center_id);
CREATE INDEX i_host__pod_id ON host (pod_id);

CREATE TABLE async_job (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL,
  account_id bigint NOT NULL,
  instance_type varchar(64),
  instance_id bigint,
  job_cmd varchar(64) NOT NULL,
  job_cmd_info text,
  job_cmd_ver integer,
  job_status integer,
  job_process_status integer,
  job_result_code integer,
  job_result text,
  job_init_msid bigint,
  job_complete_msid bigint,
  created timestamp without time zone,
  last_updated timestamp without time zone,
  last_polled timestamp without time zone,
  removed timestamp without time zone,
  uuid varchar(40) CONSTRAINT uc_async__uuid UNIQUE,
  related character(40) NOT NULL,
  job_type varchar(32),
  job_dispatcher varchar(64),
  job_executing_msid bigint,
  job_pending_signals integer NOT NULL DEFAULT 0
);
CREATE INDEX i_async_job__removed ON async_job (removed);
CREATE INDEX i_async__user_id ON async_job (user_id);
CREATE INDEX i_async__account_id ON async_job (account_id);
CREATE INDEX i_async__instance_type_id ON async_job (instance_type, instance_id);
CREATE INDEX i_async__job_cmd ON async_job (job_cmd);
CREATE INDEX i_async__created ON async_job (created);
CREATE INDEX i_async__last_updated ON async_job (last_updated);
CREATE INDEX i_async__last_poll ON async_job (last_polled);
