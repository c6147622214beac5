#include "alerting/notifier.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "alerting/alertmanager_api.h"
#include "common/clock.h"
#include "log_capture.h"

namespace msx {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Generous bound for the sender thread to finish on a loaded machine; tests pass in
// milliseconds and only a broken notifier makes them wait this long.
constexpr double kWait = 20;

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// A loopback HTTP/1.1 server standing in for Alertmanager: records every request and
// answers with scripted statuses (200 once the script is used up). With Hold() it
// keeps the client waiting until Release(), like a slow Alertmanager.
class FakeAlertmanager {
 public:
  FakeAlertmanager() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }

  ~FakeAlertmanager() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      held_ = false;
    }
    cv_.notify_all();
    shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    close(fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  void Script(std::vector<int> statuses) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.assign(statuses.begin(), statuses.end());
  }
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  bool WaitForRequests(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(kWait),
                        [&] { return requests_.size() >= count; });
  }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Run() {
    while (true) {
      const int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;  // shut down
      Serve(conn);
      close(conn);
    }
  }

  void Serve(int conn) {
    std::string data;
    char buffer[4096];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = read(conn, buffer, sizeof(buffer));
      if (n <= 0) return;
      data.append(buffer, n);
    }
    Request request;
    std::string head = data.substr(0, header_end);
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    request.method = request_line.substr(0, request_line.find(' '));
    const size_t path_begin = request_line.find(' ') + 1;
    request.path =
        request_line.substr(path_begin, request_line.find(' ', path_begin) - path_begin);
    while (line_end != std::string::npos && line_end < head.size()) {
      const size_t next = head.find("\r\n", line_end + 2);
      std::string line =
          head.substr(line_end + 2, next == std::string::npos ? std::string::npos
                                                              : next - line_end - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        request.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      line_end = next;
    }
    const size_t length = std::stoul(request.headers["content-length"]);
    request.body = data.substr(header_end + 4);
    while (request.body.size() < length) {
      const ssize_t n = read(conn, buffer, sizeof(buffer));
      if (n <= 0) return;
      request.body.append(buffer, n);
    }

    int status = 200;
    {
      std::unique_lock<std::mutex> lock(mu_);
      requests_.push_back(request);
      cv_.notify_all();
      cv_.wait(lock, [this] { return !held_; });
      if (stopping_) return;
      if (!script_.empty()) {
        status = script_.front();
        script_.pop_front();
      }
    }
    const std::string body = status == 200 ? "" : "bad things\n";
    const std::string response =
        "HTTP/1.1 " + std::to_string(status) +
        " Status\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
    (void)!write(conn, response.data(), response.size());
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> script_;
  std::vector<Request> requests_;
  bool held_ = false;
  bool stopping_ = false;
};

AlertNotification Alert(const std::string& alertname, double starts = 1'700'000'000.5,
                        double ends = 1'700'000'120.5) {
  AlertNotification alert;
  alert.labels = {{"alertname", alertname},
                  {"severity", "critical"},
                  {"target", "prod"},
                  {"msid", "7"},
                  {"name", "ms7"}};
  alert.annotations = {{"summary", "s"}, {"description", "d"}, {"runbook_url", "r"}};
  alert.starts_at_unix = starts;
  alert.ends_at_unix = ends;
  alert.generator_url = "http://exporter:9887/";
  return alert;
}

// No backoff: a retry follows at once, so tests that are not about the backoff need
// not move their FakeClock (RetriesAfterTheBackoffOnTheClock is about it).
AlertmanagerOptions Options(std::vector<std::string> urls) {
  AlertmanagerOptions options;
  options.urls = std::move(urls);
  options.timeout_seconds = 5;
  options.initial_backoff_seconds = 0;
  return options;
}

uint64_t Count(const NotifierStats& stats, const std::string& am,
               const std::string& result) {
  auto it = stats.notifications.find({am, result});
  return it == stats.notifications.end() ? 0 : it->second;
}

std::vector<std::string> AlertnamesIn(const std::string& body) {
  std::vector<std::string> names;
  for (const auto& alert : nlohmann::json::parse(body)) {
    names.push_back(alert["labels"]["alertname"]);
  }
  return names;
}

TEST(AlertmanagerApiTest, ParsesUrls) {
  AlertmanagerUrl plain = ParseAlertmanagerUrl("http://127.0.0.1:9093");
  ASSERT_TRUE(plain.ok);
  EXPECT_EQ(plain.endpoint, "http://127.0.0.1:9093/api/v2/alerts");
  EXPECT_EQ(plain.label, "http://127.0.0.1:9093");
  EXPECT_FALSE(plain.has_credentials);

  AlertmanagerUrl auth =
      ParseAlertmanagerUrl("https://bob:s%40cr%3At@am.example/prefix/");
  ASSERT_TRUE(auth.ok);
  EXPECT_EQ(auth.endpoint, "https://am.example/prefix/api/v2/alerts");
  EXPECT_EQ(auth.label, "https://am.example/prefix");
  EXPECT_TRUE(auth.has_credentials);
  EXPECT_EQ(auth.user, "bob");
  EXPECT_EQ(auth.password, "s@cr:t");

  for (const char* bad :
       {"ftp://am:9093", "am:9093", "http://", "http://:9093", "http://am:9093/?x=1"}) {
    AlertmanagerUrl url = ParseAlertmanagerUrl(bad);
    EXPECT_FALSE(url.ok) << bad;
    EXPECT_FALSE(url.error.empty()) << bad;
  }
  AlertmanagerUrl bad_with_secret = ParseAlertmanagerUrl("http://u:secret@");
  EXPECT_FALSE(bad_with_secret.ok);
  EXPECT_EQ(bad_with_secret.label.find("secret"), std::string::npos);
}

TEST(AlertmanagerApiTest, KeepsMalformedEscapesInCredentials) {
  AlertmanagerUrl url = ParseAlertmanagerUrl("http://b%zzob%4:%%40x%4@am.example:9093");
  ASSERT_TRUE(url.ok) << url.error;
  EXPECT_EQ(url.user, "b%zzob%4");
  EXPECT_EQ(url.password, "%@x%4");
  EXPECT_EQ(url.label, "http://am.example:9093");
}

TEST(AlertmanagerApiTest, EncodesTheApiV2Body) {
  AlertNotification alert = Alert("A");
  alert.labels["name"] = "";                  // a NULL name: left out
  alert.annotations["description"] = "\xff";  // not UTF-8: replaced, not thrown
  alert.generator_url = "";
  const nlohmann::json body = nlohmann::json::parse(EncodeAlerts({alert}));
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 1u);
  const nlohmann::json& item = body[0];
  EXPECT_EQ(item["labels"], nlohmann::json({{"alertname", "A"},
                                            {"severity", "critical"},
                                            {"target", "prod"},
                                            {"msid", "7"}}));
  EXPECT_EQ(item["annotations"]["summary"], "s");
  EXPECT_EQ(item["annotations"]["description"], "\xef\xbf\xbd");
  EXPECT_EQ(item["startsAt"], "2023-11-14T22:13:20.500Z");
  EXPECT_EQ(item["endsAt"], "2023-11-14T22:15:20.500Z");
  EXPECT_FALSE(item.contains("generatorURL"));
  EXPECT_EQ(EncodeAlerts({}), "[]");
}

TEST(AlertmanagerNotifierTest, PostsAJsonArrayToApiV2) {
  FakeClock clock;
  FakeAlertmanager am;
  AlertmanagerNotifier notifier(Options({am.url()}), clock);
  notifier.Notify({Alert("A"), Alert("B")});
  ASSERT_TRUE(notifier.WaitIdle(kWait));

  std::vector<Request> requests = am.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/api/v2/alerts");
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  EXPECT_EQ(requests[0].headers.count("authorization"), 0u);
  const nlohmann::json body = nlohmann::json::parse(requests[0].body);
  ASSERT_EQ(body.size(), 2u);
  EXPECT_EQ(body[0]["labels"]["alertname"], "A");
  EXPECT_EQ(body[0]["labels"]["name"], "ms7");
  EXPECT_EQ(body[0]["annotations"]["runbook_url"], "r");
  EXPECT_EQ(body[0]["startsAt"], "2023-11-14T22:13:20.500Z");
  EXPECT_EQ(body[0]["endsAt"], "2023-11-14T22:15:20.500Z");
  EXPECT_EQ(body[0]["generatorURL"], "http://exporter:9887/");

  NotifierStats stats = notifier.Stats();
  EXPECT_EQ(Count(stats, am.url(), "success"), 2u);
  EXPECT_EQ(Count(stats, am.url(), "error"), 0u);
  EXPECT_EQ(stats.dropped, 0u);
}

TEST(AlertmanagerNotifierTest, BasicAuthFromUserinfoAndPathPrefix) {
  FakeClock clock;
  FakeAlertmanager am;
  const std::string base = "http://127.0.0.1:" + std::to_string(am.port()) + "/am";
  AlertmanagerNotifier notifier(
      Options({"http://user:p%40ss@127.0.0.1:" + std::to_string(am.port()) + "/am/"}),
      clock);
  notifier.Notify({Alert("A")});
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  std::vector<Request> requests = am.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/am/api/v2/alerts");
  EXPECT_EQ(requests[0].headers["authorization"], "Basic dXNlcjpwQHNz");  // user:p@ss
  EXPECT_THAT(
      notifier.Stats().notifications,
      ElementsAre(Pair(Pair(base, "error"), 0u), Pair(Pair(base, "success"), 1u)));
}

TEST(AlertmanagerNotifierTest, RetriesServerErrorsThenSucceeds) {
  FakeClock clock;
  FakeAlertmanager am;
  am.Script({500, 503});
  AlertmanagerNotifier notifier(Options({am.url()}), clock);
  notifier.Notify({Alert("A")});
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  std::vector<Request> requests = am.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].body, requests[0].body);
  EXPECT_EQ(Count(notifier.Stats(), am.url(), "success"), 1u);
  EXPECT_EQ(Count(notifier.Stats(), am.url(), "error"), 0u);
}

// The backoff is waited on the notifier's clock: the retry comes when the clock
// reaches it, not a moment before, and the backoff doubles. Advance() returns once
// the sender has seen the new time, so "still asleep" is not a race.
TEST(AlertmanagerNotifierTest, RetriesAfterTheBackoffOnTheClock) {
  FakeClock clock;
  FakeAlertmanager am;
  am.Script({500, 503});
  AlertmanagerOptions options = Options({am.url()});
  options.max_attempts = 3;
  options.initial_backoff_seconds = 4;
  AlertmanagerNotifier notifier(options, clock);
  notifier.Notify({Alert("A")});

  ASSERT_TRUE(clock.WaitForSleepers(1, kWait));  // the first try failed
  EXPECT_EQ(am.requests().size(), 1u);
  clock.Advance(3.75);
  EXPECT_EQ(clock.sleepers(), 1u);
  EXPECT_EQ(am.requests().size(), 1u);
  clock.Advance(0.25);
  ASSERT_TRUE(am.WaitForRequests(2));

  ASSERT_TRUE(clock.WaitForSleepers(1, kWait));  // the second try failed: 8 s now
  clock.Advance(7.75);
  EXPECT_EQ(clock.sleepers(), 1u);
  EXPECT_EQ(am.requests().size(), 2u);
  clock.Advance(0.25);
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  EXPECT_EQ(am.requests().size(), 3u);
  EXPECT_EQ(Count(notifier.Stats(), am.url(), "success"), 1u);
}

TEST(AlertmanagerNotifierTest, StoppingEndsTheBackoff) {
  FakeClock clock;
  FakeAlertmanager am;
  am.Script({500});
  AlertmanagerOptions options = Options({am.url()});
  options.initial_backoff_seconds = 4;
  {
    AlertmanagerNotifier notifier(options, clock);
    notifier.Notify({Alert("A")});
    ASSERT_TRUE(clock.WaitForSleepers(1, kWait));
  }  // joins the sender, which would wait for the clock forever if Stop were ignored
  EXPECT_EQ(clock.sleepers(), 0u);
  EXPECT_EQ(am.requests().size(), 1u);
}

TEST(AlertmanagerNotifierTest, GivesUpAfterMaxAttempts) {
  FakeClock clock;
  FakeAlertmanager am;
  am.Script({500, 500, 500, 500});
  AlertmanagerOptions options = Options({am.url()});
  options.max_attempts = 3;
  AlertmanagerNotifier notifier(options, clock);
  notifier.Notify({Alert("A"), Alert("B")});
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  EXPECT_EQ(am.requests().size(), 3u);
  EXPECT_EQ(Count(notifier.Stats(), am.url(), "error"), 2u);
  EXPECT_EQ(Count(notifier.Stats(), am.url(), "success"), 0u);

  // The next alerts go through: one bad batch does not block the queue.
  notifier.Notify({Alert("C")});
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  EXPECT_EQ(Count(notifier.Stats(), am.url(), "success"), 1u);
}

TEST(AlertmanagerNotifierTest, ClientErrorIsNotRetried) {
  FakeClock clock;
  FakeAlertmanager am;
  am.Script({400});
  AlertmanagerNotifier notifier(Options({am.url()}), clock);
  notifier.Notify({Alert("A")});
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  EXPECT_EQ(am.requests().size(), 1u);
  EXPECT_EQ(Count(notifier.Stats(), am.url(), "error"), 1u);
}

TEST(AlertmanagerNotifierTest, UnreachableAlertmanagerCountsErrors) {
  FakeClock clock;
  int port;
  {
    FakeAlertmanager gone;  // a port that was free a moment ago and is closed now
    port = gone.port();
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  AlertmanagerOptions options = Options({url});
  options.max_attempts = 2;
  AlertmanagerNotifier notifier(options, clock);
  notifier.Notify({Alert("A")});
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  EXPECT_EQ(Count(notifier.Stats(), url, "error"), 1u);
  EXPECT_EQ(Count(notifier.Stats(), url, "success"), 0u);
}

TEST(AlertmanagerNotifierTest, SlowAlertmanagerTimesOut) {
  FakeClock clock;
  FakeAlertmanager am;
  am.Hold();
  AlertmanagerOptions options = Options({am.url()});
  options.timeout_seconds = 0.2;
  options.max_attempts = 1;
  AlertmanagerNotifier notifier(options, clock);
  notifier.Notify({Alert("A")});  // returns while the request hangs
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  EXPECT_EQ(Count(notifier.Stats(), am.url(), "error"), 1u);
}

TEST(AlertmanagerNotifierTest, FullQueueDropsTheOldest) {
  FakeClock clock;
  FakeAlertmanager am;
  am.Hold();
  AlertmanagerOptions options = Options({am.url()});
  options.queue_capacity = 2;
  AlertmanagerNotifier notifier(options, clock);
  notifier.Notify({Alert("A")});
  ASSERT_TRUE(am.WaitForRequests(1));  // A is in flight; the queue is empty
  notifier.Notify({Alert("B"), Alert("C"), Alert("D")});
  EXPECT_EQ(notifier.Stats().dropped, 1u);
  am.Release();
  ASSERT_TRUE(notifier.WaitIdle(kWait));

  std::vector<Request> requests = am.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(AlertnamesIn(requests[0].body), ElementsAre("A"));
  EXPECT_THAT(AlertnamesIn(requests[1].body), ElementsAre("C", "D"));
  EXPECT_EQ(Count(notifier.Stats(), am.url(), "success"), 3u);
}

TEST(AlertmanagerNotifierTest, BatchesAreBounded) {
  FakeClock clock;
  FakeAlertmanager am;
  am.Hold();
  AlertmanagerOptions options = Options({am.url()});
  options.max_batch = 2;
  AlertmanagerNotifier notifier(options, clock);
  notifier.Notify({Alert("A")});
  ASSERT_TRUE(am.WaitForRequests(1));
  notifier.Notify({Alert("B"), Alert("C"), Alert("D")});
  am.Release();
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  std::vector<Request> requests = am.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_THAT(AlertnamesIn(requests[1].body), ElementsAre("B", "C"));
  EXPECT_THAT(AlertnamesIn(requests[2].body), ElementsAre("D"));
}

TEST(AlertmanagerNotifierTest, ASlowAlertmanagerDoesNotDelayTheOther) {
  FakeClock clock;
  FakeAlertmanager slow;
  FakeAlertmanager fast;
  slow.Hold();
  AlertmanagerNotifier notifier(Options({slow.url(), fast.url()}), clock);
  notifier.Notify({Alert("A")});
  ASSERT_TRUE(fast.WaitForRequests(1));
  EXPECT_TRUE(slow.WaitForRequests(1));
  EXPECT_EQ(Count(notifier.Stats(), slow.url(), "success"), 0u);
  slow.Release();
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  EXPECT_EQ(Count(notifier.Stats(), slow.url(), "success"), 1u);
  EXPECT_EQ(Count(notifier.Stats(), fast.url(), "success"), 1u);
}

TEST(AlertmanagerNotifierTest, UnusableUrlCountsErrorsWithoutCredentials) {
  FakeClock clock;
  AlertmanagerNotifier notifier(Options({"http://user:secret@"}), clock);
  notifier.Notify({Alert("A")});
  ASSERT_TRUE(notifier.WaitIdle(kWait));
  NotifierStats stats = notifier.Stats();
  uint64_t errors = 0;
  for (const auto& [key, count] : stats.notifications) {
    EXPECT_EQ(key.first.find("secret"), std::string::npos);
    if (key.second == "error") errors += count;
  }
  EXPECT_EQ(errors, 1u);
}

TEST(AlertmanagerNotifierTest, MakeAlertmanagerNotifierNeedsAnAlertmanager) {
  FakeClock clock;
  AlertingConfig config;
  EXPECT_EQ(MakeAlertmanagerNotifier(config, clock), nullptr);
  config.alertmanagers = {"http://127.0.0.1:9"};
  EXPECT_NE(MakeAlertmanagerNotifier(config, clock), nullptr);
}

TEST(AlertmanagerNotifierTest, LogsOncePerProblemNotPerTry) {
  FakeClock clock;
  FakeAlertmanager am;
  // Two batches fail three tries each with 500, one is refused with 400, one works.
  am.Script({500, 500, 500, 500, 500, 500, 400, 200});
  test::LogCapture log;
  {
    AlertmanagerNotifier notifier(Options({am.url()}), clock);
    for (const char* name : {"A", "B", "C", "D"}) {
      notifier.Notify({Alert(name)});
      ASSERT_TRUE(notifier.WaitIdle(kWait));
    }
    EXPECT_EQ(am.requests().size(), 8u);
    EXPECT_EQ(Count(notifier.Stats(), am.url(), "error"), 3u);
    EXPECT_EQ(Count(notifier.Stats(), am.url(), "success"), 1u);
  }  // joins the sender: every line is written

  const std::vector<std::string> failed = log.Lines(
      {"msg=\"cannot send alerts to Alertmanager\"", "alertmanager=" + am.url()});
  ASSERT_EQ(failed.size(), 2u) << log.Text();
  EXPECT_NE(failed[0].find("retried=yes error=\"HTTP 500: bad things\""),
            std::string::npos)
      << failed[0];
  EXPECT_NE(failed[1].find("retried=no error=\"HTTP 400: bad things\""),
            std::string::npos)
      << failed[1];
  EXPECT_EQ(log.Lines({"msg=\"Alertmanager reachable again\""}).size(), 1u) << log.Text();
}

TEST(AlertmanagerNotifierTest, SlowAlertmanagerIsLoggedAtTheFirstTimeout) {
  FakeClock clock;
  FakeAlertmanager am;
  am.Hold();
  test::LogCapture log;
  AlertmanagerOptions options = Options({am.url()});
  options.timeout_seconds = 0.2;
  options.max_attempts = 3;
  options.initial_backoff_seconds = 3600;  // of a clock that does not move
  AlertmanagerNotifier notifier(options, clock);
  notifier.Notify({Alert("A")});
  ASSERT_TRUE(am.WaitForRequests(1));
  // Logged after one timeout, while the batch still waits for its next try.
  const std::vector<std::string> lines =
      log.WaitForLines({"msg=\"cannot send alerts to Alertmanager\""}, kWait);
  ASSERT_EQ(lines.size(), 1u) << log.Text();
  EXPECT_NE(lines[0].find("retried=yes"), std::string::npos) << lines[0];
  EXPECT_EQ(am.requests().size(), 1u);
  am.Release();
}

}  // namespace
}  // namespace msx
