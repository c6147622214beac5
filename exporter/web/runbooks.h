// Runbooks: the exporter serves docs/runbooks/<alertname>.md of the version it was
// built from at /runbooks/<alertname>, so every alert's runbook_url
// (<--web.external-url>/runbooks/<alertname>) works wherever the exporter runs,
// with no wiki and no internet access. The Markdown is embedded at build time
// (cmake/embed_runbooks.cmake writes the table) and rendered here to a
// self-contained HTML page.
//
// The renderer knows the Markdown the runbooks use: headings, paragraphs, numbered
// and bulleted lists, fenced code blocks, `code`, **bold** and [links](url). A link to
// another runbook (`Name.md#part`) points at its served page; a link to the rest of
// docs/ (`../x.md`) is shown as its text and the file's path. Every character of the
// source is HTML-escaped. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace msx {

struct EmbeddedRunbook {
  const char* name;      // the alert name, e.g. "CloudStackMgmtServerUpNotRunning"
  const char* markdown;  // docs/runbooks/<name>.md
};

// Every runbook of docs/runbooks/, sorted by name (generated at build time).
const std::vector<EmbeddedRunbook>& EmbeddedRunbooks();

// The runbook called `name`, or nullptr.
const EmbeddedRunbook* FindRunbook(std::string_view name);

// The HTML body (no <html>) of a Markdown text.
std::string RenderMarkdownHtml(std::string_view markdown);

// The whole page of one runbook, text/html; charset=utf-8.
std::string RunbookPage(const EmbeddedRunbook& runbook);

// The index at /runbooks/: a link to every runbook.
std::string RunbookIndexPage();

}  // namespace msx
