// Configuration: the YAML file of CONTRACT.md turned into plain structs.
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
#include <vector>

namespace msx {

struct TlsConfig {
  // disabled | preferred | required | verify_ca | verify_full
  std::string mode = "preferred";
  std::string ca_file;    // resolved against the config file's folder
  std::string cert_file;  // client certificate (optional)
  std::string key_file;
};

struct DatabaseConfig {
  std::string driver = "mysql";    // mysql | postgresql
  std::string host = "127.0.0.1";  // "" when socket is set: use exactly one of them
  std::string socket;              // mysql: the socket file; postgresql: its folder
  int port = 0;  // after loading 1..65535: default 3306 mysql, 5432 postgresql
  std::string user;
  // Exactly one way to the password; the loader resolves it into `password` so
  // drivers never read files or the environment themselves.
  std::string password_file;     // as resolved (absolute or relative to the cwd)
  std::string password_env;      // the variable's name
  std::string password;          // resolved secret: never log it
  bool password_inline = false;  // `password:` was used in the file (discouraged)
  std::string name = "cloud";
  double connect_timeout_seconds = 3;
  double query_timeout_seconds = 3;
  TlsConfig tls;
};

struct HeartbeatConfig {
  double stale_after_seconds = 10;
  double dead_after_seconds = 5;  // REQUIRES: <= stale_after_seconds
};

struct ProbeConfig {
  std::string kind = "tcp";            // tcp | http | none
  std::string address = "service_ip";  // service_ip | name | a fixed host
  std::string port = "service_port";   // service_port | a number 1..65535 as text
  // msid (canonical decimal, no leading zeros) -> "host:port" (SplitHostPort-able).
  std::map<std::string, std::string> overrides;
  double timeout_seconds = 1;
};

struct TargetConfig {
  std::string name;
  DatabaseConfig database;
  HeartbeatConfig heartbeat;
  ProbeConfig probe;
  std::map<std::string, std::string> labels;  // added to every alert of this target
};

struct AlertRuleConfig {
  double for_seconds = 0;
  std::string severity;
};

struct AlertingConfig {
  std::vector<std::string> alertmanagers;  // base URLs, e.g. http://127.0.0.1:9093
  double resend_interval_seconds = 30;
  // Every alert of the contract (all 7 names), with the contract's default `for` and
  // severity wherever the file does not change them.
  std::map<std::string, AlertRuleConfig> rules;
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

struct ConfigResult {
  std::optional<Config> config;  // set only when errors is empty
  std::vector<ConfigError> errors;
  // Formatted like ConfigError::ToString (e.g. an inline password); never secrets.
  std::vector<std::string> warnings;
};

// Reads, parses and validates `path`; resolves password_file/password_env. Never
// throws: every failure (unreadable file, YAML syntax, bad values) is in errors.
ConfigResult LoadConfig(const std::string& path);
// The same from text already in memory; `file` is used in messages and to resolve
// relative paths.
ConfigResult ParseConfig(const std::string& yaml_text, const std::string& file);

// Splits "host:port", "[ipv6]:port" or ":port" (host ""). Returns false unless the
// port is a decimal from 0 to 65535; callers that need a real port check for 0. Used
// for web.listen_address (and its flag) and probe overrides.
bool SplitHostPort(const std::string& address, std::string* host, int* port);

}  // namespace msx
