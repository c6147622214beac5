#include "common/paths.h"

#include <gtest/gtest.h>

namespace msx {
namespace {

TEST(ResolveNextToFileTest, RelativePathsJoinTheFilesFolder) {
  EXPECT_EQ(ResolveNextToFile("/etc/msx/x.yml", "tls/ca.pem"), "/etc/msx/tls/ca.pem");
  EXPECT_EQ(ResolveNextToFile("/etc/msx/conf.d/x.yml", "../ca.pem"), "/etc/msx/ca.pem");
  EXPECT_EQ(ResolveNextToFile("/x.yml", "ca.pem"), "/ca.pem");
  EXPECT_EQ(ResolveNextToFile("conf/x.yml", "./ca.pem"), "conf/ca.pem");
}

TEST(ResolveNextToFileTest, OtherPathsStayAsWritten) {
  EXPECT_EQ(ResolveNextToFile("/etc/msx/x.yml", "/abs/../ca.pem"), "/abs/../ca.pem");
  EXPECT_EQ(ResolveNextToFile("/etc/msx/x.yml", ""), "");
  // A file in the working directory: the path is relative to it already.
  EXPECT_EQ(ResolveNextToFile("x.yml", "ca.pem"), "ca.pem");
  EXPECT_EQ(ResolveNextToFile("x.yml", "../ca.pem"), "../ca.pem");
}

}  // namespace
}  // namespace msx
