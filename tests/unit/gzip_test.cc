#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "metrics/metrics.h"
#include "test_util.h"

namespace msx {
namespace {

// Inflates a gzip body that must be exactly one gzip member: a client that reads
// only the first member (some do) would otherwise lose the rest.
std::string Gunzip(const std::string& body) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out;
  char buffer[16384];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  int result;
  do {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
  } while (result == Z_OK);
  EXPECT_EQ(result, Z_STREAM_END) << stream.msg;  // CRC and length checked by zlib
  EXPECT_EQ(stream.avail_in, 0u) << "bytes after the first gzip member";
  inflateEnd(&stream);
  return out;
}

std::string Repeated(const std::string& piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece + std::to_string(i) + "\n";
  return out;
}

TEST(GzipTest, DecompressesToExactlyTheText) {
  for (const std::string& text :
       {std::string(), std::string("x"), Repeated("cloudstack_mshost_up 1 # ", 20000)}) {
    const std::string body = Gzip(text);
    EXPECT_EQ(Gunzip(body), text);
    if (text.size() > 1000) {
      EXPECT_LT(body.size() * 5, text.size());
    }
  }
}

TEST(GzipTest, JoinedPartsAreOneStreamOfTheTextsInOrder) {
  const std::string a = Repeated("mshost_exporter_build_info ", 300);
  const std::string b = Repeated("cloudstack_mshost_verdict{msid=\"1\"} ", 5000);
  const Deflated first = Deflate(a, false);
  const Deflated second = Deflate(b, true);
  EXPECT_EQ(Gunzip(GzipJoin({&first, &second})), a + b);
  const Deflated empty = Deflate("", false);
  EXPECT_EQ(Gunzip(GzipJoin({&empty, &second})), b);
}

TEST(GzipTest, CacheCompressesTheTextItServes) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->target = "prod";
  ExpositionCache cache;
  const std::string text = cache.Render(snapshot, {});
  const Deflated deflated = cache.RenderDeflated(snapshot, {});
  EXPECT_EQ(Gunzip(GzipJoin({&deflated})), text);
  EXPECT_THAT(text, ::testing::HasSubstr("cloudstack_mshost_up 0"));
  // A new snapshot: new text, compressed anew.
  auto next = std::make_shared<Snapshot>(*snapshot);
  next->up = true;
  next->ever_ok = true;
  const Deflated again = cache.RenderDeflated(next, {});
  EXPECT_EQ(Gunzip(GzipJoin({&again})), cache.Render(next, {}));
  EXPECT_NE(Gunzip(GzipJoin({&again})), text);
}

TEST(AcceptsGzipTest, FollowsTheAcceptEncodingGrammar) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("GZIP"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));  // browsers
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("identity ; q=1, * ; q=0.1"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("deflate, br"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.000"));
  EXPECT_FALSE(AcceptsGzip("*, gzip;q=0"));  // named beats the wildcard
  EXPECT_FALSE(AcceptsGzip("gzipx"));
}

}  // namespace
}  // namespace msx
