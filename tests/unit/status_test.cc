#include "common/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace msx {
namespace {

TEST(StatusTest, OkHasNoProblems) {
  EXPECT_TRUE(Status().ok());
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_TRUE(Status::Errors({}).ok());
  EXPECT_EQ(Status::Ok().message(), "");
}

TEST(StatusTest, EveryProblemIsKeptInOrderAndJoinedOnOneLine) {
  const Status status = Status::Errors({"a.yml:1:1: x: bad", "a.yml:2:1: y: worse"});
  ASSERT_FALSE(status.ok());
  ASSERT_EQ(status.problems().size(), 2u);
  EXPECT_EQ(status.problems()[1], "a.yml:2:1: y: worse");
  EXPECT_EQ(status.message(), "a.yml:1:1: x: bad; a.yml:2:1: y: worse");
  EXPECT_EQ(status.Prefixed("reload: ").problems()[0], "reload: a.yml:1:1: x: bad");
}

TEST(StatusOrTest, HoldsAValueOrAProblem) {
  StatusOr<std::string> value = std::string("text");
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(value.status().ok());
  EXPECT_EQ(*value, "text");
  EXPECT_EQ(value->size(), 4u);

  StatusOr<std::string> error = Status::Error("cannot read");
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.status().message(), "cannot read");
}

TEST(StatusOrTest, MovesOutMoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> held = std::make_unique<int>(7);
  ASSERT_TRUE(held.ok());
  std::unique_ptr<int> taken = std::move(held).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 7);
}

}  // namespace
}  // namespace msx
