#include "web/external_url.h"

#include <gtest/gtest.h>

namespace msx {
namespace {

TEST(ExternalUrlTest, DefaultIsHostnameAndBoundPort) {
  EXPECT_EQ(*ResolveExternalUrl("", 9887, "mon1.example"), "http://mon1.example:9887");
  EXPECT_EQ(*ResolveExternalUrl("", 40123, ""), "http://localhost:40123");
}

TEST(ExternalUrlTest, FlagIsKeptWithoutTrailingSlashes) {
  EXPECT_EQ(*ResolveExternalUrl("https://mshost.example.net/", 9887, "h"),
            "https://mshost.example.net");
  EXPECT_EQ(*ResolveExternalUrl("http://proxy.example/mshost//", 9887, "h"),
            "http://proxy.example/mshost");
  EXPECT_EQ(*ResolveExternalUrl("http://10.0.0.5:9887", 1, "h"), "http://10.0.0.5:9887");
}

TEST(ExternalUrlTest, BadFlagsAreRejectedWithTheReason) {
  for (const char* bad : {"mshost.example:9887", "ftp://mshost.example", "http://",
                          "http:///runbooks", "https://a b.example", "/relative"}) {
    const StatusOr<std::string> url = ResolveExternalUrl(bad, 9887, "h");
    ASSERT_FALSE(url.ok()) << bad;
    const std::string error = url.status().message();
    EXPECT_NE(error.find("--web.external-url"), std::string::npos) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace msx
