#include "alerting/alert_text.h"

#include <cstdio>
#include <optional>
#include <tuple>

namespace msx {
namespace {

std::string SilenceText(const NodeStatus& node) {
  if (!node.has_heartbeat()) return "it has never heartbeated (last_update is NULL)";
  return "its heartbeat has been silent for " + Seconds(node.silence_seconds);
}

std::string ProbeText(const NodeStatus& node) {
  if (!node.probe) return "probing is off";
  const std::string where = node.probe_address.empty() ? "" : " of " + node.probe_address;
  if (node.probe->success) return "the probe" + where + " succeeded";
  const std::string why = node.probe->error.empty() ? "failed" : node.probe->error;
  return "the probe" + where + " failed: " + why;
}

// (4, 20, 1) from "4.20.1.0"; nullopt when the text does not start with a version.
std::optional<std::tuple<int, int, int>> ParseVersion(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  int major = 0, minor = 0, patch = 0;
  if (std::sscanf(text->c_str(), "%d.%d.%d", &major, &minor, &patch) < 2) {
    return std::nullopt;
  }
  return std::make_tuple(major, minor, patch);
}

// Whether CloudStack will ever set this node's row Down by itself, which tells the
// person on call whether they must act (docs/verdicts.md, "What peers do"): only a
// live peer running 4.20.1 or later does, only for a row in state Up, about 150 s
// after its last heartbeat.
std::string WillCloudStackClear(const NodeStatus& node, const Snapshot& snapshot) {
  if (node.row.state != std::string("Up")) {
    return "CloudStack will never set this row Down by itself: peers clear only rows "
           "in state Up.";
  }
  bool any_peer = false;
  bool any_new_peer = false;
  bool any_unknown_peer = false;
  for (const NodeStatus& peer : snapshot.nodes) {
    if (peer.row.msid == node.row.msid || !ClaimsRunning(peer.row.state) ||
        peer.silence_seconds > peer.stale_after_seconds || !peer.has_heartbeat()) {
      continue;
    }
    any_peer = true;
    const auto version = ParseVersion(peer.row.version);
    if (!version) {
      any_unknown_peer = true;
    } else if (*version >= std::make_tuple(4, 20, 1)) {
      any_new_peer = true;
    }
  }
  if (!any_peer) {
    return "CloudStack will never set this row Down by itself: no other management "
           "server is running.";
  }
  if (any_new_peer) {
    return "A live peer running 4.20.1 or later will set this row Down about 150 s "
           "after its last heartbeat; until then other nodes and load balancers trust "
           "it.";
  }
  if (any_unknown_peer) {
    return "CloudStack may not set this row Down by itself: only peers running 4.20.1 "
           "or later do, and the live peers' versions are unknown.";
  }
  return "CloudStack will never set this row Down by itself: the live peers run "
         "versions before 4.20.1, which leave a dead node's row as it is.";
}

// A placeholder's value for one node of a snapshot.
struct AlertTextSubject {
  const NodeStatus& node;
  const Snapshot& snapshot;
  const std::string& target;
};

struct Placeholder {
  std::string_view name;
  std::string (*value)(const AlertTextSubject& about);
};

// alert_text.h documents each one.
constexpr Placeholder kPlaceholders[] = {
    {"server",
     [](const AlertTextSubject& a) { return "Management server " + ShortName(a.node); }},
    {"subject", [](const AlertTextSubject& a) { return Subject(a.node, a.target); }},
    {"state", [](const AlertTextSubject& a) { return StateText(a.node); }},
    {"silence", [](const AlertTextSubject& a) { return SilenceText(a.node); }},
    {"dead_after",
     [](const AlertTextSubject& a) { return Seconds(a.node.dead_after_seconds); }},
    {"stale_after",
     [](const AlertTextSubject& a) { return Seconds(a.node.stale_after_seconds); }},
    {"probe", [](const AlertTextSubject& a) { return ProbeText(a.node); }},
    {"will_clear",
     [](const AlertTextSubject& a) { return WillCloudStackClear(a.node, a.snapshot); }},
    {"load", [](const AlertTextSubject& a) { return LoadText(a.node, false); }},
    {"load_gone", [](const AlertTextSubject& a) { return LoadText(a.node, true); }},
};

const Placeholder* FindPlaceholder(std::string_view name) {
  for (const Placeholder& placeholder : kPlaceholders) {
    if (placeholder.name == name) return &placeholder;
  }
  return nullptr;
}

// A template cut into literal text and names in braces ("{server} is" gives the name
// "server", then the text " is"). A brace that closes nothing is text.
struct Piece {
  std::string_view text;  // a literal, or the name without its braces
  bool braced = false;
};

std::vector<Piece> Pieces(std::string_view text) {
  std::vector<Piece> pieces;
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('{', at);
    const size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) {
      pieces.push_back({text.substr(at)});
      break;
    }
    // "{a {b}": the name is b's; "{a " is text.
    const size_t inner = text.rfind('{', close);
    if (inner > at) pieces.push_back({text.substr(at, inner - at)});
    pieces.push_back({text.substr(inner + 1, close - inner - 1), true});
    at = close + 1;
  }
  return pieces;
}

}  // namespace

std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1fs", seconds);
  return text;
}

std::string StateText(const NodeStatus& node) {
  return node.row.state ? *node.row.state : "<NULL>";
}

std::string ShortName(const NodeStatus& node) {
  if (!node.row.name || node.row.name->empty()) return std::to_string(node.row.msid);
  return *node.row.name;
}

std::string Subject(const NodeStatus& node, const std::string& target) {
  const std::string name =
      node.row.name && !node.row.name->empty() ? *node.row.name : "(unnamed)";
  return name + " (msid " + std::to_string(node.row.msid) + ", target " + target + ")";
}

std::string LoadText(const NodeStatus& node, bool gone) {
  if (!node.load) return "";
  const NodeLoad& load = *node.load;
  if (load.agents_total == 0 && load.jobs_in_progress == 0) {
    return gone ? " " + ShortName(node) + " is gone; no agents and no jobs in progress "
                  "were attached to it."
                : " No agents and no jobs in progress are attached to it.";
  }
  std::string counts = DescribeLoad(load);
  if (load.agents.size() > 1) {
    std::string by_status;
    for (const auto& [status, count] : load.agents) {
      by_status += (by_status.empty() ? "" : ", ") + std::to_string(count) + " " + status;
    }
    const size_t agents_end = counts.find(" and ");
    counts.insert(agents_end, " (" + by_status + ")");
  }
  if (gone)
    return " " + ShortName(node) + " is gone; " + counts + " are still attached to it.";
  return " " + counts + " are attached to it.";
}

std::string ExpandAlertText(std::string_view text, const NodeStatus& node,
                            const Snapshot& snapshot, const std::string& target) {
  const AlertTextSubject about{node, snapshot, target};
  std::string out;
  for (const Piece& piece : Pieces(text)) {
    const Placeholder* placeholder = piece.braced ? FindPlaceholder(piece.text) : nullptr;
    if (placeholder) {
      out += placeholder->value(about);
    } else if (piece.braced) {
      out += "{" + std::string(piece.text) + "}";  // visible, see alert_text.h
    } else {
      out += piece.text;
    }
  }
  return out;
}

std::vector<std::string> UnknownPlaceholders(std::string_view text) {
  std::vector<std::string> unknown;
  for (const Piece& piece : Pieces(text)) {
    if (piece.braced && !FindPlaceholder(piece.text)) unknown.emplace_back(piece.text);
  }
  return unknown;
}

}  // namespace msx
