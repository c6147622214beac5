// A reload replaces a target's poller exactly when its settings differ
// (TargetConfig::operator==, built from each struct's Tie()). This walks every leaf of
// a file that sets every key, changes it, and expects the loaded configuration to
// differ: a field left out of a Tie() fails here.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"

namespace msx {
namespace {

const std::string kFile = std::string(MSX_TESTDATA_DIR) + "/reload/every_key.yml";

// Another valid value for the leaf `key` holding `value`.
std::string Changed(const std::string& parent, const std::string& key,
                    const std::string& value) {
  if (key == "driver") return value == "mysql" ? "postgresql" : "mysql";
  if (key == "mode") return value == "verify_full" ? "required" : "verify_full";
  if (key == "kind") return value == "tcp" ? "http" : "tcp";
  if (key == "address") return value == "name" ? "service_ip" : "name";
  if (key == "severity") return value == "warning" ? "critical" : "warning";
  if (key == "listen_address") return ":9898";
  if (parent == "overrides") return "10.0.0.6:9090";
  if (parent == "alertmanagers") return "http://127.0.0.1:9094";
  if (key == "port") return std::to_string(std::stoi(value) + 1);
  if (!value.empty() && value.back() == 's' &&
      value.find_first_not_of("0123456789") == value.size() - 1) {
    // dead_after must stay below stale_after: shorten it, lengthen the others.
    const int seconds = std::stoi(value) + (key == "dead_after" ? -1 : 1);
    return std::to_string(seconds) + "s";
  }
  if (key == "password_env") return "MSX_RELOAD_TEST_PASSWORD_2";
  if (value == "true" || value == "false") return value == "true" ? "false" : "true";
  return value + "x";
}

struct Leaf {
  std::vector<std::string> path;  // keys; "[i]" for sequence items
  std::string parent;
  std::string key;
};

void CollectLeaves(const YAML::Node& node, std::vector<std::string> path,
                   const std::string& parent, const std::string& key,
                   std::vector<Leaf>* out) {
  if (node.IsScalar()) {
    out->push_back({path, parent, key});
  } else if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string child = entry.first.as<std::string>();
      std::vector<std::string> next = path;
      next.push_back(child);
      CollectLeaves(entry.second, next, key, child, out);
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      std::vector<std::string> next = path;
      next.push_back("[" + std::to_string(i) + "]");
      CollectLeaves(node[i], next, key, key, out);
    }
  }
}

YAML::Node At(YAML::Node root, const std::vector<std::string>& path) {
  YAML::Node node = root;
  for (const std::string& step : path) {
    node.reset(step.front() == '[' ? node[std::stoi(step.substr(1))] : node[step]);
  }
  return node;
}

std::string Join(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& step : path) out += (out.empty() ? "" : ".") + step;
  return out;
}

Config Load(const std::string& text) {
  ConfigLoad result = ParseConfig(text, kFile);
  for (const std::string& e : result.config.status().problems()) ADD_FAILURE() << e;
  return result.config.ok() ? std::move(*result.config) : Config{};
}

TEST(ReloadEqualityTest, ChangingAnyKeyChangesWhatAReloadCompares) {
  setenv("MSX_RELOAD_TEST_PASSWORD", "one", 1);
  setenv("MSX_RELOAD_TEST_PASSWORD_2", "two", 1);
  const YAML::Node original = YAML::LoadFile(kFile);
  const Config base = Load(YAML::Dump(original));
  ASSERT_EQ(base.targets.size(), 1u);

  std::vector<Leaf> leaves;
  CollectLeaves(original, {}, "", "", &leaves);
  ASSERT_GE(leaves.size(), 27u) << "the file should set every key";
  for (const Leaf& leaf : leaves) {
    YAML::Node copy = YAML::Clone(original);
    YAML::Node node = At(copy, leaf.path);
    const std::string before = node.as<std::string>();
    node = Changed(leaf.parent, leaf.key, before);
    const Config changed = Load(YAML::Dump(copy));
    if (changed.targets.empty()) continue;  // Load already reported why
    const bool differs = !(changed.targets[0] == base.targets[0]) ||
                         !(changed.alerting == base.alerting) ||
                         changed.poll_interval_seconds != base.poll_interval_seconds ||
                         changed.listen_address != base.listen_address;
    EXPECT_TRUE(differs) << Join(leaf.path) << ": " << before << " -> "
                         << node.as<std::string>() << " compares equal";
  }
}

TEST(ReloadEqualityTest, TargetSettingsAloneDecideWhetherItsPollerIsReplaced) {
  setenv("MSX_RELOAD_TEST_PASSWORD", "one", 1);
  const Config a = Load(YAML::Dump(YAML::LoadFile(kFile)));
  Config b = a;
  EXPECT_TRUE(a.targets[0] == b.targets[0]);
  b.targets[0].database.tls.mode = TlsMode::kRequired;
  EXPECT_FALSE(a.targets[0] == b.targets[0]);
  b = a;
  b.targets[0].probe.overrides[42].port = 9091;
  EXPECT_FALSE(a.targets[0] == b.targets[0]);
  b = a;
  b.alerting.resend_interval_seconds = 1;  // not a target setting
  EXPECT_TRUE(a.targets[0] == b.targets[0]);
}

}  // namespace
}  // namespace msx
