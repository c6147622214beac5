#include "web/external_url.h"

#include <gtest/gtest.h>

namespace msx {
namespace {

TEST(ExternalUrlTest, DefaultIsHostnameAndBoundPort) {
  std::string error;
  EXPECT_EQ(ResolveExternalUrl("", 9887, "mon1.example", &error), "http://mon1.example:9887");
  EXPECT_EQ(ResolveExternalUrl("", 40123, "", &error), "http://localhost:40123");
  EXPECT_EQ(error, "");
}

TEST(ExternalUrlTest, FlagIsKeptWithoutTrailingSlashes) {
  std::string error;
  EXPECT_EQ(ResolveExternalUrl("https://mshost.example.net/", 9887, "h", &error),
            "https://mshost.example.net");
  EXPECT_EQ(ResolveExternalUrl("http://proxy.example/mshost//", 9887, "h", &error),
            "http://proxy.example/mshost");
  EXPECT_EQ(ResolveExternalUrl("http://10.0.0.5:9887", 1, "h", &error), "http://10.0.0.5:9887");
  EXPECT_EQ(error, "");
}

TEST(ExternalUrlTest, BadFlagsAreRejectedWithTheReason) {
  for (const char* bad : {"mshost.example:9887", "ftp://mshost.example", "http://",
                          "http:///runbooks", "https://a b.example", "/relative"}) {
    std::string error;
    EXPECT_EQ(ResolveExternalUrl(bad, 9887, "h", &error), "") << bad;
    EXPECT_NE(error.find("--web.external-url"), std::string::npos) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace msx
