#include <civetweb.h>

#include <limits>
#include <string_view>

#include "http/http.h"

namespace msx {
namespace {

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte. A '%' not
// followed by two hex digits is kept as it is, as browsers do (so does CivetWeb).
std::string UrlDecode(std::string_view in) {
  if (in.size() >= static_cast<size_t>(std::numeric_limits<int>::max())) return "";
  // Decoding never lengthens; CivetWeb also writes a terminating NUL.
  std::string out(in.size() + 1, '\0');
  const int length = mg_url_decode(in.data(), static_cast<int>(in.size()), out.data(),
                                   static_cast<int>(out.size()), 1);
  out.resize(length < 0 ? 0 : static_cast<size_t>(length));
  return out;
}

HttpResponse PlainError(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace

std::string HttpRequest::QueryParam(const std::string& name, bool* found) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (UrlDecode(pair.substr(0, eq)) != name) continue;
    if (found != nullptr) *found = true;
    return eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1));
  }
  if (found != nullptr) *found = false;
  return "";
}

void Router::Handle(const std::string& method, const std::string& path,
                    HttpHandler handler) {
  routes_[path][method] = std::move(handler);
}

HttpResponse Router::Serve(const HttpRequest& req) const {
  const auto route = routes_.find(req.path);
  if (route == routes_.end()) return PlainError(404, "404 page not found\n");
  const auto& methods = route->second;

  auto handler = methods.find(req.method);
  if (handler == methods.end() && req.method == "HEAD") handler = methods.find("GET");
  if (handler != methods.end()) return handler->second(req);

  std::string allow;
  for (const auto& [method, unused] : methods) {
    if (!allow.empty()) allow += ", ";
    allow += method;
    if (method == "GET" && methods.count("HEAD") == 0) allow += ", HEAD";
  }
  HttpResponse response = PlainError(405, "405 method not allowed, use " + allow + "\n");
  response.headers["Allow"] = allow;
  return response;
}

}  // namespace msx
