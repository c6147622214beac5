#include "config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/duration.h"

namespace msx {
namespace config_internal {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

ConfigError Problems::Make(const YAML::Mark& mark, std::string key,
                           std::string message) const {
  ConfigError error;
  error.file = file_;
  if (!mark.is_null()) {
    error.line = mark.line + 1;
    error.column = mark.column + 1;
  }
  error.key = std::move(key);
  error.message = std::move(message);
  return error;
}

void Problems::Add(const YAML::Mark& mark, std::string key, std::string message) {
  errors_.push_back(Make(mark, std::move(key), std::move(message)));
}

void Problems::AddWhole(std::string message) {
  errors_.push_back(Make(YAML::Mark::null_mark(), "", std::move(message)));
}

std::vector<ConfigError> Problems::Sorted() const {
  std::vector<ConfigError> sorted = errors_;
  std::stable_sort(
      sorted.begin(), sorted.end(), [](const ConfigError& a, const ConfigError& b) {
        return std::make_pair(a.line, a.column) < std::make_pair(b.line, b.column);
      });
  return sorted;
}

void Problems::Warn(const YAML::Mark& mark, const std::string& key,
                    const std::string& message) {
  warnings_.push_back(Make(mark, key, message).ToString());
}

std::string DescribeNodeType(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "\"" + node.Scalar() + "\"";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "empty";
}

YAML::Mark PlaceOf(const YAML::Node& value, const YAML::Mark& fallback) {
  if (!value.IsDefined() || value.IsNull()) return fallback;
  return value.Mark();
}

MapReader::MapReader(const YAML::Node& node, const YAML::Mark& place, std::string path,
                     Problems* problems)
    : place_(place), path_(std::move(path)), problems_(problems) {
  Read(node, nullptr);
}

MapReader::MapReader(const YAML::Node& node, const YAML::Mark& place, std::string path,
                     std::initializer_list<const char*> allowed, Problems* problems)
    : place_(place), path_(std::move(path)), problems_(problems) {
  std::vector<std::string> allowed_keys(allowed.begin(), allowed.end());
  Read(node, &allowed_keys);
}

void MapReader::Read(const YAML::Node& node, const std::vector<std::string>* allowed) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    problems_->Add(place_, path_,
                   "must be a mapping (key: value), not " + DescribeNodeType(node));
    is_mapping_ = false;
    return;
  }
  for (const auto& key_value : node) {
    const YAML::Node key_node = key_value.first;
    if (!key_node.IsScalar()) {
      problems_->Add(key_node.Mark(), path_,
                     "keys must be plain text, not " + DescribeNodeType(key_node));
      continue;
    }
    const std::string key = key_node.Scalar();
    if (Find(key) != nullptr) {
      problems_->Add(key_node.Mark(), PathOf(key),
                     "duplicate key: it appears more than once here");
      continue;
    }
    if (allowed != nullptr &&
        std::find(allowed->begin(), allowed->end(), key) == allowed->end()) {
      problems_->Add(key_node.Mark(), PathOf(key),
                     "unknown key; allowed here: " + Join(*allowed));
      continue;
    }
    entries_.push_back(
        {key, key_node, key_value.second, PlaceOf(key_value.second, key_node.Mark())});
  }
}

std::string MapReader::PathOf(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

const Entry* MapReader::Find(const std::string& key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

void MapReader::Fail(const std::string& key, std::string message) {
  const Entry* entry = Find(key);
  problems_->Add(entry != nullptr ? entry->value_mark : place_, PathOf(key),
                 std::move(message));
}

std::optional<std::string> ScalarText(const YAML::Node& node, const YAML::Mark& place,
                                      const std::string& path,
                                      const std::string& expected, Problems* problems) {
  if (node.IsScalar()) return node.Scalar();
  problems->Add(place, path, "must be " + expected + ", not " + DescribeNodeType(node));
  return std::nullopt;
}

std::optional<std::string> MapReader::Scalar(const Entry& entry,
                                             const std::string& expected) {
  return ScalarText(entry.value, entry.value_mark, PathOf(entry.key), expected,
                    problems_);
}

bool MapReader::String(const std::string& key, std::string* out) {
  const Entry* entry = Find(key);
  if (entry == nullptr) return false;
  std::optional<std::string> text = Scalar(*entry, "a string");
  if (!text) return false;
  *out = *text;
  return true;
}

bool MapReader::NonEmptyString(const std::string& key, std::string* out) {
  std::string text;
  if (!String(key, &text)) return false;
  if (text.empty()) {
    Fail(key, "must not be empty");
    return false;
  }
  *out = text;
  return true;
}

bool MapReader::OneOf(const std::string& key, const std::vector<std::string>& choices,
                      std::string* out) {
  return OneOf(
      key,
      [&choices](const std::string& text) {
        return std::find(choices.begin(), choices.end(), text) != choices.end();
      },
      Join(choices), out);
}

bool MapReader::OneOf(const std::string& key,
                      const std::function<bool(const std::string&)>& known,
                      const std::string& choices, std::string* out) {
  const Entry* entry = Find(key);
  if (entry == nullptr) return false;
  const std::string expected = "one of " + choices;
  std::optional<std::string> text = Scalar(*entry, expected);
  if (!text) return false;
  if (!known(*text)) {
    Fail(key, "must be " + expected + ", not \"" + *text + "\"");
    return false;
  }
  *out = *text;
  return true;
}

bool MapReader::Duration(const std::string& key, bool positive, double* out) {
  const Entry* entry = Find(key);
  if (entry == nullptr) return false;
  const std::string expected = "a duration like 2s, 500ms or 1m";
  std::optional<std::string> text = Scalar(*entry, expected);
  if (!text) return false;
  std::optional<double> seconds = ParseDurationSeconds(*text);
  if (!seconds) {
    Fail(key, "must be " + expected + " (a whole number and a unit: ms, s, m, h, d, w)" +
                  ", not \"" + *text + "\"");
    return false;
  }
  if (positive && *seconds <= 0) {
    Fail(key, "must be greater than 0s");
    return false;
  }
  *out = *seconds;
  return true;
}

bool MapReader::Int(const std::string& key, int min, int max, int* out) {
  const Entry* entry = Find(key);
  if (entry == nullptr) return false;
  const std::string expected =
      "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  std::optional<std::string> text = Scalar(*entry, expected);
  if (!text) return false;
  std::optional<long long> value = ParseInteger(*text, min, max);
  if (!value) {
    Fail(key, "must be " + expected + ", not \"" + *text + "\"");
    return false;
  }
  *out = static_cast<int>(*value);
  return true;
}

bool MapReader::Bool(const std::string& key, bool* out) {
  const Entry* entry = Find(key);
  if (entry == nullptr) return false;
  std::optional<std::string> text = Scalar(*entry, "true or false");
  if (!text) return false;
  if (*text != "true" && *text != "false") {
    Fail(key, "must be true or false, not \"" + *text + "\"");
    return false;
  }
  *out = *text == "true";
  return true;
}

std::optional<long long> ParseInteger(const std::string& text, long long min,
                                      long long max) {
  size_t digits_start = !text.empty() && text[0] == '-' ? 1 : 0;
  if (digits_start == text.size() || text.size() - digits_start > 18) {
    return std::nullopt;
  }
  for (size_t i = digits_start; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  long long value = std::strtoll(text.c_str(), nullptr, 10);
  if (value < min || value > max) return std::nullopt;
  return value;
}

}  // namespace config_internal
}  // namespace msx
