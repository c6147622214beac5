// Watchdog: the dead-man's switch of the built-in alerting. One alert per target,
// always firing while the exporter evaluates that target, re-sent every
// resend_interval. Route it (alertname MshostExporterWatchdog, severity none) to a
// service that pages when it stops arriving: then a dead exporter, a stuck poller or a
// broken path to Alertmanager is noticed, which no alert of the exporter itself can say.
//
// Pure logic, time from the Clock given. Not thread-safe: AlertingService calls it
// under its mutex.
#pragma once

#include <optional>

#include "alerting/evaluator.h"
#include "alerting/rules.h"
#include "common/clock.h"
#include "model/alert.h"

namespace msx {

class Watchdog {
 public:
  // `rule` is the resolved kAlertWatchdog rule (its severity may be overridden).
  // `clock` must outlive the watchdog.
  Watchdog(AlertTarget target, AlertRule rule, double resend_interval_seconds,
           const Clock& clock);

  // The notification due now: at the first call, then once every resend_interval,
  // with endsAt = now + 4 * resend_interval like every firing alert. Otherwise none.
  std::optional<AlertNotification> Due();

 private:
  const AlertTarget target_;
  const AlertRule rule_;
  const double resend_interval_seconds_;
  const Clock& clock_;
  std::optional<double> started_unix_;
  std::optional<double> last_sent_mono_;
};

}  // namespace msx
