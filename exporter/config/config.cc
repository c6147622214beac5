// The schema of the configuration file (docs/configuration.md): which keys exist,
// their defaults and what makes a value valid. The mechanics of walking YAML and
// placing errors live in yaml_reader.h.
#include "config/config.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <optional>
#include <sstream>

#include "common/duration.h"
#include "common/paths.h"
#include "common/read_file.h"
#include "config/yaml_reader.h"

namespace msx {

using config_internal::Entry;
using config_internal::MapReader;
using config_internal::ParseInteger;
using config_internal::PlaceOf;
using config_internal::Problems;
using config_internal::ScalarText;

namespace {

const std::vector<std::string> kReservedLabels = {"alertname", "severity", "target",
                                                  "msid", "name"};

// Caps on what is read into memory (common/read_file.h): far above any real file.
constexpr size_t kMaxConfigFileBytes = 16 << 20;  // thousands of targets fit in 1 MiB
constexpr size_t kMaxPasswordFileBytes = 64 << 10;

// Prometheus label names, minus the "__" prefix Prometheus keeps for itself.
bool IsLabelName(const std::string& name) {
  if (name.empty() || name.compare(0, 2, "__") == 0) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (!(std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c)))) return false;
  }
  return true;
}

// An msid is an unsigned 64-bit decimal. The canonical form (no leading zeros) is
// what the database returns, so overrides match whatever way the user wrote it.
bool ParseMsid(const std::string& text, uint64_t* msid) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *msid = value;
  return true;
}

std::string StripOneNewline(std::string text) {
  if (text.size() >= 2 && text.compare(text.size() - 2, 2, "\r\n") == 0) {
    text.resize(text.size() - 2);
  } else if (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

// Remembers where the first node of a document starts (the root's mark).
class FirstNodeMark : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> mark;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { Note(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { Note(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Note(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Note(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Note(m);
  }
  void OnMapEnd() override {}

 private:
  void Note(const YAML::Mark& m) {
    if (!mark) mark = m;
  }
};

// Where the second document of `text` starts, if it has one. Not YAML::LoadAll:
// yaml-cpp 0.7's never returns on a stray ',' after a top-level node (e.g. a JSON
// config with a trailing comma), making empty documents until memory runs out
// (jbeder/yaml-cpp#1040; found by tests/fuzz). Throws YAML::ParserException.
std::optional<YAML::Mark> SecondDocument(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  FirstNodeMark first, second;
  if (!parser.HandleNextDocument(first) || !parser.HandleNextDocument(second)) {
    return std::nullopt;
  }
  return second.mark.value_or(YAML::Mark::null_mark());
}

// Reads one configuration text. One Loader per file; not reusable.
class Loader {
 public:
  explicit Loader(const std::string& file) : file_(file), problems_(file) {}

  ConfigLoad Parse(const std::string& text) {
    Config config;
    config.file = file_;
    try {
      ParseDocument(text, &config);
    } catch (const YAML::Exception& e) {
      problems_.Add(e.mark, "", std::string("cannot read YAML: ") + e.msg);
    } catch (const std::exception& e) {
      problems_.AddWhole(std::string("cannot read: ") + e.what());
    }
    if (!problems_.empty()) {
      std::vector<std::string> messages;
      for (const ConfigError& error : problems_.Sorted()) {
        messages.push_back(error.ToString());
      }
      return {Status::Errors(std::move(messages)), problems_.warnings()};
    }
    return {std::move(config), problems_.warnings()};
  }

 private:
  void ParseDocument(const std::string& text, Config* config) {
    YAML::Node root;
    std::optional<YAML::Mark> second_document;
    try {
      root = YAML::Load(text);
      second_document = SecondDocument(text);
    } catch (const YAML::ParserException& e) {
      problems_.Add(e.mark, "", "YAML syntax error: " + e.msg);
      return;
    }
    if (root.IsNull()) {
      problems_.AddWhole(
          "the file is empty; it needs at least a targets: list (see "
          "config/mshost_exporter.example.yml)");
      return;
    }
    if (second_document) {
      problems_.Add(*second_document, "",
                    "only one YAML document is allowed; remove everything from the "
                    "second \"---\" on");
    }
    if (!root.IsMap()) {
      problems_.Add(root.Mark(), "",
                    "the file must be a mapping of keys (poll_interval, targets, ...), "
                    "not " +
                        config_internal::DescribeNodeType(root));
      return;
    }
    ReadTop(root, config);
  }

  // The reader for the mapping under `key` of `parent` (empty when absent).
  MapReader Child(const MapReader& parent, const std::string& key,
                  std::initializer_list<const char*> allowed) {
    const Entry* entry = parent.Find(key);
    if (entry == nullptr) {
      return MapReader(YAML::Node(), parent.place(), parent.PathOf(key), allowed,
                       &problems_);
    }
    return MapReader(entry->value, entry->value_mark, parent.PathOf(key), allowed,
                     &problems_);
  }

  MapReader FreeChild(const MapReader& parent, const std::string& key) {
    const Entry* entry = parent.Find(key);
    if (entry == nullptr) {
      return MapReader(YAML::Node(), parent.place(), parent.PathOf(key), &problems_);
    }
    return MapReader(entry->value, entry->value_mark, parent.PathOf(key), &problems_);
  }

  void ReadTop(const YAML::Node& root, Config* config) {
    MapReader top(root, root.Mark(), "",
                  {"poll_interval", "default_target", "web", "targets", "alerting"},
                  &problems_);
    top.Duration("poll_interval", /*positive=*/true, &config->poll_interval_seconds);

    MapReader web = Child(top, "web", {"listen_address"});
    std::string listen;
    if (web.String("listen_address", &listen)) {
      std::string host;
      int port;
      if (SplitHostPort(listen, &host, &port)) {
        config->listen_address = listen;
      } else {
        web.Fail("listen_address",
                 "must be HOST:PORT or :PORT with a port from 0 to 65535 (e.g. "
                 "\":9887\"), not \"" +
                     listen + "\"");
      }
    }

    ReadTargets(top, config);

    if (top.NonEmptyString("default_target", &config->default_target)) {
      if (config->FindTarget(config->default_target) == nullptr) {
        std::string names;
        for (const TargetConfig& target : config->targets) {
          if (config->FindTarget(target.name) != &target) continue;  // a duplicate
          names += (names.empty() ? "" : ", ") + target.name;
        }
        top.Fail("default_target", "must name a configured target (" + names +
                                       "), not \"" + config->default_target + "\"");
      }
    } else if (!config->targets.empty()) {
      config->default_target = config->targets[0].name;
    }

    ReadAlerting(Child(top, "alerting", {"alertmanagers", "resend_interval", "rules"}),
                 &config->alerting);
  }

  void ReadTargets(MapReader& top, Config* config) {
    const Entry* entry = top.Find("targets");
    if (entry == nullptr || entry->value.IsNull()) {
      top.Fail("targets",
               "required: a list with at least one target (- name: ..., database: ...)");
      return;
    }
    if (!entry->value.IsSequence()) {
      top.Fail("targets", "must be a list of targets (- name: ...), not " +
                              config_internal::DescribeNodeType(entry->value));
      return;
    }
    if (entry->value.size() == 0) {
      top.Fail("targets", "must list at least one target");
      return;
    }
    std::map<std::string, std::string> paths_by_name;
    for (size_t i = 0; i < entry->value.size(); ++i) {
      const YAML::Node item = entry->value[i];
      const std::string path = "targets[" + std::to_string(i) + "]";
      TargetConfig target;
      ReadTarget(MapReader(item, PlaceOf(item, entry->value_mark), path,
                           {"name", "database", "heartbeat", "probe", "blast_radius",
                            "labels", "include_down_nodes"},
                           &problems_),
                 &target, &paths_by_name);
      config->targets.push_back(std::move(target));
    }
  }

  void ReadTarget(MapReader t, TargetConfig* target,
                  std::map<std::string, std::string>* paths_by_name) {
    if (!t.is_mapping()) return;
    if (!t.Has("name")) {
      t.Fail("name",
             "required: a unique name, used in /probe?target=NAME and as the alert "
             "label target");
    } else if (t.NonEmptyString("name", &target->name)) {
      auto inserted = paths_by_name->emplace(target->name, t.path());
      if (!inserted.second) {
        t.Fail("name", "duplicate target name \"" + target->name + "\" (also " +
                           inserted.first->second + "); names must be unique");
      }
    }
    ReadDatabase(Child(t, "database",
                       {"driver", "host", "socket", "port", "user", "password_file",
                        "password_env", "password", "name", "connect_timeout",
                        "query_timeout", "tls"}),
                 &target->database);
    ReadHeartbeat(Child(t, "heartbeat", {"stale_after", "dead_after"}),
                  &target->heartbeat);
    ReadProbe(Child(t, "probe", {"kind", "address", "port", "overrides", "timeout"}),
              &target->probe);
    ReadBlastRadius(Child(t, "blast_radius", {"interval"}), &target->blast_radius);
    ReadLabels(FreeChild(t, "labels"), &target->labels);
    t.Bool("include_down_nodes", &target->include_down_nodes);
  }

  void ReadBlastRadius(MapReader br, BlastRadiusConfig* out) {
    br.Duration("interval", /*positive=*/true, &out->interval_seconds);
  }

  void ReadDatabase(MapReader db, DatabaseConfig* out) {
    db.OneOf(
        "driver", [](const std::string& name) { return FindDriver(name) != nullptr; },
        DriverNames(), &out->driver);

    db.NonEmptyString("host", &out->host);
    db.NonEmptyString("socket", &out->socket);
    if (db.Has("host") && db.Has("socket")) {
      db.Fail("socket", "set either host or socket, not both");
    } else if (!out->socket.empty()) {
      out->host.clear();  // so no driver can mistake the default host for a choice
    }

    if (!db.Int("port", 1, 65535, &out->port)) {
      const Driver* driver = FindDriver(out->driver);
      out->port = driver != nullptr ? driver->default_port : 0;
    }
    db.String("user", &out->user);
    db.NonEmptyString("name", &out->name);
    db.Duration("connect_timeout", /*positive=*/true, &out->connect_timeout_seconds);
    db.Duration("query_timeout", /*positive=*/true, &out->query_timeout_seconds);
    ReadPassword(db, out);

    MapReader tls = Child(db, "tls", {"mode", "ca_file", "cert_file", "key_file"});
    std::string mode;
    if (tls.OneOf(
            "mode", [](const std::string& name) { return TlsModeOf(name).has_value(); },
            TlsModeNames(), &mode)) {
      out->tls.mode = *TlsModeOf(mode);
    }
    for (auto [key, field] : {std::make_pair("ca_file", &out->tls.ca_file),
                              std::make_pair("cert_file", &out->tls.cert_file),
                              std::make_pair("key_file", &out->tls.key_file)}) {
      if (tls.NonEmptyString(key, field)) *field = ResolveNextToFile(file_, *field);
    }
    if (tls.Has("cert_file") != tls.Has("key_file")) {
      tls.Fail(tls.Has("cert_file") ? "key_file" : "cert_file",
               "required with " +
                   std::string(tls.Has("cert_file") ? "cert_file" : "key_file") +
                   ": a client certificate needs both cert_file and key_file");
    }
  }

  // Turns whichever of the three ways the file uses into the secret itself, so
  // drivers never read files or the environment.
  void ReadPassword(MapReader& db, DatabaseConfig* out) {
    const Entry* first = nullptr;
    for (const Entry& entry : db.entries()) {
      if (entry.key != "password_file" && entry.key != "password_env" &&
          entry.key != "password") {
        continue;
      }
      if (first != nullptr) {
        db.Fail(entry.key, "conflicts with " + first->key +
                               ": set only one of password_file, password_env, password");
        return;
      }
      first = &entry;
    }
    if (first == nullptr) return;

    if (first->key == "password_file") {
      if (!db.NonEmptyString("password_file", &out->password_file)) return;
      out->password_file = ResolveNextToFile(file_, out->password_file);
      StatusOr<std::string> content = ReadFileAtMost(out->password_file, kMaxPasswordFileBytes);
      if (!content.ok()) {
        db.Fail("password_file", "cannot read password file \"" + out->password_file +
                                     "\": " + content.status().message());
        return;
      }
      out->password = StripOneNewline(std::move(content).value());
    } else if (first->key == "password_env") {
      if (!db.NonEmptyString("password_env", &out->password_env)) return;
      const char* value = std::getenv(out->password_env.c_str());
      if (value == nullptr) {
        db.Fail("password_env",
                "environment variable " + out->password_env + " is not set");
        return;
      }
      out->password = value;
    } else {
      if (!db.String("password", &out->password)) return;
      out->password_inline = true;
      problems_.Warn(first->value_mark, db.PathOf("password"),
                     "password written in the config file; prefer password_file or "
                     "password_env");
    }
  }

  void ReadHeartbeat(MapReader hb, HeartbeatConfig* out) {
    // Unset thresholds follow each node's observed heartbeat interval (judge/verdict.h).
    double seconds = 0;
    if (hb.Duration("stale_after", /*positive=*/false, &seconds)) {
      out->stale_after_seconds = seconds;
    }
    if (hb.Duration("dead_after", /*positive=*/false, &seconds)) {
      out->dead_after_seconds = seconds;
    }
    if (out->stale_after_seconds && out->dead_after_seconds &&
        *out->dead_after_seconds > *out->stale_after_seconds) {
      // dead = silent and unreachable: that must not take longer than stale alone.
      hb.Fail(hb.Has("dead_after") ? "dead_after" : "stale_after",
              "dead_after (" + FormatDurationSeconds(*out->dead_after_seconds) +
                  ") must not be longer than stale_after (" +
                  FormatDurationSeconds(*out->stale_after_seconds) + ")");
    }
  }

  void ReadProbe(MapReader probe, ProbeConfig* out) {
    probe.OneOf(
        "kind", [](const std::string& name) { return FindProbeKind(name) != nullptr; },
        ProbeKindNames(), &out->kind);
    std::string address;
    if (probe.NonEmptyString("address", &address)) {
      if (address == "service_ip") {
        out->address = ProbeAddressSource::kServiceIp;
      } else if (address == "name") {
        out->address = ProbeAddressSource::kName;
      } else {
        out->address = ProbeAddressSource::kFixedHost;
        // Users write IPv6 hosts in URL style too.
        if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
          address = address.substr(1, address.size() - 2);
        }
        out->fixed_host = address;
      }
    }
    std::string port;
    if (probe.String("port", &port)) {
      std::optional<long long> number = ParseInteger(port, 1, 65535);
      if (port == "service_port") {
        out->fixed_port.reset();
      } else if (number) {
        out->fixed_port = static_cast<int>(*number);
      } else {
        probe.Fail("port",
                   "must be service_port or a whole number from 1 to 65535, not \"" +
                       port + "\"");
      }
    }
    probe.Duration("timeout", /*positive=*/true, &out->timeout_seconds);
    if (out->kind == "http" && !out->fixed_port) {
      // The cluster port binds only to cluster.node.IP and speaks TLS that requires a
      // client certificate (docs/configuration.md, "Which port to probe").
      probe.Fail(probe.Has("port") ? "port" : "kind",
                 "kind http cannot probe service_port: the cluster port speaks TLS "
                 "and requires a client certificate, so an HTTP probe of it never "
                 "succeeds; use kind tcp, or probe the API port (port: 8080, any HTTP "
                 "answer from /client/api proves the JVM serves)");
    }

    MapReader overrides = FreeChild(probe, "overrides");
    for (const Entry& entry : overrides.entries()) {
      const std::string path = overrides.PathOf(entry.key);
      uint64_t msid = 0;
      if (!ParseMsid(entry.key, &msid)) {
        problems_.Add(entry.key_node.Mark(), path,
                      "keys must be msids: unsigned 64-bit decimal numbers");
        continue;
      }
      std::optional<std::string> value =
          ScalarText(entry.value, entry.value_mark, path, "\"host:port\"", &problems_);
      if (!value) continue;
      HostPort host_port;
      if (!SplitHostPort(*value, &host_port.host, &host_port.port) ||
          host_port.host.empty() || host_port.port == 0) {
        problems_.Add(
            entry.value_mark, path,
            "must be \"host:port\" with a port from 1 to 65535, not \"" + *value + "\"");
        continue;
      }
      if (!out->overrides.emplace(msid, host_port).second) {
        problems_.Add(entry.key_node.Mark(), path,
                      "duplicate msid " + std::to_string(msid) +
                          " (written another way above)");
      }
    }
  }

  void ReadLabels(MapReader labels, std::map<std::string, std::string>* out) {
    for (const Entry& entry : labels.entries()) {
      const std::string path = labels.PathOf(entry.key);
      std::optional<std::string> value =
          ScalarText(entry.value, entry.value_mark, path, "a string", &problems_);
      if (!IsLabelName(entry.key)) {
        problems_.Add(entry.key_node.Mark(), path,
                      "not a valid label name: use letters, digits and _, not starting "
                      "with a digit or __");
      } else if (std::find(kReservedLabels.begin(), kReservedLabels.end(), entry.key) !=
                 kReservedLabels.end()) {
        problems_.Add(entry.key_node.Mark(), path,
                      "reserved: the exporter sets alertname, severity, target, msid "
                      "and name itself");
      } else if (value) {
        (*out)[entry.key] = *value;
      }
    }
  }

  void ReadAlerting(MapReader alerting, AlertingConfig* out) {
    if (const Entry* entry = alerting.Find("alertmanagers");
        entry != nullptr && !entry->value.IsNull()) {
      if (!entry->value.IsSequence()) {
        alerting.Fail("alertmanagers",
                      "must be a list of URLs (e.g. [\"http://127.0.0.1:9093\"]), not " +
                          config_internal::DescribeNodeType(entry->value));
      } else {
        for (size_t i = 0; i < entry->value.size(); ++i) {
          const YAML::Node item = entry->value[i];
          const YAML::Mark place = PlaceOf(item, entry->value_mark);
          const std::string path =
              alerting.PathOf("alertmanagers") + "[" + std::to_string(i) + "]";
          std::optional<std::string> url =
              ScalarText(item, place, path, "a URL", &problems_);
          if (!url) continue;
          const bool http = url->rfind("http://", 0) == 0 && url->size() > 7;
          const bool https = url->rfind("https://", 0) == 0 && url->size() > 8;
          if (!http && !https) {
            problems_.Add(place, path,
                          "must be a URL starting with http:// or https:// (e.g. "
                          "http://127.0.0.1:9093), not \"" +
                              *url + "\"");
            continue;
          }
          out->alertmanagers.push_back(*url);
        }
      }
    }
    alerting.Duration("resend_interval", /*positive=*/true,
                      &out->resend_interval_seconds);

    for (const AlertRule& rule : DefaultAlertRules()) {
      out->rules[rule.alertname] = AlertRuleConfig{rule.for_seconds, rule.severity};
    }
    MapReader rules = FreeChild(alerting, "rules");
    for (const Entry& entry : rules.entries()) {
      auto known = out->rules.find(entry.key);
      if (known == out->rules.end()) {
        problems_.Add(entry.key_node.Mark(), rules.PathOf(entry.key),
                      "unknown alert; must be one of " + AlertNames());
        continue;
      }
      MapReader rule(entry.value, entry.value_mark, rules.PathOf(entry.key),
                     {"for", "severity"}, &problems_);
      rule.Duration("for", /*positive=*/false, &known->second.for_seconds);
      rule.NonEmptyString("severity", &known->second.severity);
    }
  }

  const std::string file_;
  Problems problems_;
};

}  // namespace

const TargetConfig* Config::FindTarget(const std::string& name) const {
  for (const TargetConfig& target : targets) {
    if (target.name == name) return &target;
  }
  return nullptr;
}

std::string ConfigError::ToString() const {
  std::ostringstream out;
  out << file;
  if (line > 0) out << ":" << line << ":" << column;
  out << ": ";
  if (!key.empty()) out << key << ": ";
  out << message;
  return out.str();
}

bool SplitHostPort(const std::string& address, std::string* host, int* port) {
  std::string host_part, port_part;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos || address.compare(close + 1, 1, ":") != 0) {
      return false;
    }
    host_part = address.substr(1, close - 1);
    port_part = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) return false;
    host_part = address.substr(0, colon);
    port_part = address.substr(colon + 1);
    if (host_part.find(':') != std::string::npos) return false;  // IPv6 needs [ ]
  }
  if (port_part.empty() || !std::isdigit(static_cast<unsigned char>(port_part[0]))) {
    return false;
  }
  std::optional<long long> number = ParseInteger(port_part, 0, 65535);
  if (!number) return false;
  *host = host_part;
  *port = static_cast<int>(*number);
  return true;
}

ConfigLoad ParseConfig(const std::string& yaml_text, const std::string& file) {
  return Loader(file).Parse(yaml_text);
}

ConfigLoad LoadConfig(const std::string& path) {
  std::string problem;
  try {
    StatusOr<std::string> text = ReadFileAtMost(path, kMaxConfigFileBytes);
    if (text.ok()) return ParseConfig(*text, path);
    problem = "cannot read the configuration file: " + text.status().message();
  } catch (const std::exception& e) {  // e.g. out of memory
    problem = std::string("cannot load: ") + e.what();
  }
  return {Status::Error(ConfigError{path, 0, 0, "", problem}.ToString()), {}};
}

}  // namespace msx
