-- CloudStack's own DDL for the tables the exporter reads, as a current installation
-- (4.20.1 and later) has them: setup/db/create-schema.sql plus the upgrade scripts
-- that touched these tables. Kept faithful on purpose, so tests exercise the real
-- types: bigint unsigned msid, DATETIME without zone, a nullable state.
--   schema-41120to41200.sql   ADD COLUMN uuid varchar(40) AFTER name
--   schema-41610to41700.sql   UNIQUE KEY mshost_UUID (uuid); CREATE TABLE mshost_status
--   schema-41810to41900.sql   MODIFY COLUMN state varchar(25)  (drops NOT NULL/DEFAULT)
--   schema-42000to42010.sql   mshost_peer unique key (owner_mshost, peer_mshost)
-- Run in database `cloud`.

CREATE TABLE `mshost` (
  `id` bigint unsigned NOT NULL auto_increment,
  `msid` bigint unsigned NOT NULL UNIQUE COMMENT 'management server id derived from MAC address',
  `runid` bigint NOT NULL DEFAULT 0 COMMENT 'run id, combined with msid to form a cluster session',
  `name` varchar(255),
  `uuid` varchar(40),
  `state` varchar(25),
  `version` varchar(255),
  `service_ip` char(40) NOT NULL,
  `service_port` integer NOT NULL,
  `last_update` DATETIME NULL COMMENT 'Last record update time',
  `removed` datetime COMMENT 'date removed if not null',
  `alert_count` integer NOT NULL DEFAULT 0,
  PRIMARY KEY  (`id`),
  CONSTRAINT `mshost_UUID` UNIQUE KEY (`uuid`),
  INDEX `i_mshost__removed`(`removed`),
  INDEX `i_mshost__last_update`(`last_update`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `mshost_peer` (
  `id` bigint unsigned NOT NULL auto_increment,
  `owner_mshost` bigint unsigned NOT NULL,
  `peer_mshost` bigint unsigned NOT NULL,
  `peer_runid` bigint NOT NULL,
  `peer_state` varchar(10) NOT NULL DEFAULT 'Down',
  `last_update` DATETIME NULL COMMENT 'Last record update time',
  PRIMARY KEY  (`id`),
  CONSTRAINT `fk_mshost_peer__owner_mshost` FOREIGN KEY (`owner_mshost`) REFERENCES `mshost`(`id`) ON DELETE CASCADE,
  CONSTRAINT `fk_mshost_peer__peer_mshost` FOREIGN KEY (`peer_mshost`) REFERENCES `mshost`(`id`),
  UNIQUE KEY `i_mshost_peer__owner_peer`(`owner_mshost`, `peer_mshost`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `mshost_status` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT COMMENT 'id',
  `ms_id` varchar(40) DEFAULT NULL COMMENT 'the uuid of the management server record',
  `last_jvm_start` datetime DEFAULT NULL COMMENT 'the last start time for this MS',
  `last_jvm_stop` datetime DEFAULT NULL COMMENT 'the last stop time for this MS',
  `last_system_boot` datetime DEFAULT NULL COMMENT 'the last system boot time for the host of this MS',
  `os_distribution` varchar(255) CHARACTER SET utf8 COLLATE utf8_general_ci DEFAULT NULL COMMENT 'the name of the os type running on the host of this MS',
  `java_name` varchar(64) DEFAULT NULL COMMENT 'the name of the java distribution running this MS',
  `java_version` varchar(64) DEFAULT NULL COMMENT 'the version of the java distribution running this MS',
  `updated` datetime DEFAULT NULL,
  `created` datetime DEFAULT NULL,
  `removed` datetime DEFAULT NULL,
  PRIMARY KEY (`id`),
  CONSTRAINT `uc_ms_id` UNIQUE (`ms_id`),
  CONSTRAINT `mshost_status_FK` FOREIGN KEY (`ms_id`) REFERENCES `mshost` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- What a node holds (docs/databases.md, "What a node holds"): the agents connected
-- to it and its async jobs. `host` as setup/db/create-schema.sql creates it (later
-- upgrades add columns the exporter does not read: uuid, resource_state, ...); the
-- foreign keys to cluster and host_pod_ref are left out, those tables are not here.
CREATE TABLE `host` (
  `id` bigint unsigned NOT NULL auto_increment,
  `name` varchar(255) NOT NULL,
  `status` varchar(32) NOT NULL,
  `type` varchar(32) NOT NULL,
  `private_ip_address` char(40) NOT NULL,
  `private_netmask` varchar(15),
  `private_mac_address` varchar(17),
  `cluster_id` bigint unsigned COMMENT 'foreign key to cluster',
  `data_center_id` bigint unsigned NOT NULL,
  `pod_id` bigint unsigned,
  `hypervisor_type` varchar(32) COMMENT 'hypervisor type, can be NONE for storage',
  `version` varchar(40) NOT NULL,
  `guid` varchar(255) UNIQUE,
  `dom0_memory` bigint unsigned NOT NULL COMMENT 'memory used by dom0 for computing and routing servers',
  `last_ping` int(10) unsigned NOT NULL COMMENT 'time in seconds from the start of machine of the last ping',
  `mgmt_server_id` bigint unsigned COMMENT 'ManagementServer this host is connected to.',
  `disconnected` datetime COMMENT 'Time this was disconnected',
  `created` datetime COMMENT 'date the host first signed on',
  `removed` datetime COMMENT 'date removed if not null',
  PRIMARY KEY  (`id`),
  INDEX `i_host__removed`(`removed`),
  INDEX `i_host__last_ping`(`last_ping`),
  INDEX `i_host__status`(`status`),
  INDEX `i_host__data_center_id`(`data_center_id`),
  INDEX `i_host__pod_id`(`pod_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- `async_job` as create-schema.sql creates it plus schema-421to430.sql (related,
-- job_type, job_dispatcher, job_executing_msid, job_pending_signals; session_key,
-- job_cmd_originator and the callback columns dropped). job_status is
-- JobInfo.Status's ordinal: 0 IN_PROGRESS, 1 SUCCEEDED, 2 FAILED, 3 CANCELLED.
CREATE TABLE `async_job` (
  `id` bigint unsigned NOT NULL auto_increment,
  `user_id` bigint unsigned NOT NULL,
  `account_id` bigint unsigned NOT NULL,
  `instance_type` varchar(64) COMMENT 'instance_type and instance_id work together to allow attaching an instance object to a job',
  `instance_id` bigint unsigned,
  `job_cmd` varchar(64) NOT NULL COMMENT 'command name',
  `job_cmd_info` text COMMENT 'command parameter info',
  `job_cmd_ver` int(1) COMMENT 'command version',
  `job_status` int(1) COMMENT 'general job execution status',
  `job_process_status` int(1) COMMENT 'job specific process status for asynchronize progress update',
  `job_result_code` int(1) COMMENT 'job result code, specify error code corresponding to result message',
  `job_result` text COMMENT 'job result info',
  `job_init_msid` bigint COMMENT 'the initiating msid',
  `job_complete_msid` bigint COMMENT 'completing msid',
  `created` datetime COMMENT 'date created',
  `last_updated` datetime COMMENT 'date created',
  `last_polled` datetime COMMENT 'date polled',
  `removed` datetime COMMENT 'date removed',
  `uuid` varchar(40),
  `related` char(40) NOT NULL,
  `job_type` varchar(32),
  `job_dispatcher` varchar(64),
  `job_executing_msid` bigint,
  `job_pending_signals` int(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  INDEX `i_async_job__removed`(`removed`),
  INDEX `i_async__user_id`(`user_id`),
  INDEX `i_async__account_id`(`account_id`),
  INDEX `i_async__instance_type_id`(`instance_type`,`instance_id`),
  INDEX `i_async__job_cmd`(`job_cmd`),
  INDEX `i_async__created`(`created`),
  INDEX `i_async__last_updated`(`last_updated`),
  INDEX `i_async__last_poll`(`last_polled`),
  CONSTRAINT `uc_async__uuid` UNIQUE (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
