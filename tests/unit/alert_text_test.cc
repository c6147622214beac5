#include "alerting/alert_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/verdict.h"
#include "test_util.h"

namespace msx {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A misspelt placeholder in a verdict's alert text fails here, not in a page.
TEST(AlertTextTest, VerdictTemplatesUseOnlyKnownPlaceholders) {
  for (const VerdictFacts& facts : kVerdicts) {
    if (!facts.alert) continue;
    EXPECT_THAT(UnknownPlaceholders(facts.alert->summary), IsEmpty()) << facts.name;
    EXPECT_THAT(UnknownPlaceholders(facts.alert->description), IsEmpty()) << facts.name;
  }
}

TEST(AlertTextTest, ExpandsPlaceholders) {
  const NodeStatus node = test::WithProbe(
      test::MakeNode(test::MakeRow(7, "ShuttingDown", 1'700'000'000.0),
                     Verdict::kStopUnfinished, 12.5),
      test::RefusedResult());
  const Snapshot snapshot = test::OkSnapshot({node});
  EXPECT_EQ(ExpandAlertText("{server}: {subject} says {state}, {silence} (dead_after "
                            "{dead_after}, stale_after {stale_after}); {probe}.",
                            node, snapshot, "prod"),
            "Management server ms7: ms7 (msid 7, target prod) says ShuttingDown, its "
            "heartbeat has been silent for 12.5s (dead_after 5.0s, stale_after 10.0s); "
            "the probe of 10.0.0.8:9090 failed: connection refused.");
  // Agents and jobs never read: nothing, not a guess.
  EXPECT_EQ(ExpandAlertText("gone.{load_gone}{load}", node, snapshot, "prod"), "gone.");
}

// An unknown name is neither dropped nor an error: it stays as written, so a mistake
// shows in the alert itself.
TEST(AlertTextTest, UnknownPlaceholdersStayVisible) {
  const NodeStatus node = test::MakeNode(test::MakeRow(7), Verdict::kUpNotRunning);
  const Snapshot snapshot = test::OkSnapshot({node});
  EXPECT_EQ(ExpandAlertText("{sever} is {state} {", node, snapshot, "prod"),
            "{sever} is Up {");
  EXPECT_EQ(ExpandAlertText("{a {state}} }", node, snapshot, "prod"), "{a Up} }");
  EXPECT_THAT(UnknownPlaceholders("{sever} is {state}, {Load} {}"),
              ElementsAre("sever", "Load", ""));
  EXPECT_THAT(UnknownPlaceholders("no placeholder { at all"), IsEmpty());
}

}  // namespace
}  // namespace msx
