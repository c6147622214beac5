// Probe kind http: a node is alive when its port answers a plain HTTP request with
// anything that starts like an HTTP response, whatever the status (a 404 or 401
// still proves a web server runs there).
#include <algorithm>
#include <optional>
#include <string>

#include "probe/tcp_prober.h"

namespace msx {
namespace {

constexpr char kRequest[] =
    "GET / HTTP/1.0\r\n"
    "User-Agent: mshost_exporter\r\n"
    "\r\n";
constexpr char kStatusPrefix[] = "HTTP/";

std::string NotHttpText(const std::string& reply) {
  // 0x15 is a TLS alert, 0x16 a TLS handshake: an HTTPS port (the cluster servlet on
  // current CloudStack versions).
  const unsigned char first = static_cast<unsigned char>(reply[0]);
  if (first == 0x15 || first == 0x16) {
    return "not an HTTP reply: the port speaks TLS (use probe kind tcp)";
  }
  return "not an HTTP reply";
}

std::optional<ReplyVerdict> JudgeHttpReply(const std::string& reply, bool eof) {
  const std::string prefix = kStatusPrefix;
  const size_t compared = std::min(reply.size(), prefix.size());
  if (reply.compare(0, compared, prefix, 0, compared) != 0) {
    return ReplyVerdict{false, NotHttpText(reply)};
  }
  if (compared == prefix.size()) return ReplyVerdict{true, ""};
  if (eof) {
    return ReplyVerdict{false, reply.empty()
                                   ? "connection closed without a reply"
                                   : "connection closed in the middle of the reply"};
  }
  return std::nullopt;
}

class HttpProber : public Prober {
 public:
  explicit HttpProber(const Clock& clock) : clock_(clock) {}

  std::vector<ProbeResult> ProbeAll(const std::vector<ProbeTarget>& targets,
                                    double timeout_seconds) override {
    static const Conversation kConversation{kRequest, JudgeHttpReply};
    return ProbeSockets(targets, timeout_seconds, &kConversation, clock_);
  }

 private:
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Prober> NewHttpProber(const Clock& clock) {
  return std::make_unique<HttpProber>(clock);
}

}  // namespace msx
