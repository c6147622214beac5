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

std::string AllErrors(const ConfigLoad& result) {
  std::string out;
  for (const std::string& problem : result.config.status().problems()) out += problem + "\n";
  return out;
}

TEST(ConfigStrayCommaTest, JsonConfigWithTrailingCommaIsAnErrorNotAHang) {
  const ConfigLoad result = ParseConfig(
      "{\"targets\": [{\"name\": \"prod\", \"probe\": {\"kind\": \"none\"}}]},\n",
      "cfg.json");
  EXPECT_FALSE(result.config.ok());
  ASSERT_EQ(result.config.status().problems().size(), 1u) << AllErrors(result);
  EXPECT_THAT(result.config.status().problems()[0], HasSubstr("cfg.json:1:"));
  EXPECT_THAT(result.config.status().problems()[0], HasSubstr("only one YAML document"));
}

TEST(ConfigStrayCommaTest, CommaAfterBlockSequenceIsAnError) {
  const ConfigLoad result = ParseConfig("- a\n,\n", "cfg.yml");
  EXPECT_FALSE(result.config.ok());
  EXPECT_FALSE(result.config.status().problems().empty());
}

TEST(ConfigStrayCommaTest, LoneCommaIsAnError) {
  // The input fuzz_config first hung on, and the shortest one.
  for (const std::string text : {", nf seqqncee nlt foundatcpmetimeout", ","}) {
    const ConfigLoad result = ParseConfig(text, "cfg.yml");
    EXPECT_FALSE(result.config.ok()) << text;
    EXPECT_FALSE(result.config.status().problems().empty()) << text;
  }
}

}  // namespace
}  // namespace msx
