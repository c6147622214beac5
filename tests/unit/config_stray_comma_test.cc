// Regression tests for inputs found by tests/fuzz (fuzz_config): yaml-cpp 0.7's
// LoadAll never returns on a stray ',' after a top-level node, so the loader used to
// hang (and grow without bound) on a JSON config with a trailing comma. Each of these
// would hang the test before the fix; after it, each is one clear error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace msx {
namespace {

using ::testing::HasSubstr;

std::string AllErrors(const ConfigResult& result) {
  std::string out;
  for (const ConfigError& error : result.errors) out += error.ToString() + "\n";
  return out;
}

TEST(ConfigStrayCommaTest, JsonConfigWithTrailingCommaIsAnErrorNotAHang) {
  const ConfigResult result = ParseConfig(
      "{\"targets\": [{\"name\": \"prod\", \"probe\": {\"kind\": \"none\"}}]},\n",
      "cfg.json");
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.errors.size(), 1u) << AllErrors(result);
  EXPECT_EQ(result.errors[0].line, 1);
  EXPECT_THAT(result.errors[0].message, HasSubstr("only one YAML document"));
}

TEST(ConfigStrayCommaTest, CommaAfterBlockSequenceIsAnError) {
  const ConfigResult result = ParseConfig("- a\n,\n", "cfg.yml");
  EXPECT_FALSE(result.config);
  EXPECT_FALSE(result.errors.empty());
}

TEST(ConfigStrayCommaTest, LoneCommaIsAnError) {
  // The input fuzz_config first hung on, and the shortest one.
  for (const std::string text : {", nf seqqncee nlt foundatcpmetimeout", ","}) {
    const ConfigResult result = ParseConfig(text, "cfg.yml");
    EXPECT_FALSE(result.config) << text;
    EXPECT_FALSE(result.errors.empty()) << text;
  }
}

}  // namespace
}  // namespace msx
