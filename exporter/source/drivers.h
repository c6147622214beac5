// The database drivers behind MakeSource (source.cc); private to exporter/source/.
// Each driver lives in its own file and is the only file that includes its client
// library's headers.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "config/config.h"
#include "source/source.h"

namespace msx {

// Where a driver connects, for its messages ("connect to db:3306: ..."): the socket
// when one is set, otherwise host:port.
std::string ServerAddress(const DatabaseConfig& db);

// MySQL and MariaDB through libmariadb (mysql_source.cc).
std::unique_ptr<MshostSource> NewMysqlSource(const DatabaseConfig& db,
                                             const Clock& clock);
// PostgreSQL through libpqxx (postgres_source.cc).
std::unique_ptr<MshostSource> NewPostgresSource(const DatabaseConfig& db,
                                                const Clock& clock);

}  // namespace msx
