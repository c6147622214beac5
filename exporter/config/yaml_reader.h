// Private to exporter/config/: reading a yaml-cpp tree while collecting problems.
//
// The config loader walks the document once. Every value it reads goes through a
// MapReader, which knows the value's key path ("targets[0].database.driver") and its
// place in the file, so every problem comes out as a ConfigError naming both. Nothing
// here throws: a value of the wrong type is reported and left out. A MapReader
// and the Problems it writes to belong to one loader on one thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace msx {
namespace config_internal {

// The problems found so far in one file.
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}

  // `mark` is yaml-cpp's (0-based); stored 1-based.
  void Add(const YAML::Mark& mark, std::string key, std::string message);
  // A problem with no place in the file (unreadable file, empty document).
  void AddWhole(std::string message);

  bool empty() const { return errors_.empty(); }
  // Sorted by place, so they read top to bottom like the file.
  std::vector<ConfigError> Sorted() const;

  void Warn(const YAML::Mark& mark, const std::string& key, const std::string& message);
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  ConfigError Make(const YAML::Mark& mark, std::string key, std::string message) const;

  const std::string file_;
  std::vector<ConfigError> errors_;
  std::vector<std::string> warnings_;
};

// "a list", "a mapping", "a string", "empty": for "must be X, not Y" messages.
std::string DescribeNodeType(const YAML::Node& node);

// The place to blame for `value`: its own mark, or `fallback` when yaml-cpp has none
// worth showing (a null value's mark is that of the next token, often a line later).
YAML::Mark PlaceOf(const YAML::Node& value, const YAML::Mark& fallback);

// One entry of a mapping, with the key as text.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  YAML::Mark value_mark;  // PlaceOf(value, key mark)
};

// One mapping of the document. A null node (`key:` with nothing after it) reads as
// an empty mapping; anything else that is not a mapping is reported once and reads
// as empty too, so callers never check types themselves.
class MapReader {
 public:
  // Free-form mapping (labels, overrides, rules): any key, each reported once if
  // duplicated or not a plain scalar.
  MapReader(const YAML::Node& node, const YAML::Mark& place, std::string path,
            Problems* problems);
  // A mapping with a fixed set of keys: any other key is reported as unknown (a typo
  // must not silently fall back to a default), naming the allowed ones.
  MapReader(const YAML::Node& node, const YAML::Mark& place, std::string path,
            std::initializer_list<const char*> allowed, Problems* problems);

  // False when the node was there but not a mapping (already reported): callers skip
  // "required key" checks that would only repeat the problem.
  bool is_mapping() const { return is_mapping_; }
  const std::string& path() const { return path_; }
  const YAML::Mark& place() const { return place_; }
  const std::vector<Entry>& entries() const { return entries_; }
  // "path.key", or "key" at the top level.
  std::string PathOf(const std::string& key) const;
  // The entry for `key`, or nullptr when absent.
  const Entry* Find(const std::string& key) const;
  bool Has(const std::string& key) const { return Find(key) != nullptr; }

  // Typed readers: when the key is present and valid, set *out and return true;
  // when it is present but invalid, report why and return false; when absent, leave
  // *out alone and return false.
  bool String(const std::string& key, std::string* out);
  bool NonEmptyString(const std::string& key, std::string* out);
  bool OneOf(const std::string& key, const std::vector<std::string>& choices,
             std::string* out);
  // The same against a module's table: `known` says whether a name is in it,
  // `choices` lists the names for the message ("mysql, postgresql").
  bool OneOf(const std::string& key, const std::function<bool(const std::string&)>& known,
             const std::string& choices, std::string* out);
  // A Prometheus-style duration ("2s", "500ms"); with `positive`, 0 is refused.
  bool Duration(const std::string& key, bool positive, double* out);
  bool Int(const std::string& key, int min, int max, int* out);
  // true or false (YAML 1.2's core schema; yes/no/on/off are refused as ambiguous).
  bool Bool(const std::string& key, bool* out);

  // Reports a problem about the value of `key` (or the mapping itself if absent).
  void Fail(const std::string& key, std::string message);

 private:
  void Read(const YAML::Node& node, const std::vector<std::string>* allowed);
  // The value of `key` as a scalar, or nullopt (reported) when it is not one.
  std::optional<std::string> Scalar(const Entry& entry, const std::string& expected);

  const YAML::Mark place_;
  const std::string path_;
  Problems* const problems_;
  std::vector<Entry> entries_;
  bool is_mapping_ = true;
};

// A scalar as text; nullopt (and reported under `path`) for null, list or mapping.
std::optional<std::string> ScalarText(const YAML::Node& node, const YAML::Mark& place,
                                      const std::string& path,
                                      const std::string& expected, Problems* problems);

// Parses a decimal integer in [min, max]: digits only, optional leading '-'.
std::optional<long long> ParseInteger(const std::string& text, long long min,
                                      long long max);

}  // namespace config_internal
}  // namespace msx
