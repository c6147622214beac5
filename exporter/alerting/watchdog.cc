#include "alerting/watchdog.h"

#include <utility>

namespace msx {

Watchdog::Watchdog(AlertTarget target, AlertRule rule, double resend_interval_seconds,
                   const Clock& clock)
    : target_(std::move(target)),
      rule_(std::move(rule)),
      resend_interval_seconds_(resend_interval_seconds),
      clock_(clock) {}

std::optional<AlertNotification> Watchdog::Due() {
  const double now_mono = clock_.MonotonicSeconds();
  const double now_unix = clock_.UnixSeconds();
  if (last_sent_mono_ && now_mono - *last_sent_mono_ < resend_interval_seconds_) {
    return std::nullopt;
  }
  if (!started_unix_) started_unix_ = now_unix;
  last_sent_mono_ = now_mono;

  AlertNotification alert;
  alert.labels = target_.labels;
  alert.labels["alertname"] = rule_.alertname;
  alert.labels["severity"] = rule_.severity;
  alert.labels["target"] = target_.name;
  alert.annotations["summary"] =
      "mshost_exporter evaluates the alerts of " + target_.name;
  alert.annotations["description"] =
      "Always firing while mshost_exporter evaluates the alerts of target " +
      target_.name +
      " and reaches this Alertmanager. Route it to a dead-man's switch: when it stops "
      "arriving, nothing watches the mshost table.";
  alert.starts_at_unix = *started_unix_;
  alert.ends_at_unix = now_unix + 4 * resend_interval_seconds_;
  return alert;
}

}  // namespace msx
