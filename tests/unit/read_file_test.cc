#include "common/read_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

namespace msx {
namespace {

using ::testing::HasSubstr;

TEST(ReadFileAtMostTest, ReadsAFileUpToTheCap) {
  const std::string path = ::testing::TempDir() + "/read_file_test.txt";
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  std::fputs("secret\n", file);
  std::fclose(file);

  StatusOr<std::string> content = ReadFileAtMost(path, 7);
  ASSERT_TRUE(content.ok()) << content.status().message();
  EXPECT_EQ(*content, "secret\n");
  StatusOr<std::string> too_big = ReadFileAtMost(path, 6);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().message(), "larger than 6 bytes");
  std::remove(path.c_str());
}

TEST(ReadFileAtMostTest, EndlessDeviceIsAnErrorNotAHang) {
  StatusOr<std::string> content = ReadFileAtMost("/dev/zero", 64 << 10);
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.status().message(), "larger than 65536 bytes");
}

TEST(ReadFileAtMostTest, MissingFileAndDirectorySayWhy) {
  StatusOr<std::string> missing = ReadFileAtMost("/nonexistent/x", 100);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("No such file"));
  StatusOr<std::string> folder = ReadFileAtMost(::testing::TempDir(), 100);
  ASSERT_FALSE(folder.ok());
  EXPECT_THAT(folder.status().message(), HasSubstr("directory"));
}

}  // namespace
}  // namespace msx
