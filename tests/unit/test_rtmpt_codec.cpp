#include "tunnel/rtmpt_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rtmp {
namespace {

using Status = RtmptClient::Status;

Bytes b(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

std::string s(const Bytes& v) {
  return std::string(v.begin(), v.end());
}

std::string request(const std::string& path, const std::string& body,
                    const std::string& host = "example.com:8080") {
  return "POST " + path + " HTTP/1.1\r\nHost: " + host +
         "\r\nAccept: */*\r\nUser-Agent: Shockwave Flash\r\nConnection: Keep-Alive\r\n"
         "Cache-Control: no-cache\r\nContent-Type: application/x-fcs\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/x-fcs\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: Keep-Alive\r\n\r\n" + body;
}

struct Fed {
  Status status = Status::kNeedMore;
  size_t consumed = 0;
  Bytes payload;
};

// Feeds `in` in pieces cut at `cuts` (offered again from the first unconsumed byte, as a caller
// does), until a response completes or an error.
Fed feed_pieces(RtmptClient& c, const std::string& in, std::vector<size_t> cuts) {
  Fed f;
  cuts.push_back(in.size());
  Bytes data = b(in);
  size_t from = 0;
  for (size_t cut : cuts) {
    if (cut < from) continue;
    size_t used = 0;
    f.status = c.feed(ByteView(data).subspan(from, cut - from), &used, f.payload);
    EXPECT_LE(used, cut - from);
    from += used;
    f.consumed = from;
    if (f.status != Status::kNeedMore) break;
  }
  return f;
}

Fed feed_all(RtmptClient& c, const std::string& in) {
  return feed_pieces(c, in, {});
}

// An opened client with session id "s1d" (the open request and response done).
RtmptClient opened() {
  RtmptClient c("example.com:8080");
  Bytes out;
  EXPECT_TRUE(c.open(out));
  EXPECT_EQ(feed_all(c, ok("s1d\n")).status, Status::kResponse);
  EXPECT_EQ(c.session_id(), "s1d");
  return c;
}

TEST(RtmptCodec, OpenRequestBytesExact) {
  RtmptClient c("example.com:8080");
  Bytes out;
  ASSERT_TRUE(c.open(out));
  EXPECT_EQ(s(out), request("/open/1", std::string(1, '\0')));
  EXPECT_TRUE(c.outstanding());
  EXPECT_EQ(c.request_path(), "/open/1");
}

TEST(RtmptCodec, SendIdleCloseRequestBytesAndSequence) {
  RtmptClient c = opened();
  EXPECT_EQ(c.sequence(), 0u);
  Bytes out;
  ASSERT_TRUE(c.idle(out));
  EXPECT_EQ(s(out), request("/idle/s1d/0", std::string(1, '\0')));
  ASSERT_EQ(feed_all(c, ok(std::string(1, '\x01'))).status, Status::kResponse);

  out.clear();
  ASSERT_TRUE(c.send(b("\x03rtmp-bytes"), out));
  EXPECT_EQ(s(out), request("/send/s1d/1", "\x03rtmp-bytes"));
  ASSERT_EQ(feed_all(c, ok(std::string(1, '\x01'))).status, Status::kResponse);

  out.clear();
  ASSERT_TRUE(c.close(out));
  EXPECT_EQ(s(out), request("/close/s1d/2", std::string(1, '\0')));
  EXPECT_EQ(c.sequence(), 3u);
  ASSERT_EQ(feed_all(c, ok(std::string(1, '\0'))).status, Status::kResponse);
  EXPECT_TRUE(c.closed());
}

TEST(RtmptCodec, HeaderValuesLoseControlCharacters) {
  RtmptClient c("evil\r\nX-Injected: 1", "agent\n");
  Bytes out;
  ASSERT_TRUE(c.open(out));
  std::string text = s(out);
  EXPECT_NE(text.find("Host: evilX-Injected: 1\r\n"), std::string::npos);
  EXPECT_NE(text.find("User-Agent: agent\r\n"), std::string::npos);
}

TEST(RtmptCodec, RequestsOnlyWhenAllowed) {
  RtmptClient c("h");
  Bytes out;
  EXPECT_FALSE(c.idle(out));
  EXPECT_FALSE(c.send(b("x"), out));
  EXPECT_FALSE(c.close(out));
  ASSERT_TRUE(c.open(out));
  EXPECT_FALSE(c.open(out));  // outstanding
  out.clear();
  ASSERT_EQ(feed_all(c, ok("id")).status, Status::kResponse);
  EXPECT_FALSE(c.open(out));           // already open
  EXPECT_FALSE(c.send(Bytes{}, out));  // nothing to send
  ASSERT_TRUE(c.idle(out));
  EXPECT_FALSE(c.send(b("x"), out));  // idle outstanding
  ASSERT_EQ(feed_all(c, ok(std::string(1, '\x05'))).status, Status::kResponse);
  ASSERT_TRUE(c.close(out));
  ASSERT_EQ(feed_all(c, ok(std::string(1, '\0'))).status, Status::kResponse);
  out.clear();
  EXPECT_FALSE(c.idle(out));
  EXPECT_FALSE(c.send(b("x"), out));
  EXPECT_FALSE(c.close(out));
  EXPECT_TRUE(out.empty());
}

TEST(RtmptCodec, OpenResponseAtEveryByteBoundary) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nServer: FlashCom/3.5.7\r\ncontent-length: 11\r\n"
      "Content-Type: application/x-fcs\r\n\r\n1234567890\n";
  for (size_t cut = 0; cut <= response.size(); cut++) {
    RtmptClient c("h");
    Bytes out;
    ASSERT_TRUE(c.open(out));
    Fed f = feed_pieces(c, response, {cut});
    ASSERT_EQ(f.status, Status::kResponse) << cut << ": " << c.error();
    EXPECT_EQ(f.consumed, response.size());
    EXPECT_EQ(c.session_id(), "1234567890");
    EXPECT_TRUE(f.payload.empty());
    EXPECT_FALSE(c.outstanding());
  }
}

TEST(RtmptCodec, DataResponseAtEveryPairOfBoundaries) {
  const std::string body = std::string(1, '\x03') + "S0S1S2-bytes";
  const std::string response = ok(body);
  for (size_t a = 0; a <= response.size(); a++) {
    for (size_t z = a; z <= response.size(); z += 7) {
      RtmptClient c = opened();
      Bytes out;
      ASSERT_TRUE(c.idle(out));
      Fed f = feed_pieces(c, response, {a, z});
      ASSERT_EQ(f.status, Status::kResponse) << a << "," << z << ": " << c.error();
      EXPECT_EQ(f.consumed, response.size());
      EXPECT_EQ(s(f.payload), "S0S1S2-bytes");
      const RtmptResponse& r = c.last_response();
      EXPECT_EQ(r.command, RtmptCommand::kIdle);
      EXPECT_EQ(r.status, 200);
      EXPECT_TRUE(r.has_hint);
      EXPECT_EQ(r.hint, 3);
      EXPECT_EQ(r.payload_bytes, 12u);
      EXPECT_FALSE(r.connection_close);
    }
  }
}

TEST(RtmptCodec, ByteByByte) {
  const std::string response = "HTTP/1.1 100 Continue\r\n\r\n" + ok(std::string("\x21xyz", 4));
  RtmptClient c = opened();
  Bytes out;
  ASSERT_TRUE(c.send(b("abc"), out));
  std::vector<size_t> cuts;
  for (size_t i = 1; i < response.size(); i++) cuts.push_back(i);
  Fed f = feed_pieces(c, response, cuts);
  ASSERT_EQ(f.status, Status::kResponse) << c.error();
  EXPECT_EQ(s(f.payload), "xyz");
  EXPECT_EQ(c.last_response().hint, 0x21);
  EXPECT_EQ(c.last_response().command, RtmptCommand::kSend);
}

TEST(RtmptCodec, StopsAtTheEndOfAResponse) {
  RtmptClient c = opened();
  Bytes out;
  ASSERT_TRUE(c.idle(out));
  const std::string two = ok(std::string("\x01"
                                         "a",
                                         2)) +
                          ok(std::string("\x01"
                                         "bc",
                                         3));
  Bytes data = b(two);
  Bytes payload;
  size_t used = 0;
  ASSERT_EQ(c.feed(data, &used, payload), Status::kResponse);
  EXPECT_EQ(used, ok(std::string("\x01"
                                 "a",
                                 2))
                      .size());
  EXPECT_EQ(s(payload), "a");
  ASSERT_TRUE(c.idle(out));  // the next request; the rest answers it
  size_t used2 = 0;
  ASSERT_EQ(c.feed(ByteView(data).subspan(used), &used2, payload), Status::kResponse);
  EXPECT_EQ(used + used2, data.size());
  EXPECT_EQ(s(payload), "abc");
}

TEST(RtmptCodec, BytesWithoutARequestAreAnError) {
  RtmptClient c = opened();
  Bytes payload;
  size_t used = 0;
  Bytes junk = b(ok(std::string(1, '\x01')));
  EXPECT_EQ(c.feed(junk, &used, payload), Status::kError);
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(c.error(), "RTMPT server sent " + std::to_string(junk.size()) +
                           " bytes while no request was outstanding");
  Bytes out;
  EXPECT_FALSE(c.idle(out));  // sticky
  EXPECT_EQ(c.feed(junk, &used, payload), Status::kError);
}

TEST(RtmptCodec, EmptyBodyHasNoHint) {
  RtmptClient c = opened();
  Bytes out;
  ASSERT_TRUE(c.idle(out));
  Fed f = feed_all(c, ok(""));
  ASSERT_EQ(f.status, Status::kResponse);
  EXPECT_FALSE(c.last_response().has_hint);
  EXPECT_EQ(c.last_response().payload_bytes, 0u);
}

TEST(RtmptCodec, LenientLineEndsAndConnectionClose) {
  RtmptClient c = opened();
  Bytes out;
  ASSERT_TRUE(c.idle(out));
  // LF-only line ends, stray CRLF before the status line, Connection: close.
  Fed f = feed_all(c, "\r\nHTTP/1.1 200 OK\nConnection: close\nContent-Length: 2\n\n\x01z");
  ASSERT_EQ(f.status, Status::kResponse) << c.error();
  EXPECT_EQ(s(f.payload), "z");
  EXPECT_TRUE(c.last_response().connection_close);

  ASSERT_TRUE(c.idle(out));
  f = feed_all(c, "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n\x01");
  ASSERT_EQ(f.status, Status::kResponse);
  EXPECT_TRUE(c.last_response().connection_close);  // HTTP/1.0 without keep-alive

  ASSERT_TRUE(c.idle(out));
  f = feed_all(c, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\n\x01");
  ASSERT_EQ(f.status, Status::kResponse);
  EXPECT_FALSE(c.last_response().connection_close);
}

TEST(RtmptCodec, CloseAcceptsAnyStatus) {
  RtmptClient c = opened();
  Bytes out;
  ASSERT_TRUE(c.close(out));
  Fed f = feed_all(c, "HTTP/1.1 404 Not Found\r\n\r\n");
  ASSERT_EQ(f.status, Status::kResponse) << c.error();
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(c.last_response().status, 404);
}

// The error for `response` to a request (open when `open` is true, else the first idle).
std::string error_for(const std::string& response, bool open) {
  RtmptClient c = open ? RtmptClient("h") : opened();
  Bytes out;
  EXPECT_TRUE(open ? c.open(out) : c.idle(out));
  // Whole, and byte by byte: the same error.
  Fed whole = feed_all(c, response);
  EXPECT_EQ(whole.status, Status::kError) << response;
  EXPECT_TRUE(c.failed());
  RtmptClient d = open ? RtmptClient("h") : opened();
  EXPECT_TRUE(open ? d.open(out) : d.idle(out));
  std::vector<size_t> cuts;
  for (size_t i = 1; i < response.size(); i++) cuts.push_back(i);
  EXPECT_EQ(feed_pieces(d, response, cuts).status, Status::kError);
  EXPECT_EQ(d.error(), c.error());
  return c.error();
}

TEST(RtmptCodec, NonOkStatusNamesTheRequest) {
  EXPECT_EQ(error_for("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", true),
            "RTMPT server answered 404 (Not Found) to /open/1");
  EXPECT_EQ(error_for("HTTP/1.1 503\r\n\r\n", false), "RTMPT server answered 503 to /idle/s1d/0");
  EXPECT_EQ(error_for("HTTP/1.1 101 Switching Protocols\r\n\r\n", false),
            "RTMPT server answered 101 (Switching Protocols) to /idle/s1d/0");
}

TEST(RtmptCodec, MalformedHttp) {
  EXPECT_EQ(error_for("SSH-2.0-OpenSSH_9.2\r\n\r\n", true),
            "malformed HTTP response from the RTMPT server to /open/1: \"SSH-2.0-OpenSSH_9.2\"");
  EXPECT_EQ(error_for("HTTP/1.1 2000 OK\r\n\r\n", true),
            "malformed HTTP response from the RTMPT server to /open/1: \"HTTP/1.1 2000 OK\"");
  EXPECT_EQ(error_for("\x03\x01\x02\x03\n\n", true),
            "malformed HTTP response from the RTMPT server to /open/1: \"\\x03\\x01\\x02\\x03\"");
  EXPECT_EQ(error_for("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", false),
            "malformed header line in the RTMPT server's answer to /idle/s1d/0: \"no colon here\"");
  EXPECT_EQ(error_for("HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", false),
            "malformed header line in the RTMPT server's answer to /idle/s1d/0: \" folded: x\"");
  EXPECT_EQ(error_for("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", false),
            "RTMPT server's answer to /idle/s1d/0 has no Content-Length");
  EXPECT_EQ(error_for("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false),
            "RTMPT server answered /idle/s1d/0 with Transfer-Encoding \"chunked\"; only "
            "Content-Length bodies are supported");
}

TEST(RtmptCodec, BadContentLength) {
  for (const char* value : {"abc", "-1", "1 2", "", "0x10", "1234567890123456789"}) {
    EXPECT_EQ(
        error_for(std::string("HTTP/1.1 200 OK\r\nContent-Length: ") + value + "\r\n\r\n", false),
        std::string("bad Content-Length \"") + value +
            "\" in the RTMPT server's answer to /idle/s1d/0")
        << value;
  }
  EXPECT_EQ(error_for("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false),
            "bad Content-Length \"2\" in the RTMPT server's answer to /idle/s1d/0");
  // The same value twice is fine.
  RtmptClient c = opened();
  Bytes out;
  ASSERT_TRUE(c.idle(out));
  EXPECT_EQ(
      feed_all(c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n\x01").status,
      Status::kResponse);
}

TEST(RtmptCodec, Limits) {
  EXPECT_EQ(error_for("HTTP/1.1 200 OK\r\nContent-Length: 67108865\r\n\r\n", false),
            "RTMPT server's answer to /idle/s1d/0 has 67108865 bytes, above the limit of "
            "67108864");
  std::string long_head = "HTTP/1.1 200 OK\r\nX: " + std::string(RtmptClient::kMaxHeadBytes, 'a');
  EXPECT_EQ(error_for(long_head, false), "RTMPT response head is longer than 16384 bytes");
  EXPECT_EQ(error_for(ok(std::string(257, '1')), true),
            "RTMPT server's answer to /open/1 is longer than 256 bytes (expected a session id)");
  // A body at the limit is streamed, not held.
  RtmptClient c = opened();
  Bytes out;
  ASSERT_TRUE(c.idle(out));
  Bytes head = b("HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\n\r\n\x01");
  Bytes payload;
  size_t used = 0;
  ASSERT_EQ(c.feed(head, &used, payload), Status::kNeedMore);
  EXPECT_EQ(used, head.size());
}

TEST(RtmptCodec, SessionIds) {
  EXPECT_EQ(error_for(ok("\r\n"), true), "RTMPT server sent no session id in answer to /open/1");
  EXPECT_EQ(error_for(ok(""), true), "RTMPT server sent no session id in answer to /open/1");
  EXPECT_EQ(error_for(ok("a b\n"), true),
            "RTMPT server sent an unusable session id \"a b\" in answer to /open/1");
  EXPECT_EQ(error_for(ok("a/b"), true),
            "RTMPT server sent an unusable session id \"a/b\" in answer to /open/1");
  for (const std::string& body :
       {std::string("XyZ-9_8.7\r\n"), std::string("42"), std::string("abc\n\0", 5)}) {
    RtmptClient c("h");
    Bytes out;
    ASSERT_TRUE(c.open(out));
    ASSERT_EQ(feed_all(c, ok(body)).status, Status::kResponse) << c.error();
    EXPECT_EQ(c.session_id(), body.substr(0, body.find_first_of("\r\n")));
    EXPECT_EQ(c.sequence(), 0u);
  }
}

RtmptResponse response(RtmptCommand command, size_t payload, bool has_hint, uint8_t hint) {
  RtmptResponse r;
  r.command = command;
  r.status = 200;
  r.payload_bytes = payload;
  r.has_hint = has_hint;
  r.hint = hint;
  return r;
}

TEST(RtmptPollPolicy, PollsAtOnceWhileDataFlowsAndBacksOffWhenIdle) {
  RtmptPollPolicy p;
  auto idle_empty = response(RtmptCommand::kIdle, 0, true, 0);
  EXPECT_EQ(p.after(response(RtmptCommand::kIdle, 100, true, 1)), 0);
  EXPECT_EQ(p.after(idle_empty), 0);  // one quick re-poll
  EXPECT_EQ(p.after(idle_empty), 25'000);
  EXPECT_EQ(p.after(idle_empty), 50'000);
  EXPECT_EQ(p.after(idle_empty), 100'000);
  for (int i = 0; i < 20; i++) p.after(idle_empty);
  EXPECT_EQ(p.after(idle_empty), RtmptPollPolicy::kMaxDelayUs);
  EXPECT_EQ(p.after(response(RtmptCommand::kIdle, 1, true, 0x21)), 0);  // data again
  EXPECT_EQ(p.empty_streak(), 0);
}

TEST(RtmptPollPolicy, ServerHintIsAFloor) {
  RtmptPollPolicy p;
  EXPECT_EQ(p.after(response(RtmptCommand::kIdle, 0, true, 0x21)), 0x21 * 16'000);
  EXPECT_EQ(p.after(response(RtmptCommand::kIdle, 0, true, 0x01)), 25'000);
  EXPECT_EQ(p.after(response(RtmptCommand::kIdle, 0, true, 0xff)), RtmptPollPolicy::kMaxDelayUs);
  EXPECT_EQ(p.after(response(RtmptCommand::kIdle, 0, false, 0)), 100'000);
}

TEST(RtmptPollPolicy, AnsweredSendRestartsTheBackOff) {
  RtmptPollPolicy p;
  auto idle_empty = response(RtmptCommand::kIdle, 0, true, 0);
  for (int i = 0; i < 6; i++) p.after(idle_empty);
  EXPECT_EQ(p.after(response(RtmptCommand::kSend, 0, true, 0)), 0);
  EXPECT_EQ(p.after(idle_empty), 25'000);
}

}  // namespace
}  // namespace rtmp
