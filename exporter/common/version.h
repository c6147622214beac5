// The build's identity, for --version, build_info and logs. Thread-safe constants.
#pragma once

namespace msx {

// The git revision the binary was built from ("unknown" outside a checkout). Kept in
// one translation unit so a new commit recompiles one file, not the whole exporter.
const char* BuildRevision();

}  // namespace msx
