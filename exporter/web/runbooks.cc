#include "web/runbooks.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "web/status.h"

namespace msx {
namespace {

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Where a link of a runbook points once served: another runbook (Name.md#part) by
// its page, http(s) links as they are; anything else (the rest of docs/, which is not
// served) nowhere.
std::string LinkTarget(std::string_view url, bool* served) {
  *served = true;
  if (StartsWith(url, "https://") || StartsWith(url, "http://")) return std::string(url);
  const size_t md = url.find(".md");
  const bool name_chars =
      md != std::string_view::npos && md > 0 &&
      url.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789_-#.") == std::string_view::npos;
  if (!name_chars || (md + 3 < url.size() && url[md + 3] != '#')) {
    *served = false;
    return std::string(url);
  }
  std::string target(url);
  target.erase(md, 3);
  return target;
}

// **bold** and [text](url) in a piece of text without code spans.
std::string InlineText(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "**") == 0) {
      size_t end = text.find("**", i + 2);
      if (end != std::string_view::npos) {
        out += "<strong>" + InlineText(text.substr(i + 2, end - i - 2)) + "</strong>";
        i = end + 2;
        continue;
      }
    }
    if (text[i] == '[') {
      size_t close = text.find("](", i);
      size_t end = close == std::string_view::npos ? close : text.find(')', close);
      if (end != std::string_view::npos) {
        std::string_view label = text.substr(i + 1, close - i - 1);
        std::string_view url = text.substr(close + 2, end - close - 2);
        bool served = false;
        std::string target = LinkTarget(url, &served);
        if (served) {
          out += "<a href=\"" + HtmlEscape(target) + "\">" + InlineText(label) + "</a>";
        } else {
          // ../verdicts.md#x is docs/verdicts.md in the source tree.
          std::string path(url);
          if (StartsWith(path, "../")) path = "docs/" + path.substr(3);
          out += InlineText(label) + " (<code>" + HtmlEscape(path) + "</code>)";
        }
        i = end + 1;
        continue;
      }
    }
    size_t next = i + 1;
    while (next < text.size() && text[next] != '[' && text.compare(next, 2, "**") != 0) {
      ++next;
    }
    out += HtmlEscape(std::string(text.substr(i, next - i)));
    i = next;
  }
  return out;
}

// A line's inline Markdown: code spans first, the rest by InlineText.
std::string Inline(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t tick = text.find('`', i);
    size_t end = tick == std::string_view::npos ? tick : text.find('`', tick + 1);
    if (end == std::string_view::npos) {
      out += InlineText(text.substr(i));
      break;
    }
    out += InlineText(text.substr(i, tick - i));
    out += "<code>" + HtmlEscape(std::string(text.substr(tick + 1, end - tick - 1))) +
           "</code>";
    i = end + 1;
  }
  return out;
}

// "1. " or "- ": the item's text after the marker, and whether the list is ordered.
bool ListItem(std::string_view line, std::string_view* rest, bool* ordered) {
  if (StartsWith(line, "- ") || StartsWith(line, "* ")) {
    *rest = line.substr(2);
    *ordered = false;
    return true;
  }
  size_t digits = 0;
  while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]))) {
    ++digits;
  }
  if (digits > 0 && line.substr(digits, 2) == ". ") {
    *rest = line.substr(digits + 2);
    *ordered = true;
    return true;
  }
  return false;
}

std::string Page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         HtmlEscape(title) +
         "</title><style>"
         "body{font-family:system-ui,sans-serif;max-width:52em;margin:1em auto;"
         "padding:0 1em;line-height:1.45;color:#1d1d1f}"
         "pre{background:#f3f3f5;padding:.6em;overflow-x:auto}"
         "code{background:#f3f3f5;padding:0 .2em}pre code{padding:0}"
         "nav{font-size:.9em;margin-bottom:1em}"
         "</style></head><body><nav><a href=\"../\">status page</a> · "
         "<a href=\"./\">all runbooks</a></nav>\n" +
         body + "</body></html>\n";
}

}  // namespace

const EmbeddedRunbook* FindRunbook(std::string_view name) {
  for (const EmbeddedRunbook& runbook : EmbeddedRunbooks()) {
    if (name == runbook.name) return &runbook;
  }
  return nullptr;
}

std::string RenderMarkdownHtml(std::string_view markdown) {
  // One level of list, and one list nested in an item (indented markers): what the
  // runbooks use.
  struct List {
    std::string kind;       // "ol", "ul"; "" when none is open
    bool item_open = false;
    bool item_has_text = false;  // the open item's first paragraph is out
    size_t indent = 0;      // of the markers
  };
  std::string out;
  std::string paragraph;  // the open paragraph's text, lines joined
  List outer, inner;
  bool in_code = false;
  size_t code_indent = 0;  // of the open fence: its lines are indented as much

  auto close_paragraph = [&] {
    if (paragraph.empty()) return;
    List& list = inner.item_open ? inner : outer;
    if (list.item_open && !list.item_has_text) {
      out += Inline(paragraph);
      list.item_has_text = true;
    } else {
      out += "<p>" + Inline(paragraph) + "</p>\n";
    }
    paragraph.clear();
  };
  auto close = [&](List& list) {
    close_paragraph();
    if (list.item_open) out += "</li>\n";
    if (!list.kind.empty()) out += "</" + list.kind + ">\n";
    list = List{};
  };
  auto close_all = [&] {
    close(inner);
    close(outer);
  };
  auto open_item = [&](List& list, const std::string& kind, size_t indent) {
    close_paragraph();
    if (list.kind != kind) {
      close(list);
      out += "<" + kind + ">\n";
      list.kind = kind;
    } else if (list.item_open) {
      out += "</li>\n";
    }
    out += "<li>";
    list.item_open = true;
    list.item_has_text = false;
    list.indent = indent;
  };

  size_t start = 0;
  while (start <= markdown.size()) {
    size_t end = markdown.find('\n', start);
    if (end == std::string_view::npos) end = markdown.size();
    std::string_view raw = markdown.substr(start, end - start);
    start = end + 1;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view line = Trimmed(raw);
    const size_t indent = raw.find_first_not_of(' ') == std::string_view::npos
                              ? 0
                              : raw.find_first_not_of(' ');

    if (StartsWith(line, "```")) {
      if (in_code) {
        out += "</code></pre>\n";
        in_code = false;
      } else {
        close_paragraph();
        if (indent == 0) close_all();  // a block of its own, not in an item
        out += "<pre><code>";
        in_code = true;
        code_indent = indent;
      }
      continue;
    }
    if (in_code) {
      out += HtmlEscape(std::string(raw.substr(std::min(code_indent, indent)))) + "\n";
      continue;
    }
    if (line.empty()) {
      close_paragraph();
      continue;
    }
    if (indent == 0 && line[0] == '#') {
      size_t level = 0;
      while (level < line.size() && line[level] == '#') ++level;
      if (level <= 6 && level < line.size() && line[level] == ' ') {
        close_all();
        const std::string tag = "h" + std::to_string(level);
        out += "<" + tag + ">" + Inline(Trimmed(line.substr(level + 1))) + "</" + tag +
               ">\n";
        continue;
      }
    }
    std::string_view rest;
    bool ordered = false;
    if (ListItem(line, &rest, &ordered)) {
      const std::string kind = ordered ? "ol" : "ul";
      if (indent == 0) {
        close(inner);
        open_item(outer, kind, 0);
        paragraph = std::string(rest);
        continue;
      }
      if (outer.item_open) {
        open_item(inner, kind, indent);
        paragraph = std::string(rest);
        continue;
      }
    }
    // Text. Below a nested item and indented past its marker: that item's. Indented
    // (or right below the text) in an item: the item's. After a blank line and not
    // indented: a paragraph of its own, the lists are over.
    if (inner.item_open && indent <= inner.indent) close(inner);
    if (outer.item_open && paragraph.empty() && indent == 0) close_all();
    if (!paragraph.empty()) paragraph += ' ';
    paragraph += std::string(line);
  }
  if (in_code) out += "</code></pre>\n";
  close_all();
  return out;
}

std::string RunbookPage(const EmbeddedRunbook& runbook) {
  return Page(runbook.name, RenderMarkdownHtml(runbook.markdown));
}

std::string RunbookIndexPage() {
  std::string body = "<h1>Runbooks</h1>\n<ul>\n";
  for (const EmbeddedRunbook& runbook : EmbeddedRunbooks()) {
    body += "<li><a href=\"" + HtmlEscape(runbook.name) + "\">" +
            HtmlEscape(runbook.name) + "</a></li>\n";
  }
  return Page("Runbooks", body + "</ul>\n");
}

}  // namespace msx
