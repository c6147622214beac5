// Configuration: the YAML file (docs/configuration.md) turned into plain structs.
//
// config/ only reads YAML: each module owns its settings struct and its table of
// names (source/source.h drivers, probe/prober.h probe kinds, alerting/rules.h
// alerts, judge/verdict.h heartbeat), and the loader asks those tables.
//
// LoadConfig reads and validates a whole file and reports every problem at once,
// each naming file:line:column and the key as a path ("targets[0].database.driver").
// A Config that comes back is complete: defaults applied, ports chosen by driver,
// relative paths resolved against the file's folder, passwords read, every alert
// rule present. Unknown keys are errors, so a typo never silently means "default".
// The structs are plain values: copy them freely. Loading is thread-safe (no globals;
// it reads the environment for password_env). docs/configuration.md explains each key.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "alerting/rules.h"
#include "common/status.h"
#include "judge/verdict.h"
#include "probe/prober.h"
#include "source/source.h"

namespace msx {

struct TargetConfig {
  std::string name;
  DatabaseConfig database;
  HeartbeatConfig heartbeat;
  ProbeConfig probe;
  BlastRadiusConfig blast_radius;
  std::map<std::string, std::string> labels;  // added to every alert of this target
  // false: nodes that are Down and do not answer (verdict ok) leave the target's
  // metrics (docs/http.md, "Cardinality"); alerts, the status page and JSON keep them.
  bool include_down_nodes = true;

  // Every field: a reload replaces a target's poller exactly when this differs.
  auto Tie() const {
    return std::tie(name, database, heartbeat, probe, blast_radius, labels,
                    include_down_nodes);
  }
  bool operator==(const TargetConfig& o) const { return Tie() == o.Tie(); }
  bool operator!=(const TargetConfig& o) const { return !(*this == o); }
};

struct Config {
  std::string file;  // the path it was loaded from
  double poll_interval_seconds = 2;
  std::string default_target;  // resolved: the first target's name when not set
  std::string listen_address = ":9887";
  std::vector<TargetConfig> targets;
  AlertingConfig alerting;

  // The target named exactly `name`, or nullptr.
  const TargetConfig* FindTarget(const std::string& name) const;
};

struct ConfigError {
  std::string file;
  int line = 0;     // 1-based; 0 when the problem has no place (unreadable file)
  int column = 0;   // 1-based
  std::string key;  // e.g. "targets[0].database.driver"; empty for the whole file
  std::string message;
  // "file:line:column: key: message"; without ":line:column" when line is 0 and
  // without "key: " when key is empty.
  std::string ToString() const;
};

// The configuration, or every problem of the file; and the warnings, which are kept
// whether or not the file has errors, so the user sees them in the same attempt.
struct ConfigLoad {
  StatusOr<Config> config;
  // Formatted like ConfigError::ToString (e.g. an inline password); never secrets.
  std::vector<std::string> warnings;
};

// Reads, parses and validates `path`; resolves password_file/password_env. Never
// throws: every failure (unreadable file, YAML syntax, bad values) is one problem of
// config's status, formatted by ConfigError::ToString, sorted by place in the file.
ConfigLoad LoadConfig(const std::string& path);
// The same from text already in memory; `file` is used in messages and to resolve
// relative paths.
ConfigLoad ParseConfig(const std::string& yaml_text, const std::string& file);

// Splits "host:port", "[ipv6]:port" or ":port" (host ""). Returns false unless the
// port is a decimal from 0 to 65535; callers that need a real port check for 0. Used
// for web.listen_address (and its flag) and probe overrides.
bool SplitHostPort(const std::string& address, std::string* host, int* port);

}  // namespace msx
