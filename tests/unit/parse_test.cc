#include "source/parse.h"

#include <gtest/gtest.h>

#include <limits>

namespace msx {
namespace {

// A well-formed mshost row as a driver returns it; tests change one field.
TextRow GoodRow() {
  return {"7",  "345049103441", "1700000000123", "ms-a", "uuid-a",
          "Up", "4.20.0.0",     "10.0.0.7",      "9090", "2024-02-29 23:59:58.5",
          "0"};
}

TextRow GoodPeer() { return {"7", "8", "1700000000456", "Up", "2024-01-01 00:00:00"}; }

// A row of kStatusQuery for mshost id 7: JVM start, stop, system boot.
TextRow GoodStatus() {
  return {"7", "2023-11-14 22:13:20", "2023-11-14 22:00:00", "2023-11-01 06:30:00"};
}

// A good read of GoodRow() as mshost id `id`, with these status rows.
RawRead ReadWithStatus(std::vector<TextRow> status, std::vector<uint64_t> ids = {7}) {
  RawRead raw;
  raw.db_now = "2024-03-01 00:00:00";
  for (uint64_t id : ids) {
    TextRow row = GoodRow();
    row[0] = std::to_string(id);
    row[1] = std::to_string(1000 + id);  // msid is unique
    raw.mshost.push_back(row);
  }
  raw.peers_available = true;
  raw.status_available = true;
  raw.status = std::move(status);
  return raw;
}

MshostRow MustParse(const TextRow& fields) {
  StatusOr<MshostRow> row = ParseMshostRow(fields);
  EXPECT_TRUE(row.ok()) << row.status().message();
  return row.ok() ? *row : MshostRow{};
}

std::string ErrorOf(const TextRow& fields) {
  StatusOr<MshostRow> row = ParseMshostRow(fields);
  EXPECT_FALSE(row.ok());
  return row.status().message();
}

TEST(ParseUtcDatetimeTest, Epoch) {
  EXPECT_EQ(ParseUtcDatetime("1970-01-01 00:00:00"), 0.0);
}

TEST(ParseUtcDatetimeTest, KnownInstant) {
  // date -u -d '2023-11-14 22:13:20' +%s
  EXPECT_EQ(ParseUtcDatetime("2023-11-14 22:13:20"), 1700000000.0);
}

TEST(ParseUtcDatetimeTest, LeapDay) {
  EXPECT_EQ(ParseUtcDatetime("2024-02-29 00:00:00"), 1709164800.0);
  EXPECT_EQ(ParseUtcDatetime("2000-02-29 12:00:00"), 951825600.0);
  EXPECT_FALSE(ParseUtcDatetime("2023-02-29 00:00:00"));  // not a leap year
  EXPECT_FALSE(ParseUtcDatetime("1900-02-29 00:00:00"));  // century, not leap
}

TEST(ParseUtcDatetimeTest, Microseconds) {
  EXPECT_DOUBLE_EQ(*ParseUtcDatetime("2023-11-14 22:13:20.123456"), 1700000000.123456);
  // MySQL DATETIME(3) and PostgreSQL (which drops trailing zeros) send fewer digits.
  EXPECT_DOUBLE_EQ(*ParseUtcDatetime("2023-11-14 22:13:20.5"), 1700000000.5);
  EXPECT_DOUBLE_EQ(*ParseUtcDatetime("2023-11-14 22:13:20.120"), 1700000000.12);
  EXPECT_FALSE(ParseUtcDatetime("2023-11-14 22:13:20."));
  EXPECT_FALSE(ParseUtcDatetime("2023-11-14 22:13:20.1234567"));
}

TEST(ParseUtcDatetimeTest, BeforeEpochAndFarFuture) {
  EXPECT_EQ(ParseUtcDatetime("1969-12-31 23:59:59"), -1.0);
  EXPECT_EQ(ParseUtcDatetime("9999-12-31 23:59:59"), 253402300799.0);
  EXPECT_EQ(ParseUtcDatetime("0001-01-01 00:00:00"), -62135596800.0);
}

TEST(ParseUtcDatetimeTest, RejectsWhatIsNotAPlainUtcDatetime) {
  for (const char* bad : {
           "",
           "0000-00-00 00:00:00",  // MySQL's zero date
           "2024-13-01 00:00:00",
           "2024-04-31 00:00:00",
           "2024-01-01 24:00:00",
           "2024-01-01 23:60:00",
           "2024-01-01 23:59:60",
           "2024-01-01T00:00:00",
           "2024-01-01 00:00:00+05:30",  // a zone: timestamptz is not the schema
           "2024-01-01 00:00:00 ",
           " 2024-01-01 00:00:00",
           "2024-1-01 00:00:00",
           "2024-01-01",
           "infinity",
           "10000-01-01 00:00:00",
           "2024-01-01 00:00:00.12a",
       }) {
    EXPECT_FALSE(ParseUtcDatetime(bad)) << bad;
  }
}

TEST(ParseIntegerTest, Uint64Range) {
  EXPECT_EQ(ParseUint64("0"), 0u);
  EXPECT_EQ(ParseUint64("18446744073709551615"), std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(ParseUint64("18446744073709551616"));
  EXPECT_FALSE(ParseUint64("99999999999999999999"));
  EXPECT_FALSE(ParseUint64(""));
  EXPECT_FALSE(ParseUint64("-1"));
  EXPECT_FALSE(ParseUint64("+1"));
  EXPECT_FALSE(ParseUint64(" 1"));
  EXPECT_FALSE(ParseUint64("1.0"));
  EXPECT_FALSE(ParseUint64("1e3"));
}

TEST(ParseIntegerTest, Int64Range) {
  EXPECT_EQ(ParseInt64("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(ParseInt64("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseInt64("-42"), -42);
  EXPECT_FALSE(ParseInt64("9223372036854775808"));
  EXPECT_FALSE(ParseInt64("-9223372036854775809"));
  EXPECT_FALSE(ParseInt64("-"));
  EXPECT_FALSE(ParseInt64("--1"));
}

TEST(TrimSpacesTest, PostgresCharPadding) {
  EXPECT_EQ(TrimSpaces("10.0.0.1                                "), "10.0.0.1");
  EXPECT_EQ(TrimSpaces("  ::1 "), "::1");
  EXPECT_EQ(TrimSpaces("    "), "");
  EXPECT_EQ(TrimSpaces(""), "");
}

TEST(ParseMshostRowTest, AllFields) {
  MshostRow row = MustParse(GoodRow());
  EXPECT_EQ(row.id, 7u);
  EXPECT_EQ(row.msid, 345049103441u);
  EXPECT_EQ(row.runid, 1700000000123);
  EXPECT_EQ(row.name, "ms-a");
  EXPECT_EQ(row.uuid, "uuid-a");
  EXPECT_EQ(row.state, "Up");
  EXPECT_EQ(row.version, "4.20.0.0");
  EXPECT_EQ(row.service_ip, "10.0.0.7");
  EXPECT_EQ(row.service_port, 9090);
  ASSERT_TRUE(row.last_update_unix);
  EXPECT_DOUBLE_EQ(*row.last_update_unix, 1709251198.5);
  EXPECT_EQ(row.alert_count, 0);
}

TEST(ParseMshostRowTest, MaxMsid) {
  TextRow fields = GoodRow();
  fields[1] = "18446744073709551615";
  EXPECT_EQ(MustParse(fields).msid, std::numeric_limits<uint64_t>::max());
}

TEST(ParseMshostRowTest, NullableColumnsStayNull) {
  TextRow fields = GoodRow();
  fields[3] = fields[4] = fields[5] = fields[6] = fields[9] = std::nullopt;
  MshostRow row = MustParse(fields);
  EXPECT_FALSE(row.name);
  EXPECT_FALSE(row.uuid);
  EXPECT_FALSE(row.state);
  EXPECT_FALSE(row.version);
  EXPECT_FALSE(row.last_update_unix);
}

TEST(ParseMshostRowTest, TextIsKeptByteForByte) {
  TextRow fields = GoodRow();
  fields[3] = "n\xC5\x93ud-\xC3\xBC \xE2\x98\x83 'q' \"d\" back\\slash\nline";
  fields[5] = "SomethingNew";  // an unknown state is data, not an error
  fields[6] = "";
  MshostRow row = MustParse(fields);
  EXPECT_EQ(row.name, fields[3]);
  EXPECT_EQ(row.state, "SomethingNew");
  EXPECT_EQ(row.version, "");
}

TEST(ParseMshostRowTest, TrimsPaddedServiceIp) {
  TextRow fields = GoodRow();
  fields[7] = "127.0.0.1" + std::string(31, ' ');
  EXPECT_EQ(MustParse(fields).service_ip, "127.0.0.1");
}

TEST(ParseMshostRowTest, BadValuesNameTheColumn) {
  TextRow fields = GoodRow();
  fields[1] = "abc";
  EXPECT_EQ(ErrorOf(fields), "msid: not an unsigned 64-bit integer: \"abc\"");

  fields = GoodRow();
  fields[1] = "18446744073709551616";
  EXPECT_NE(ErrorOf(fields).find("msid: not an unsigned 64-bit integer"),
            std::string::npos);

  fields = GoodRow();
  fields[1] = std::nullopt;
  EXPECT_EQ(ErrorOf(fields), "msid: is NULL");

  fields = GoodRow();
  fields[9] = "0000-00-00 00:00:00";
  EXPECT_EQ(ErrorOf(fields),
            "last_update: not a datetime YYYY-MM-DD HH:MM:SS[.ffffff]: "
            "\"0000-00-00 00:00:00\"");

  fields = GoodRow();
  fields[8] = "90x";
  EXPECT_EQ(ErrorOf(fields), "service_port: not a 64-bit integer: \"90x\"");

  fields = GoodRow();
  fields[7] = std::nullopt;
  EXPECT_EQ(ErrorOf(fields), "service_ip: is NULL");
}

TEST(ParseMshostRowTest, LongBadValueIsCutInTheMessage) {
  TextRow fields = GoodRow();
  fields[1] = std::string(1000, 'x');
  const std::string error = ErrorOf(fields);
  EXPECT_LT(error.size(), 120u);
  EXPECT_NE(error.find("...\""), std::string::npos);
}

TEST(ParseMshostRowTest, WrongColumnCount) {
  TextRow fields = GoodRow();
  fields.pop_back();
  EXPECT_EQ(ErrorOf(fields), "expected 11 columns, got 10");
}

TEST(ParsePeerRowTest, AllFieldsAndNulls) {
  StatusOr<PeerRow> parsed = ParsePeerRow(GoodPeer());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  PeerRow peer = *parsed;
  EXPECT_EQ(peer.owner_id, 7u);
  EXPECT_EQ(peer.peer_id, 8u);
  EXPECT_EQ(peer.peer_runid, 1700000000456);
  EXPECT_EQ(peer.peer_state, "Up");
  EXPECT_EQ(peer.last_update_unix, 1704067200.0);

  TextRow fields = GoodPeer();
  fields[3] = fields[4] = std::nullopt;
  parsed = ParsePeerRow(fields);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  peer = *parsed;
  EXPECT_FALSE(peer.peer_state);
  EXPECT_FALSE(peer.last_update_unix);

  fields = GoodPeer();
  fields[0] = "-1";
  parsed = ParsePeerRow(fields);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "owner_mshost: not an unsigned 64-bit integer: \"-1\"");
}

TEST(ParseReadTest, GoodRowsSurviveABadOne) {
  RawRead raw;
  raw.db_now = "2024-03-01 00:00:00.000001";
  TextRow bad = GoodRow();
  bad[0] = "9";
  bad[1] = "not-a-number";
  TextRow no_id = GoodRow();
  no_id[0] = std::nullopt;
  raw.mshost = {GoodRow(), bad, no_id};
  raw.peers_available = true;
  TextRow bad_peer = GoodPeer();
  bad_peer[4] = "yesterday";
  raw.peers = {GoodPeer(), bad_peer};

  SourceRead read = ParseRead(raw);
  ASSERT_TRUE(read.ok) << read.error;
  EXPECT_DOUBLE_EQ(read.db_now_unix, 1709251200.000001);
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_EQ(read.rows[0].id, 7u);
  ASSERT_EQ(read.peers.size(), 1u);
  EXPECT_TRUE(read.peers_available);
  ASSERT_EQ(read.row_errors.size(), 3u);
  EXPECT_EQ(read.row_errors[0],
            "mshost id=9: msid: not an unsigned 64-bit integer: \"not-a-number\"");
  EXPECT_EQ(read.row_errors[1], "mshost row 3: id: is NULL");
  EXPECT_EQ(read.row_errors[2],
            "mshost_peer row 2: last_update: not a datetime YYYY-MM-DD "
            "HH:MM:SS[.ffffff]: \"yesterday\"");
}

TEST(ParseReadTest, EmptyTableIsAGoodRead) {
  RawRead raw;
  raw.db_now = "2024-03-01 00:00:00";
  SourceRead read = ParseRead(raw);
  EXPECT_TRUE(read.ok);
  EXPECT_TRUE(read.rows.empty());
  EXPECT_TRUE(read.row_errors.empty());
}

TEST(ParseReadTest, MissingPeersAreReportedNotFatal) {
  RawRead raw;
  raw.db_now = "2024-03-01 00:00:00";
  raw.mshost = {GoodRow()};
  raw.peers_available = false;
  raw.peers_error = "mshost_peer: the table does not exist";
  SourceRead read = ParseRead(raw);
  EXPECT_TRUE(read.ok);
  EXPECT_EQ(read.rows.size(), 1u);
  EXPECT_FALSE(read.peers_available);
  EXPECT_EQ(read.peers_error, "mshost_peer: the table does not exist");
}

TEST(ParseStatusRowTest, AllThreeTimesAsUtc) {
  StatusOr<StatusRow> parsed = ParseStatusRow(GoodStatus());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const StatusRow& row = *parsed;
  EXPECT_EQ(row.mshost_id, 7u);
  EXPECT_EQ(row.jvm_start_unix, 1700000000.0);
  EXPECT_EQ(row.jvm_stop_unix, 1700000000.0 - 800);
  // date -u -d '2023-11-01 06:30:00' +%s
  EXPECT_EQ(row.system_boot_unix, 1698820200.0);
}

TEST(ParseStatusRowTest, NullTimesAreAbsentNotErrors) {
  // CloudStack never writes last_jvm_stop; a row may also lack the boot time.
  StatusOr<StatusRow> parsed =
      ParseStatusRow({"7", std::nullopt, std::nullopt, std::nullopt});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const StatusRow& row = *parsed;
  EXPECT_EQ(row.mshost_id, 7u);
  EXPECT_FALSE(row.jvm_start_unix);
  EXPECT_FALSE(row.jvm_stop_unix);
  EXPECT_FALSE(row.system_boot_unix);
}

TEST(ParseStatusRowTest, BadValuesNameTheColumn) {
  const auto error_of = [](size_t column, std::optional<std::string> value) {
    TextRow fields = GoodStatus();
    fields[column] = std::move(value);
    StatusOr<StatusRow> row = ParseStatusRow(fields);
    EXPECT_FALSE(row.ok());
    return row.status().message();
  };
  EXPECT_EQ(error_of(0, std::nullopt), "id: is NULL");
  EXPECT_EQ(error_of(0, "-7"), "id: not an unsigned 64-bit integer: \"-7\"");
  EXPECT_EQ(error_of(1, "0000-00-00 00:00:00"),
            "last_jvm_start: not a datetime YYYY-MM-DD HH:MM:SS[.ffffff]: "
            "\"0000-00-00 00:00:00\"");
  EXPECT_EQ(error_of(2, "infinity"),
            "last_jvm_stop: not a datetime YYYY-MM-DD HH:MM:SS[.ffffff]: \"infinity\"");
  EXPECT_EQ(error_of(3, "2023-11-01 06:30:00+05:30"),
            "last_system_boot: not a datetime YYYY-MM-DD HH:MM:SS[.ffffff]: "
            "\"2023-11-01 06:30:00+05:30\"");

  const StatusOr<StatusRow> short_row = ParseStatusRow({"7", std::nullopt});
  ASSERT_FALSE(short_row.ok());
  EXPECT_EQ(short_row.status().message(), "expected 4 columns, got 2");
}

TEST(ParseReadTest, StatusGoesToTheNodeOfItsId) {
  TextRow other = GoodStatus();
  other[0] = "9";
  other[1] = "2024-02-29 12:00:00.5";
  other[2] = std::nullopt;
  other[3] = std::nullopt;
  // 8 has no mshost_status row; 9's row has NULLs.
  SourceRead read = ParseRead(ReadWithStatus({GoodStatus(), other}, {7, 8, 9}));
  ASSERT_TRUE(read.ok) << read.error;
  EXPECT_TRUE(read.status_available);
  EXPECT_EQ(read.status_error, "");
  EXPECT_TRUE(read.row_errors.empty());
  ASSERT_EQ(read.rows.size(), 3u);
  EXPECT_EQ(read.rows[0].jvm_start_unix, 1700000000.0);
  EXPECT_EQ(read.rows[0].jvm_stop_unix, 1699999200.0);
  EXPECT_EQ(read.rows[0].system_boot_unix, 1698820200.0);
  for (const std::optional<double>& value :
       {read.rows[1].jvm_start_unix, read.rows[1].jvm_stop_unix,
        read.rows[1].system_boot_unix}) {
    EXPECT_FALSE(value);
  }
  EXPECT_DOUBLE_EQ(*read.rows[2].jvm_start_unix, 1709208000.5);
  EXPECT_FALSE(read.rows[2].jvm_stop_unix);
  EXPECT_FALSE(read.rows[2].system_boot_unix);
}

TEST(ParseReadTest, MissingStatusIsReportedNotFatal) {
  RawRead raw = ReadWithStatus({});
  raw.status_available = false;
  raw.status_error = "mshost_status: Table 'cloud.mshost_status' doesn't exist (1146)";
  SourceRead read = ParseRead(raw);
  ASSERT_TRUE(read.ok) << read.error;
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_FALSE(read.rows[0].jvm_start_unix);
  EXPECT_FALSE(read.status_available);
  EXPECT_EQ(read.status_error, raw.status_error);
  EXPECT_TRUE(read.peers_available);  // the other optional table is unaffected
  EXPECT_TRUE(read.row_errors.empty());
}

TEST(ParseReadTest, BadStatusRowIsSkippedButItsNodeKept) {
  TextRow bad = GoodStatus();
  bad[0] = "8";
  bad[3] = "0000-00-00 00:00:00";
  TextRow no_id = GoodStatus();
  no_id[0] = std::nullopt;
  SourceRead read = ParseRead(ReadWithStatus({GoodStatus(), bad, no_id}, {7, 8}));
  ASSERT_TRUE(read.ok) << read.error;
  ASSERT_EQ(read.rows.size(), 2u);  // no node is lost to a bad status row
  EXPECT_EQ(read.rows[0].jvm_start_unix, 1700000000.0);
  // The whole status row of node 8 is skipped, its good values too.
  EXPECT_FALSE(read.rows[1].jvm_start_unix);
  EXPECT_FALSE(read.rows[1].jvm_stop_unix);
  EXPECT_FALSE(read.rows[1].system_boot_unix);
  ASSERT_EQ(read.row_errors.size(), 2u);
  EXPECT_EQ(read.row_errors[0],
            "mshost_status of mshost id=8: last_system_boot: not a datetime "
            "YYYY-MM-DD HH:MM:SS[.ffffff]: \"0000-00-00 00:00:00\"");
  EXPECT_EQ(read.row_errors[1], "mshost_status row 3: id: is NULL");
}

TEST(ParseReadTest, StatusOfNoCurrentNodeIsDroppedQuietly) {
  // A node added between the two statements, or one whose mshost row was skipped.
  TextRow stranger = GoodStatus();
  stranger[0] = "42";
  RawRead raw = ReadWithStatus({GoodStatus(), stranger}, {7, 8});
  raw.mshost[1][1] = "not-a-number";  // mshost id 8 is skipped...
  TextRow of_skipped = GoodStatus();
  of_skipped[0] = "8";
  raw.status.push_back(of_skipped);  // ...so its status has nowhere to go
  SourceRead read = ParseRead(raw);
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_EQ(read.rows[0].jvm_start_unix, 1700000000.0);
  ASSERT_EQ(read.row_errors.size(), 1u);  // only the mshost row's own error
  EXPECT_EQ(read.row_errors[0].rfind("mshost id=8: msid:", 0), 0u) << read.row_errors[0];
}

TEST(ParseReadTest, SecondStatusRowForANodeIsIgnored) {
  // Only a table without CloudStack's unique keys can do this; the first row wins.
  TextRow second = GoodStatus();
  second[1] = "2024-01-01 00:00:00";
  SourceRead read = ParseRead(ReadWithStatus({GoodStatus(), second}));
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_EQ(read.rows[0].jvm_start_unix, 1700000000.0);
  ASSERT_EQ(read.row_errors.size(), 1u);
  EXPECT_EQ(read.row_errors[0],
            "mshost_status of mshost id=7: a second current row for this node, ignored");
}

TEST(ParseReadTest, UnreadableClockFailsTheRead) {
  RawRead raw;
  raw.mshost = {GoodRow()};
  SourceRead read = ParseRead(raw);
  EXPECT_FALSE(read.ok);
  EXPECT_EQ(read.error, "the database clock did not read as a datetime: NULL");

  raw.db_now = "03/01/2024 00:00:00";  // DateStyle SQL instead of ISO
  read = ParseRead(raw);
  EXPECT_FALSE(read.ok);
  EXPECT_EQ(read.error,
            "the database clock did not read as a datetime: \"03/01/2024 00:00:00\"");
  EXPECT_TRUE(read.rows.empty());
}

}  // namespace
}  // namespace msx
