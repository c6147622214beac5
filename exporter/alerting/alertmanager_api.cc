#include "alerting/alertmanager_api.h"

#include <curl/curl.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/time_format.h"

namespace msx {
namespace {

// "%40" -> "@"; a malformed escape stays as written.
std::string PercentDecode(const std::string& text) {
  // curl reads a length of 0 as "up to the NUL", and takes an int.
  if (text.empty() || text.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return text;
  // With no handle curl_easy_unescape neither needs curl_global_init nor fails but for
  // want of memory.
  int length = 0;
  char* decoded =
      curl_easy_unescape(nullptr, text.data(), static_cast<int>(text.size()), &length);
  if (decoded == nullptr) return text;
  std::string out(decoded, static_cast<size_t>(length));
  curl_free(decoded);
  return out;
}

// The URL with any "user:password@" cut out, for labels and logs even when the rest
// of it is malformed.
std::string WithoutUserinfo(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const size_t authority_begin = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const size_t authority_end =
      std::min(url.find_first_of("/?#", authority_begin), url.size());
  const size_t at = url.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
  if (at == std::string::npos || at < authority_begin) return url;
  return url.substr(0, authority_begin) + url.substr(at + 1);
}

}  // namespace

AlertmanagerUrl ParseAlertmanagerUrl(const std::string& base_url) {
  AlertmanagerUrl url;
  url.label = WithoutUserinfo(base_url);  // until the URL proves usable
  const size_t scheme_end = base_url.find("://");
  const std::string scheme =
      scheme_end == std::string::npos ? "" : base_url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    url.error = "the Alertmanager URL must start with http:// or https://";
    return url;
  }
  const size_t authority_begin = scheme_end + 3;
  size_t authority_end = base_url.find_first_of("/?#", authority_begin);
  if (authority_end == std::string::npos) authority_end = base_url.size();
  std::string authority =
      base_url.substr(authority_begin, authority_end - authority_begin);
  std::string rest = base_url.substr(authority_end);
  if (rest.find_first_of("?#") != std::string::npos) {
    url.error = "the Alertmanager URL must not have a query or fragment";
    return url;
  }

  const size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    const std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    url.has_credentials = true;
    url.user = PercentDecode(userinfo.substr(0, colon));
    url.password =
        colon == std::string::npos ? "" : PercentDecode(userinfo.substr(colon + 1));
  }
  if (authority.empty() || authority[0] == ':') {
    url.error = "the Alertmanager URL has no host";
    return url;
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  url.label = scheme + "://" + authority + rest;
  url.endpoint = url.label + "/api/v2/alerts";
  url.ok = true;
  return url;
}

std::string EncodeAlerts(const std::vector<AlertNotification>& alerts) {
  nlohmann::json body = nlohmann::json::array();
  for (const AlertNotification& alert : alerts) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [name, value] : alert.labels) {
      if (!value.empty()) labels[name] = value;
    }
    nlohmann::json item = {
        {"labels", labels},
        {"annotations", alert.annotations},
        {"startsAt", FormatRfc3339Utc(alert.starts_at_unix, 3)},
        {"endsAt", FormatRfc3339Utc(alert.ends_at_unix, 3)},
    };
    if (!alert.generator_url.empty()) item["generatorURL"] = alert.generator_url;
    body.push_back(std::move(item));
  }
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace msx
