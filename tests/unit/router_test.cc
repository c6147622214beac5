#include <gtest/gtest.h>

#include "http/http.h"

namespace msx {
namespace {

HttpRequest Request(std::string method, std::string path, std::string query = "") {
  HttpRequest req;
  req.method = std::move(method);
  req.path = std::move(path);
  req.query = std::move(query);
  return req;
}

HttpHandler Answer(std::string body) {
  return [body](const HttpRequest&) {
    HttpResponse response;
    response.body = body;
    return response;
  };
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.Handle("GET", "/metrics", Answer("metrics"));
    router_.Handle("GET", "/-/reload", Answer("reload page"));
    router_.Handle("POST", "/-/reload", Answer("reloaded"));
    router_.Handle("POST", "/only-post", Answer("posted"));
  }
  Router router_;
};

TEST_F(RouterTest, ExactPathMatch) {
  EXPECT_EQ(router_.Serve(Request("GET", "/metrics")).body, "metrics");
  for (const char* path : {"/metrics/", "/metrics/x", "/metric", "/Metrics", "", "/"}) {
    const HttpResponse response = router_.Serve(Request("GET", path));
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
  }
}

TEST_F(RouterTest, MethodSelectsHandler) {
  EXPECT_EQ(router_.Serve(Request("GET", "/-/reload")).body, "reload page");
  EXPECT_EQ(router_.Serve(Request("POST", "/-/reload")).body, "reloaded");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  HttpResponse response = router_.Serve(Request("POST", "/metrics"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers["Allow"], "GET, HEAD");

  response = router_.Serve(Request("DELETE", "/-/reload"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers["Allow"], "GET, HEAD, POST");

  response = router_.Serve(Request("GET", "/only-post"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers["Allow"], "POST");
  EXPECT_EQ(router_.Serve(Request("HEAD", "/only-post")).status, 405);
}

TEST_F(RouterTest, HeadUsesTheGetHandler) {
  const HttpResponse response = router_.Serve(Request("HEAD", "/metrics"));
  EXPECT_EQ(response.status, 200);
  // The body stays, so the server can send its Content-Length; it drops the bytes.
  EXPECT_EQ(response.body, "metrics");
}

TEST_F(RouterTest, MethodNamesAreCaseSensitive) {
  EXPECT_EQ(router_.Serve(Request("get", "/metrics")).status, 405);
}

TEST(HttpRequestTest, QueryParamDecodes) {
  const HttpRequest req =
      Request("GET", "/probe", "target=prod%2Deu+1&empty=&flag&x=%zz&t%61rget=second");
  bool found = false;
  EXPECT_EQ(req.QueryParam("target", &found), "prod-eu 1");  // the first one wins
  EXPECT_TRUE(found);
  EXPECT_EQ(req.QueryParam("empty", &found), "");
  EXPECT_TRUE(found);
  EXPECT_EQ(req.QueryParam("flag", &found), "");
  EXPECT_TRUE(found);
  EXPECT_EQ(req.QueryParam("x"), "%zz");  // malformed escapes stay as they are
  EXPECT_EQ(req.QueryParam("missing", &found), "");
  EXPECT_FALSE(found);
  EXPECT_EQ(req.QueryParam("Target", &found), "");  // names match exactly
  EXPECT_FALSE(found);
}

TEST(HttpRequestTest, QueryParamEdgeCases) {
  bool found = true;
  EXPECT_EQ(Request("GET", "/", "").QueryParam("target", &found), "");
  EXPECT_FALSE(found);
  EXPECT_EQ(Request("GET", "/", "&&target=a%&").QueryParam("target", &found), "a%");
  EXPECT_TRUE(found);
  EXPECT_EQ(Request("GET", "/", "target=%C3%A9%00x").QueryParam("target"),
            std::string("\xC3\xA9\0x", 4));
  EXPECT_EQ(Request("GET", "/", "target=a=b").QueryParam("target"), "a=b");
}

TEST(HttpRequestTest, QueryParamKeepsMalformedEscapes) {
  EXPECT_EQ(Request("GET", "/", "target=a%4").QueryParam("target"), "a%4");
  EXPECT_EQ(Request("GET", "/", "target=%4g%g4").QueryParam("target"), "%4g%g4");
  EXPECT_EQ(Request("GET", "/", "target=%%41%").QueryParam("target"), "%A%");
  EXPECT_EQ(Request("GET", "/", "target=%e9+%E9").QueryParam("target"), "\xE9 \xE9");
}

}  // namespace
}  // namespace msx
