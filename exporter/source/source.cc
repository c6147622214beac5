#include "source/source.h"

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
  std::string out;
  for (const Driver& driver : kDrivers) {
    if (!out.empty()) out += ", ";
    out += driver.name;
  }
  return out;
}

std::optional<TlsMode> TlsModeOf(std::string_view name) {
  for (const TlsModeName& mode : kTlsModes) {
    if (name == mode.name) return mode.mode;
  }
  return std::nullopt;
}

std::string TlsModeNames() {
  std::string out;
  for (const TlsModeName& mode : kTlsModes) {
    if (!out.empty()) out += ", ";
    out += mode.name;
  }
  return out;
}

std::unique_ptr<MshostSource> MakeSource(const DatabaseConfig& db, const Clock& clock) {
  return FindDriver(db.driver)->make(db, clock);
}

std::string DescribeDatabase(const DatabaseConfig& db) {
  return db.socket.empty() ? db.host + ":" + std::to_string(db.port) : db.socket;
}

}  // namespace msx
