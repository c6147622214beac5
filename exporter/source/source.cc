#include "source/source.h"

#include "source/drivers.h"

namespace msx {
namespace {

struct Driver {
  const char* name;  // the config's database.driver
  std::unique_ptr<MshostSource> (*make)(const DatabaseConfig&, const Clock&);
};

constexpr Driver kDrivers[] = {
    {"mysql", NewMysqlSource},
    {"postgresql", NewPostgresSource},
};

}  // namespace

std::string ServerAddress(const DatabaseConfig& db) {
  return db.socket.empty() ? db.host + ":" + std::to_string(db.port) : db.socket;
}

std::unique_ptr<MshostSource> MakeSource(const DatabaseConfig& db, const Clock& clock) {
  for (const Driver& driver : kDrivers) {
    if (db.driver == driver.name) return driver.make(db, clock);
  }
  return nullptr;
}

}  // namespace msx
