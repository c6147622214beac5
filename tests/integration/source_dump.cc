// source_dump: reads cloud.mshost through the exporter's own MshostSource and prints
// each SourceRead as one JSON line, so Python tests can check the drivers against
// real servers without going through HTTP and metrics.
//
//   source_dump --driver=mysql --port=3306 --user=exporter --password-file=F --reads=5
//   source_dump ... --interactive     # one read per line on stdin, until EOF
//
// Each line: {"ok", "error", "elapsed" (seconds Read() took), "db_now", "rows":
// [{"msid": "<decimal string>", ..., "jvm_start", "jvm_stop", "system_boot"}], "peers",
// "peers_available", "peers_error", "status_available", "status_error", "row_errors"}.
// With --blast, each line also has "blast": ReadBlastRadius() right after the read
// ({"ok", "unavailable", "error", "agents": [{"msid", "status", "count"}], "jobs":
// [{"msid", "count"}], "row_errors", "elapsed"}; msids as decimal strings or null).
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "common/clock.h"
#include "config/config.h"
#include "source/source.h"

namespace {

using nlohmann::json;

json Nullable(const std::optional<std::string>& s) {
  return s ? json(*s) : json(nullptr);
}
json Nullable(const std::optional<double>& d) { return d ? json(*d) : json(nullptr); }

json ToJson(const msx::SourceRead& read, double elapsed) {
  json rows = json::array();
  for (const msx::MshostRow& r : read.rows) {
    rows.push_back({{"id", r.id},
                    {"msid", std::to_string(r.msid)},
                    {"runid", r.runid},
                    {"name", Nullable(r.name)},
                    {"uuid", Nullable(r.uuid)},
                    {"state", Nullable(r.state)},
                    {"version", Nullable(r.version)},
                    {"service_ip", r.service_ip},
                    {"service_port", r.service_port},
                    {"last_update", Nullable(r.last_update_unix)},
                    {"alert_count", r.alert_count},
                    {"jvm_start", Nullable(r.jvm_start_unix)},
                    {"jvm_stop", Nullable(r.jvm_stop_unix)},
                    {"system_boot", Nullable(r.system_boot_unix)}});
  }
  json peers = json::array();
  for (const msx::PeerRow& p : read.peers) {
    peers.push_back({{"owner_id", p.owner_id},
                     {"peer_id", p.peer_id},
                     {"peer_runid", p.peer_runid},
                     {"peer_state", Nullable(p.peer_state)},
                     {"last_update", Nullable(p.last_update_unix)}});
  }
  return {{"ok", read.ok},
          {"error", read.error},
          {"elapsed", elapsed},
          {"db_now", read.ok ? json(read.db_now_unix) : json(nullptr)},
          {"rows", rows},
          {"peers", peers},
          {"peers_available", read.peers_available},
          {"peers_error", read.peers_error},
          {"status_available", read.status_available},
          {"status_error", read.status_error},
          {"row_errors", read.row_errors}};
}

json MsidJson(const std::optional<uint64_t>& msid) {
  return msid ? json(std::to_string(*msid)) : json(nullptr);
}

json ToJson(const msx::BlastRadiusRead& read) {
  json agents = json::array();
  for (const msx::AgentGroup& g : read.agents) {
    agents.push_back(
        {{"msid", MsidJson(g.msid)}, {"status", g.status}, {"count", g.count}});
  }
  json jobs = json::array();
  for (const msx::JobGroup& g : read.jobs) {
    jobs.push_back({{"msid", MsidJson(g.msid)}, {"count", g.count}});
  }
  return {{"ok", read.ok},       {"unavailable", read.unavailable},
          {"error", read.error}, {"agents", agents},
          {"jobs", jobs},        {"row_errors", read.row_errors}};
}

}  // namespace

int main(int argc, char** argv) {
  // A server that drops the connection must not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);

  msx::DatabaseConfig db;
  std::string password_file;
  int reads = 1;
  double gap_seconds = 0.5;
  bool interactive = false;
  bool blast = false;
  CLI::App app{"Reads cloud.mshost through MshostSource and prints JSON lines"};
  app.add_option("--driver", db.driver, "mysql | postgresql")->required();
  app.add_option("--host", db.host);
  app.add_option("--socket", db.socket, "mysql: socket file; postgresql: its folder");
  app.add_option("--port", db.port);
  app.add_option("--user", db.user)->required();
  app.add_option("--password", db.password, "prefer --password-file");
  app.add_option("--password-file", password_file);
  app.add_option("--name", db.name);
  app.add_option("--connect-timeout", db.connect_timeout_seconds, "seconds");
  app.add_option("--query-timeout", db.query_timeout_seconds, "seconds");
  std::string tls_mode = "preferred";
  app.add_option("--tls-mode", tls_mode);
  app.add_option("--tls-ca", db.tls.ca_file);
  app.add_option("--reads", reads, "number of reads");
  app.add_option("--gap", gap_seconds, "seconds between reads");
  app.add_flag("--interactive", interactive, "one read per line on stdin");
  app.add_flag("--blast", blast, "also read agents and jobs after each read");
  CLI11_PARSE(app, argc, argv);
  if (!msx::TlsModeOf(tls_mode)) {
    std::fprintf(stderr, "source_dump: --tls-mode must be one of %s\n",
                 msx::TlsModeNames().c_str());
    return 2;
  }
  db.tls.mode = *msx::TlsModeOf(tls_mode);

  if (!password_file.empty()) {
    std::ifstream in(password_file);
    if (!in) {
      std::fprintf(stderr, "source_dump: cannot read %s\n", password_file.c_str());
      return 2;
    }
    std::getline(in, db.password);
    if (!db.password.empty() && db.password.back() == '\r') db.password.pop_back();
  }

  msx::SystemClock clock;
  std::unique_ptr<msx::MshostSource> source = msx::MakeSource(db, clock);
  if (!source) {
    std::fprintf(stderr, "source_dump: unknown driver %s\n", db.driver.c_str());
    return 2;
  }
  auto read_once = [&] {
    const double start = clock.MonotonicSeconds();
    msx::SourceRead read = source->Read();
    const double elapsed = clock.MonotonicSeconds() - start;
    json line = ToJson(read, elapsed);
    if (blast) {
      const double blast_start = clock.MonotonicSeconds();
      const msx::BlastRadiusRead blast_read = source->ReadBlastRadius();
      line["blast"] = ToJson(blast_read);
      line["blast"]["elapsed"] = clock.MonotonicSeconds() - blast_start;
    }
    // replace: a name with invalid UTF-8 must not abort the dump.
    std::cout << line.dump(-1, ' ', false, json::error_handler_t::replace) << std::endl;
  };
  if (interactive) {
    for (std::string line; std::getline(std::cin, line);) read_once();
    return 0;
  }
  for (int i = 0; i < reads; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::duration<double>(gap_seconds));
    read_once();
  }
  return 0;
}
