#include <string_view>

#include "http/http.h"

namespace msx {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte. A '%' not
// followed by two hex digits is kept as it is, as browsers do.
std::string UrlDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 &&
               HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
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
