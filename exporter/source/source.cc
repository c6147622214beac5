#include "source/source.h"

#include "common/names.h"
#include "source/drivers.h"

namespace msx {
namespace {

// The driver table: a new driver is one file and one line here.
constexpr Driver kDrivers[] = {
    {"mysql", 3306, NewMysqlSource},
    {"postgresql", 5432, NewPostgresSource},
};

}  // namespace

const Driver* FindDriver(std::string_view name) {
  for (const Driver& driver : kDrivers) {
    if (name == driver.name) return &driver;
  }
  return nullptr;
}

std::string DriverNames() {
  return JoinNames(kDrivers, [](const Driver& driver) { return driver.name; });
}

std::optional<TlsMode> TlsModeOf(std::string_view name) {
  for (const TlsModeName& mode : kTlsModes) {
    if (name == mode.name) return mode.mode;
  }
  return std::nullopt;
}

std::string TlsModeNames() {
  return JoinNames(kTlsModes, [](const TlsModeName& mode) { return mode.name; });
}

std::unique_ptr<MshostSource> MakeSource(const DatabaseConfig& db, const Clock& clock) {
  return FindDriver(db.driver)->make(db, clock);
}

std::string DescribeDatabase(const DatabaseConfig& db) {
  return db.socket.empty() ? db.host + ":" + std::to_string(db.port) : db.socket;
}

}  // namespace msx
