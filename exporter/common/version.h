// The build's identity, for --version, build_info and logs. Thread-safe constants.
#pragma once

#include <string>

namespace msx {

// The git revision the binary was built from ("unknown" outside a checkout). Kept in
// one translation unit so a new commit recompiles one file, not the whole exporter.
const char* BuildRevision();
// The git branch ("unknown" outside a checkout, "HEAD" on a detached checkout).
const char* BuildBranch();
// When the build was configured, UTC, in Prometheus' format: "20261203-12:40:00".
// SOURCE_DATE_EPOCH, when set, fixes it (reproducible builds).
const char* BuildDate();
// The C++ compiler and its version, e.g. "GNU 12.2.0": the analogue of the
// goversion label of Prometheus' build_info.
const char* BuildCompiler();
// The libraries built against and their versions, e.g. "prometheus-cpp 1.0.1,
// CivetWeb 1.15.0, ...".
const char* BuildLibraries();

// What --version prints, Prometheus-style: "mshost_exporter, version V (branch: B,
// revision: R)" and lines for the build date, compiler, platform and libraries.
std::string VersionText(const std::string& version);

}  // namespace msx
