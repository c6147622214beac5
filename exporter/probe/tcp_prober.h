// Socket probes: the engine behind the tcp and http probe kinds (private to probe/;
// probe.cc lists the kinds).
//
// ProbeSockets probes every target of one poll at once: non-blocking sockets, one
// poll() loop and one deadline (start + timeout) shared by all targets, so N dead
// nodes cost one timeout, not N. The deadline and the durations are read on the
// caller's Clock, and each poll() waits what remains of the deadline by that clock.
// For kind tcp, success is a completed connect (SO_ERROR 0). A Conversation adds a
// request written once connected and a judge of the reply (kind http), run in the
// same loop so a slow node never eats a fast node's time.
//
// Name resolution: IP literals are parsed without DNS (AI_NUMERICHOST). Names go to
// getaddrinfo, one detached thread per distinct name, because getaddrinfo can be
// neither cancelled nor given a timeout. The loop connects literals at once and each
// name as soon as its thread answers, and stops waiting for a resolver at the shared
// deadline ("timeout resolving X"), so a slow resolver never delays other nodes. A
// resolver thread that outlives its call finishes on its own (resolv.conf's
// timeouts bound it) and touches only state it shares with no one but the call's
// wake-up pipe, which it keeps alive itself. A name with several addresses is tried
// address by address until one connects.
//
// Open sockets: at most max_open_sockets at a time (by default the open files limit
// less a reserve for the rest of the exporter), and a probe that finds no free
// descriptor (EMFILE) waits for one instead of failing: a target with thousands of
// rows under systemd's default limit of 1024 still gets every node probed, later
// nodes as earlier ones finish, all under the same deadline. A probe still waiting
// at the deadline fails with an error that names the limit.
//
// Every socket is closed before ProbeSockets returns. Thread-safe: no shared state.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "probe/prober.h"

namespace msx {

struct ReplyVerdict {
  bool success = false;
  std::string error;  // when !success
};

struct Conversation {
  std::string request;  // written once connected
  // Judges the reply received so far; eof: the peer closed the connection. Returns
  // nullopt to wait for more bytes. REQUIRES: returns a verdict when eof is true.
  std::function<std::optional<ReplyVerdict>(const std::string& reply, bool eof)> judge;
};

// Result i belongs to targets[i]. conversation may be null: connect is all (tcp).
// max_open_sockets 0: the open files limit less kReservedDescriptors.
std::vector<ProbeResult> ProbeSockets(const std::vector<ProbeTarget>& targets,
                                      double timeout_seconds,
                                      const Conversation* conversation,
                                      const Clock& clock, size_t max_open_sockets = 0);

// Descriptors left to the rest of the exporter (database connections, HTTP clients,
// the Alertmanager senders, files) while a probe round runs.
constexpr size_t kReservedDescriptors = 128;

// The kinds built on ProbeSockets. `clock` must outlive the prober.
std::unique_ptr<Prober> NewTcpProber(const Clock& clock);
std::unique_ptr<Prober> NewHttpProber(const Clock& clock);

}  // namespace msx
