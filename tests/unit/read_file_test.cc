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

  std::string content, error;
  ASSERT_TRUE(ReadFileAtMost(path, 7, &content, &error)) << error;
  EXPECT_EQ(content, "secret\n");
  EXPECT_FALSE(ReadFileAtMost(path, 6, &content, &error));
  EXPECT_EQ(error, "larger than 6 bytes");
  std::remove(path.c_str());
}

TEST(ReadFileAtMostTest, EndlessDeviceIsAnErrorNotAHang) {
  std::string content, error;
  EXPECT_FALSE(ReadFileAtMost("/dev/zero", 64 << 10, &content, &error));
  EXPECT_EQ(error, "larger than 65536 bytes");
}

TEST(ReadFileAtMostTest, MissingFileAndDirectorySayWhy) {
  std::string content, error;
  EXPECT_FALSE(ReadFileAtMost("/nonexistent/x", 100, &content, &error));
  EXPECT_THAT(error, HasSubstr("No such file"));
  EXPECT_FALSE(ReadFileAtMost(::testing::TempDir(), 100, &content, &error));
  EXPECT_THAT(error, HasSubstr("directory"));
}

}  // namespace
}  // namespace msx
