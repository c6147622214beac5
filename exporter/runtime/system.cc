#include "runtime/system.h"

#include <thread>
#include <tuple>

#include "common/log.h"

namespace msx {

// One target as it runs: its config and its poller. Shared between the running set
// before and after a reload when the target did not change.
struct System::TargetRun {
  TargetConfig config;
  double poll_interval_seconds = 0;
  std::unique_ptr<TargetPoller> poller;
  // When the current stretch of successful reads began; 0 while the database is
  // down. Written by the poller's thread, read by status requests.
  std::atomic<double> db_up_since_unix{0};
};

struct System::Running {
  Config config;
  std::vector<std::shared_ptr<TargetRun>> targets;  // config order

  const TargetRun* Find(const std::string& name) const {
    for (const auto& run : targets) {
      if (run->config.name == name) return run.get();
    }
    return nullptr;
  }
};

namespace {

// Stops pollers side by side, so the slowest cycle bounds the wait, not the sum.
template <typename Runs>
void StopPollers(const Runs& runs) {
  std::vector<std::thread> stoppers;
  for (const auto& run : runs) {
    stoppers.emplace_back([poller = run->poller.get()] { poller->Stop(); });
  }
  for (std::thread& t : stoppers) t.join();
}

}  // namespace

std::vector<AlertTarget> AlertTargetsOf(const Config& config) {
  std::vector<AlertTarget> targets;
  for (const TargetConfig& target : config.targets) {
    targets.push_back({target.name, target.labels});
  }
  return targets;
}

System::System(Config config, std::string config_file, const Clock& clock,
               PartsFactory make_parts, NotifierFactory make_notifier)
    : config_file_(std::move(config_file)),
      clock_(clock),
      make_parts_(std::move(make_parts)),
      alerting_(std::make_unique<AlertingService>(
          config.alerting, AlertTargetsOf(config), std::move(make_notifier), clock)) {
  auto running = std::make_shared<Running>();
  for (const TargetConfig& target : config.targets) {
    running->targets.push_back(MakeRun(target, config.poll_interval_seconds));
  }
  running->config = std::move(config);
  running_ = std::move(running);
  last_reload_success_unix_ = clock_.UnixSeconds();
}

System::~System() { Stop(); }

std::shared_ptr<System::TargetRun> System::MakeRun(const TargetConfig& target,
                                             double poll_interval_seconds) {
  auto run = std::make_shared<TargetRun>();
  run->config = target;
  run->poll_interval_seconds = poll_interval_seconds;
  TargetParts parts = make_parts_(target);
  run->poller = std::make_unique<TargetPoller>(target, poll_interval_seconds,
                                               std::move(parts.source),
                                               std::move(parts.prober), clock_);
  TargetRun* raw = run.get();  // the poller dies before its run
  run->poller->SetOnSnapshot([this, raw](std::shared_ptr<const Snapshot> snapshot) {
    OnSnapshot(*raw, snapshot);
  });
  return run;
}

void System::OnSnapshot(TargetRun& run, const std::shared_ptr<const Snapshot>& snapshot) {
  if (!snapshot->up) {
    run.db_up_since_unix = 0;
  } else if (run.db_up_since_unix == 0) {
    run.db_up_since_unix = snapshot->last_poll_unix;
  }
  WarnLoopbackProbes(run.config.name, *snapshot);
  alerting_->OnSnapshot(*snapshot);
}

// Loopback service_ips are usually a CloudStack configured on one host and watched
// from another, so the warning matters; but a target can have thousands of rows, so
// it is one line per target (the first time any node is probed at loopback) that
// counts them and names the first.
void System::WarnLoopbackProbes(const std::string& target, const Snapshot& snapshot) {
  {
    std::lock_guard<std::mutex> lock(warned_mu_);
    if (warned_loopback_.count(target) != 0) return;  // every poll after the first
  }
  const NodeStatus* first = nullptr;
  size_t count = 0;
  for (const NodeStatus& node : snapshot.nodes) {
    if (!node.probe_loopback) continue;
    if (first == nullptr) first = &node;
    ++count;
  }
  if (first == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(warned_mu_);
    if (!warned_loopback_.insert(target).second) return;
  }
  LogWarn(
      "nodes are probed at a loopback address: from another host that probes the wrong "
      "machine, and a cluster port bound to 127.0.0.1 cannot be reached from another "
      "host at all; probe the API port instead (probe.address: name, port: 8080) or set "
      "probe.overrides (the /metrics series "
      "cloudstack_mshost_probe_target_info{loopback=\"true\"} lists them all)",
      {{"target", target},
       {"nodes", count},
       {"first_msid", first->row.msid},
       {"first_name", first->row.name.value_or("")},
       {"first_address", first->probe_address}});
}

std::shared_ptr<const System::Running> System::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

void System::SetExternalUrl(const std::string& external_url) {
  alerting_->SetExternalUrl(external_url);
  std::lock_guard<std::mutex> lock(mu_);
  external_url_ = external_url;
}

void System::Start() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  for (const auto& run : running()->targets) run->poller->Start();
}

Status System::Reload() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  if (stopped_) return Status::Error("the exporter is stopping");
  ConfigLoad loaded = LoadConfig(config_file_);
  for (const std::string& warning : loaded.warnings) {
    LogWarn("configuration warning", {{"detail", warning}});
  }
  if (!loaded.config.ok()) {
    for (const std::string& problem : loaded.config.status().problems()) {
      LogError("reload failed, keeping the running configuration", {{"error", problem}});
    }
    std::lock_guard<std::mutex> state_lock(mu_);
    last_reload_ok_ = false;
    return loaded.config.status();
  }

  std::shared_ptr<const Running> old = running();
  auto fresh = std::make_shared<Running>();
  std::vector<TargetRun*> added;
  Config& config = *loaded.config;
  for (const TargetConfig& target : config.targets) {
    std::shared_ptr<TargetRun> kept;
    for (const auto& run : old->targets) {
      if (run->config == target &&
          run->poll_interval_seconds == config.poll_interval_seconds) {
        kept = run;
        break;
      }
    }
    if (!kept) {
      kept = MakeRun(target, config.poll_interval_seconds);
      added.push_back(kept.get());
    }
    fresh->targets.push_back(std::move(kept));
  }
  if (config.listen_address != old->config.listen_address) {
    LogWarn("web.listen_address changed; restart the exporter to apply it");
  }
  fresh->config = std::move(config);
  {
    std::lock_guard<std::mutex> state_lock(mu_);
    running_ = fresh;
    last_reload_ok_ = true;
    last_reload_success_unix_ = clock_.UnixSeconds();
  }
  alerting_->Reconfigure(fresh->config.alerting, AlertTargetsOf(fresh->config));
  // Only now, so that their first snapshots meet evaluators for the new config.
  if (started_) {
    for (TargetRun* run : added) run->poller->Start();
  }
  std::vector<std::shared_ptr<TargetRun>> retired;
  for (const auto& run : old->targets) {
    if (fresh->Find(run->config.name) != run.get()) retired.push_back(run);
  }
  StopPollers(retired);
  LogInfo("configuration reloaded", {{"file", config_file_},
                                     {"targets", fresh->targets.size()},
                                     {"replaced", retired.size()}});
  return Status::Ok();
}

bool System::Stop(double deadline_seconds) {
  const double deadline = clock_.MonotonicSeconds() + deadline_seconds;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (!stop_started_) {
      stop_started_ = true;
      // Detached so that the deadline holds even when a poll hangs; the destructor
      // waits for it. The thread holds its own reference to stop_finished_, which
      // it still touches when the destructor may already have returned.
      std::thread([this, finished = stop_finished_] {
        StopAll();
        finished->Signal();
      }).detach();
    }
  }
  // stop_finished_ "interrupts" the wait for the deadline when stopping is done.
  return !clock_.SleepUntil(deadline, *stop_finished_);
}

void System::StopAll() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  stopped_ = true;
  StopPollers(running()->targets);
}

bool System::Ready() const {
  for (const auto& run : running()->targets) {
    std::shared_ptr<const Snapshot> latest = run->poller->Latest();
    if (!latest || !latest->polled) return false;
  }
  return true;
}

void System::PollAllOnce() {
  for (const auto& run : running()->targets) run->poller->PollOnce();
}

SystemState System::State() const {
  std::shared_ptr<const Running> running = this->running();
  SystemState state;
  state.poll_interval_seconds = running->config.poll_interval_seconds;
  state.default_target = running->config.default_target;
  for (const auto& run : running->targets) {
    RunningTarget target;
    target.name = run->config.name;
    target.is_default = target.name == state.default_target;
    target.snapshot = run->poller->Latest();
    target.db_up_since_unix = run->db_up_since_unix;
    target.alerts = alerting_->FiringAlerts(target.name);
    state.targets.push_back(std::move(target));
  }
  state.notifications = alerting_->Stats();
  std::lock_guard<std::mutex> lock(mu_);
  state.config_reload_ok = last_reload_ok_;
  state.config_reload_success_unix = last_reload_success_unix_;
  state.external_url = external_url_;
  return state;
}

Config System::RunningConfig() const { return running()->config; }

}  // namespace msx
