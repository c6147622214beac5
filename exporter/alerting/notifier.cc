#include "alerting/notifier.h"

#include <curl/curl.h>

#include <chrono>
#include <deque>
#include <thread>

#include "alerting/alertmanager_api.h"
#include "common/log.h"

namespace msx {
namespace {

constexpr size_t kMaxResponseBytes = 512;  // enough for Alertmanager's error text

struct PostResult {
  bool ok = false;
  bool retryable = false;
  std::string error;
  // What went wrong, without the details that change from try to try (curl's
  // "timed out after 10001 milliseconds"): "HTTP 500", "curl 28".
  std::string problem;
};

size_t CollectResponse(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  if (response->size() < kMaxResponseBytes) {
    response->append(data, std::min(bytes, kMaxResponseBytes - response->size()));
  }
  return bytes;
}

// Aborts a transfer in flight when the notifier stops.
int AbortOnStop(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const Interrupt*>(user)->signaled() ? 1 : 0;
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

// One Alertmanager: its queue, its thread and its counters.
class AlertmanagerNotifier::Sender {
 public:
  Sender(const AlertmanagerOptions& options, AlertmanagerUrl url, const Clock& clock,
         std::atomic<uint64_t>* dropped)
      : options_(options), url_(std::move(url)), clock_(clock), dropped_(dropped) {
    if (!url_.ok) {
      LogError("Alertmanager URL unusable, alerts to it count as errors",
               {{"alertmanager", url_.label}, {"error", url_.error}});
      return;
    }
    thread_ = std::thread([this] { Run(); });
  }

  ~Sender() {
    {
      // Under mu_, so that Run() cannot miss it between its check and its wait.
      std::lock_guard<std::mutex> lock(mu_);
      stop_.Signal();
    }
    work_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void Push(const std::vector<AlertNotification>& alerts) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!url_.ok) {
      error_ += alerts.size();
      return;
    }
    uint64_t dropped = 0;
    for (const AlertNotification& alert : alerts) {
      if (queue_.size() >= options_.queue_capacity) {
        queue_.pop_front();
        ++dropped;
      }
      queue_.push_back(alert);
    }
    if (dropped > 0) {
      *dropped_ += dropped;
      LogWarn("Alertmanager queue full, dropped the oldest alerts",
              {{"alertmanager", url_.label}, {"dropped", dropped}});
    }
    work_cv_.notify_one();
  }

  void AddStats(NotifierStats* stats) const {
    std::lock_guard<std::mutex> lock(mu_);
    stats->notifications[{url_.label, "success"}] += success_;
    stats->notifications[{url_.label, "error"}] += error_;
  }

  bool WaitIdle(double timeout_seconds) {
    std::unique_lock<std::mutex> lock(mu_);
    return idle_cv_.wait_for(lock, std::chrono::duration<double>(timeout_seconds),
                             [this] { return queue_.empty() && !busy_; });
  }

 private:
  void Run() {
    CURL* curl = curl_easy_init();
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      work_cv_.wait(lock, [this] { return stop_.signaled() || !queue_.empty(); });
      if (stop_.signaled()) break;
      std::vector<AlertNotification> batch;
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      busy_ = true;
      lock.unlock();
      const bool ok = curl != nullptr && Deliver(curl, EncodeAlerts(batch), batch.size());
      lock.lock();
      (ok ? success_ : error_) += batch.size();
      busy_ = false;
      idle_cv_.notify_all();
    }
    lock.unlock();
    if (curl != nullptr) curl_easy_cleanup(curl);
  }

  // Tries up to max_attempts times (once for a 4xx), waiting the backoff on the
  // Clock between tries; stopping ends the wait and abandons the batch.
  bool Deliver(CURL* curl, const std::string& body, size_t alerts) {
    double backoff_seconds = options_.initial_backoff_seconds;
    PostResult result;
    for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
      result = Post(curl, body);
      NoteResult(result, alerts);
      if (result.ok || !result.retryable || attempt == options_.max_attempts) break;
      if (!clock_.SleepUntil(clock_.MonotonicSeconds() + backoff_seconds, stop_)) break;
      backoff_seconds *= 2;
    }
    return result.ok;
  }

  // Logs the first try that fails for a new reason, and the first success after
  // failures: once per problem, not per try or batch, so an Alertmanager that is down
  // for an hour is two lines. Logged at the first try, not after the retries, so a
  // slow Alertmanager shows up after one timeout.
  void NoteResult(const PostResult& result, size_t alerts) {
    if (result.ok) {
      if (!logged_problem_.empty()) {
        LogInfo("Alertmanager reachable again", {{"alertmanager", url_.label}});
      }
      logged_problem_.clear();
      return;
    }
    const bool known = result.problem == logged_problem_;
    logged_problem_ = result.problem;
    if (known) {
      LogDebug(
          "cannot send alerts to Alertmanager",
          {{"alertmanager", url_.label}, {"alerts", alerts}, {"error", result.error}});
      return;
    }
    LogWarn("cannot send alerts to Alertmanager",
            {{"alertmanager", url_.label},
             {"alerts", alerts},
             {"retried", result.retryable ? "yes" : "no"},
             {"error", result.error}});
  }

  PostResult Post(CURL* curl, const std::string& body) {
    curl_easy_reset(curl);
    std::string response;
    char error_buffer[CURL_ERROR_SIZE] = "";
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    const long timeout_ms = static_cast<long>(options_.timeout_seconds * 1000);

    curl_easy_setopt(curl, CURLOPT_URL, url_.endpoint.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectResponse);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AbortOnStop);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &stop_);
    if (url_.has_credentials) {
      curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(curl, CURLOPT_USERNAME, url_.user.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, url_.password.c_str());
    }
    if (!options_.ca_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    }
    if (!options_.cert_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLCERT, options_.cert_file.c_str());
      curl_easy_setopt(curl, CURLOPT_SSLKEY, options_.key_file.c_str());
    }

    const CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(headers);

    PostResult result;
    if (code != CURLE_OK) {
      result.retryable = true;
      result.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
      result.problem = "curl " + std::to_string(code);
      return result;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      result.ok = true;
      return result;
    }
    result.retryable = status >= 500 || status == 429;
    result.error = "HTTP " + std::to_string(status);
    result.problem = result.error;
    if (!response.empty()) result.error += ": " + OneLine(response);
    return result;
  }

  const AlertmanagerOptions& options_;
  const AlertmanagerUrl url_;
  const Clock& clock_;
  std::atomic<uint64_t>* const dropped_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // queue_ changed or stop_ signaled
  std::condition_variable idle_cv_;  // queue_ empty and not busy_
  std::deque<AlertNotification> queue_;
  bool busy_ = false;
  Interrupt stop_;        // signaled under mu_; ends a backoff and a transfer in flight
  uint64_t success_ = 0;  // alerts, guarded by mu_
  uint64_t error_ = 0;
  std::string logged_problem_;  // PostResult::problem last logged; sender thread only
  std::thread thread_;
};

AlertmanagerNotifier::AlertmanagerNotifier(AlertmanagerOptions options,
                                           const Clock& clock)
    : options_(std::move(options)) {
  // libcurl's global state must be set up once, before any thread uses it.
  static const CURLcode kCurlInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (kCurlInit != CURLE_OK) {
    LogError("libcurl failed to initialize, alerts cannot be sent",
             {{"error", curl_easy_strerror(kCurlInit)}});
  }
  for (const std::string& url : options_.urls) {
    senders_.push_back(
        std::make_unique<Sender>(options_, ParseAlertmanagerUrl(url), clock, &dropped_));
  }
}

AlertmanagerNotifier::~AlertmanagerNotifier() = default;

void AlertmanagerNotifier::Notify(const std::vector<AlertNotification>& alerts) {
  if (alerts.empty()) return;
  for (auto& sender : senders_) sender->Push(alerts);
}

NotifierStats AlertmanagerNotifier::Stats() const {
  NotifierStats stats;
  for (const auto& sender : senders_) sender->AddStats(&stats);
  stats.dropped = dropped_.load();
  return stats;
}

bool AlertmanagerNotifier::WaitIdle(double timeout_seconds) {
  for (auto& sender : senders_) {
    if (!sender->WaitIdle(timeout_seconds)) return false;
  }
  return true;
}

std::unique_ptr<Notifier> MakeAlertmanagerNotifier(const AlertingConfig& config,
                                                   const Clock& clock) {
  if (config.alertmanagers.empty()) return nullptr;
  AlertmanagerOptions options;
  options.urls = config.alertmanagers;
  options.user_agent = std::string("mshost_exporter/") + MSX_VERSION;
  return std::make_unique<AlertmanagerNotifier>(std::move(options), clock);
}

}  // namespace msx
