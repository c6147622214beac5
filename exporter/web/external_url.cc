#include "web/external_url.h"

namespace msx {

StatusOr<std::string> ResolveExternalUrl(const std::string& flag, int bound_port,
                                         const std::string& hostname) {
  if (!flag.empty()) {
    std::string url = flag;
    size_t scheme_end = url.find("://");
    const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
    if ((scheme != "http" && scheme != "https") || url.size() == scheme_end + 3 ||
        url[scheme_end + 3] == '/') {
      return Status::Error(
          "--web.external-url must be an absolute http:// or https:// URL with a host, "
          "e.g. https://mshost-exporter.example.net, not \"" + flag + "\"");
    }
    if (url.find_first_of(" \t\r\n\"<>") != std::string::npos) {
      return Status::Error(
          "--web.external-url must not contain spaces, quotes or angle brackets: \"" +
          flag + "\"");
    }
    while (url.back() == '/') url.pop_back();
    return url;
  }
  const std::string host = hostname.empty() ? "localhost" : hostname;
  return "http://" + host + ":" + std::to_string(bound_port);
}

}  // namespace msx
