#include "web/runbooks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alerting/rules.h"

namespace msx {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RunbooksTest, EveryBuiltInAlertHasItsRunbookEmbedded) {
  for (const AlertRule& rule : DefaultAlertRules()) {
    const EmbeddedRunbook* runbook = FindRunbook(rule.alertname);
    ASSERT_NE(runbook, nullptr) << rule.alertname;
    EXPECT_THAT(std::string(runbook->markdown), HasSubstr("# " + rule.alertname));
  }
  EXPECT_EQ(FindRunbook("CloudStackNoSuchAlert"), nullptr);
  EXPECT_EQ(FindRunbook(""), nullptr);
}

TEST(RunbooksTest, HeadingsParagraphsListsAndCode) {
  const std::string html = RenderMarkdownHtml(
      "# Title\n"
      "\n"
      "**Severity** critical · about one `node`.\n"
      "second line\n"
      "\n"
      "## Confirm\n"
      "\n"
      "```sql\n"
      "SELECT msid FROM mshost WHERE name <> 'a';\n"
      "```\n"
      "\n"
      "1. First step,\n"
      "   continued.\n"
      "2. Second:\n"
      "\n"
      "   ```sh\n"
      "   mshost_exporter check \\\n"
      "     --target=prod\n"
      "   ```\n"
      "- a bullet\n"
      "\n"
      "After the list.\n");
  EXPECT_EQ(html,
            "<h1>Title</h1>\n"
            "<p><strong>Severity</strong> critical · about one <code>node</code>. "
            "second line</p>\n"
            "<h2>Confirm</h2>\n"
            "<pre><code>SELECT msid FROM mshost WHERE name &lt;&gt; &#39;a&#39;;\n"
            "</code></pre>\n"
            "<ol>\n"
            "<li>First step, continued.</li>\n"
            "<li>Second:<pre><code>mshost_exporter check \\\n"
            "  --target=prod\n"
            "</code></pre>\n"
            "</li>\n"
            "</ol>\n"
            "<ul>\n"
            "<li>a bullet</li>\n"
            "</ul>\n"
            "<p>After the list.</p>\n");
}

TEST(RunbooksTest, NestedListsAndContinuationsStartingWithAHash) {
  const std::string html = RenderMarkdownHtml(
      "1. Set the row Down:\n"
      "\n"
      "   With care:\n"
      "   - only once no process runs;\n"
      "   - the runid you read,\n"
      "     just before.\n"
      "\n"
      "   It resolves at the next poll, as in\n"
      "   #9722.\n"
      "2. Remove it.\n");
  EXPECT_EQ(html,
            "<ol>\n"
            "<li>Set the row Down:<p>With care:</p>\n"
            "<ul>\n"
            "<li>only once no process runs;</li>\n"
            "<li>the runid you read, just before.</li>\n"
            "</ul>\n"
            "<p>It resolves at the next poll, as in #9722.</p>\n"
            "</li>\n"
            "<li>Remove it.</li>\n"
            "</ol>\n");
}

TEST(RunbooksTest, LinksToRunbooksAreServedOthersNamedAndEverythingEscaped) {
  const std::string html = RenderMarkdownHtml(
      "See [UpNotRunning](CloudStackMgmtServerUpNotRunning.md#old-rows), "
      "[verdicts.md](../verdicts.md#running), "
      "[#9722](https://github.com/apache/cloudstack/issues/9722) and "
      "<script>alert(1)</script> [x](javascript:void) [y](a\"><b>.md).\n");
  EXPECT_THAT(html, HasSubstr("<a href=\"CloudStackMgmtServerUpNotRunning#old-rows\">"
                              "UpNotRunning</a>"));
  EXPECT_THAT(html, HasSubstr("verdicts.md (<code>docs/verdicts.md#running</code>)"));
  EXPECT_THAT(html, HasSubstr("<a href=\"https://github.com/apache/cloudstack/issues/9722\">"));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("href=\"javascript")));
  EXPECT_THAT(html, HasSubstr("x (<code>javascript:void</code>)"));
}

TEST(RunbooksTest, PageIsSelfContainedAndLinksBack) {
  const EmbeddedRunbook* runbook = FindRunbook(kAlertSourceDown);
  ASSERT_NE(runbook, nullptr);
  const std::string page = RunbookPage(*runbook);
  EXPECT_THAT(page, HasSubstr("<title>CloudStackMshostSourceDown</title>"));
  EXPECT_THAT(page, HasSubstr("<a href=\"../\">status page</a>"));
  EXPECT_THAT(page, Not(HasSubstr("src=")));
  EXPECT_THAT(RunbookIndexPage(), HasSubstr("<a href=\"MshostExporterWatchdog\">"));
}

}  // namespace
}  // namespace msx
