// Notifier: the edge where alerts leave the exporter.
//
// Notify() hands alerts over and returns at once, so a slow or dead Alertmanager
// never delays a poll. AlertmanagerNotifier delivers them to every configured
// Alertmanager through its API v2 (POST <base>/api/v2/alerts, a JSON array), each
// from its own sender thread and bounded queue: when a queue is full the oldest
// alerts are dropped and counted (the evaluator re-sends every firing alert each
// resend_interval, so the newest state is the one worth keeping). A failed POST
// (network error, timeout, 5xx, 429) is retried with exponential backoff, waited on
// the injected Clock; a 4xx is not (the same body would fail again). The request
// timeout is libcurl's and runs on real time. Counters are per Alertmanager and per
// alert. The log gets one line when sending starts failing for a reason (an HTTP
// status, a transport error such as a timeout), at the first failed try, and one when
// it works again: never a line per try or per batch.
//
// TLS: https URLs are verified against the system's CAs, or ca_file. Basic auth comes
// from the URL's userinfo (https://user:pass@am.example:9093, percent-encoded); the
// credentials never appear in labels or logs. Two exporter replicas sending the same
// alerts yield one alert in Alertmanager, which deduplicates by labels.
//
// AlertmanagerNotifier is thread-safe: Notify() and Stats() may be called from any
// thread. Destroying it stops the senders (alerts still queued are abandoned).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "alerting/rules.h"
#include "common/clock.h"
#include "model/alert.h"

namespace msx {

// Results to expose as mshost_exporter_notifications_total{alertmanager,result} and
// mshost_exporter_notifications_dropped_total. Counted per alert, not per request.
struct NotifierStats {
  // (Alertmanager base URL without credentials, "success" | "error") -> alerts.
  std::map<std::pair<std::string, std::string>, uint64_t> notifications;
  uint64_t dropped = 0;  // alerts pushed out of a full queue
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Queues `alerts` for delivery and returns without waiting for the network.
  virtual void Notify(const std::vector<AlertNotification>& alerts) = 0;
  // What happened to the alerts so far (for the exporter's metrics).
  virtual NotifierStats Stats() const = 0;
};

struct AlertmanagerOptions {
  // Base URLs (http:// or https://, optional userinfo and path prefix); the loader
  // has checked the scheme. A URL that still cannot be used counts every alert sent
  // to it as an error.
  std::vector<std::string> urls;
  double timeout_seconds = 10;           // per request, connecting included
  size_t queue_capacity = 10000;         // alerts per Alertmanager
  size_t max_batch = 64;                 // alerts per request
  int max_attempts = 3;                  // per batch, the first try included
  double initial_backoff_seconds = 0.5;  // doubled after each failed try
  std::string ca_file;                   // PEM CAs for https; "" = the system's
  std::string cert_file;  // client certificate (PEM) when Alertmanager asks for one
  std::string key_file;
  std::string user_agent = "mshost_exporter";
};

class AlertmanagerNotifier : public Notifier {
 public:
  // `clock` times the backoff between tries and must outlive the notifier.
  AlertmanagerNotifier(AlertmanagerOptions options, const Clock& clock);
  ~AlertmanagerNotifier() override;

  AlertmanagerNotifier(const AlertmanagerNotifier&) = delete;
  AlertmanagerNotifier& operator=(const AlertmanagerNotifier&) = delete;

  void Notify(const std::vector<AlertNotification>& alerts) override;
  NotifierStats Stats() const override;

  // Waits until every queue is empty and no request is in flight; false after
  // timeout_seconds (per Alertmanager) of real time, not of the Clock: a bound for
  // tests (the batch it waits for may itself wait on a FakeClock), not program time.
  bool WaitIdle(double timeout_seconds);

 private:
  class Sender;

  const AlertmanagerOptions options_;
  std::atomic<uint64_t> dropped_{0};
  std::vector<std::unique_ptr<Sender>> senders_;
};

// An AlertmanagerNotifier for config.alertmanagers with the default options, or
// nullptr when none is configured.
std::unique_ptr<Notifier> MakeAlertmanagerNotifier(const AlertingConfig& config,
                                                   const Clock& clock);

}  // namespace msx
