// RTMPT, RTMP tunnelled through HTTP POST requests: the client side, sans I/O.
//
// The client opens a session with POST /open/1 (the response body is the session id, usually
// followed by a newline). It then sends its RTMP bytes as the bodies of POST /send/<id>/<seq>
// and, when it has nothing to send, polls with POST /idle/<id>/<seq>; POST /close/<id>/<seq> ends
// the session. <seq> starts at 0 after the open and counts every later request. Requests without
// RTMP bytes carry one zero byte. Every response body to send/idle/close starts with one byte,
// the server's polling-interval hint (FMS and Red5 send 0x01..0x21, growing while the server has
// nothing to send), followed by RTMP bytes from the server. One request is outstanding at a
// time, on one keep-alive connection. Headers as librtmp and Flash Player send them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "util/bytes.hpp"

namespace rtmp {

enum class RtmptCommand { kOpen, kSend, kIdle, kClose };

// What the last complete response said (valid after RtmptClient::feed() returned kResponse).
struct RtmptResponse {
  RtmptCommand command = RtmptCommand::kOpen;
  int status = 0;
  size_t payload_bytes = 0;       // RTMP bytes in the body (after the hint byte)
  bool has_hint = false;          // false when the body was empty
  uint8_t hint = 0;               // the polling-interval byte
  bool connection_close = false;  // the server will close the connection after this response
};

class RtmptClient {
 public:
  enum class Status { kNeedMore, kResponse, kError };

  static constexpr size_t kMaxHeadBytes = 16 * 1024;         // status line and headers
  static constexpr size_t kMaxBodyBytes = 64 * 1024 * 1024;  // one response body
  static constexpr size_t kMaxSessionIdBytes = 256;          // the body of /open/1

  // host: the Host header value ("example.com", "example.com:8080", "[::1]:8080").
  explicit RtmptClient(std::string host, std::string user_agent = "Shockwave Flash");

  // Each appends one complete request to `out` and makes it the outstanding one. They return
  // false (appending nothing) when the request is not allowed now: while another request is
  // outstanding, after an error, open() once opened, the others before the session is open or
  // after close().
  bool open(Bytes& out);
  bool send(ByteView rtmp, Bytes& out);
  bool idle(Bytes& out);
  bool close(Bytes& out);

  // Feeds response bytes. *consumed = bytes used: the response is consumed up to its end, and
  // bytes after it are left for the next call. Appends the RTMP bytes of send/idle/close bodies
  // to `payload` as they arrive. kResponse when the outstanding request's response is complete
  // (see last_response()); kNeedMore when more bytes are needed; kError (sticky, see error())
  // for a non-200 status, malformed HTTP, a limit exceeded, a bad session id, or bytes with no
  // request outstanding (the connection is then unusable and *consumed means nothing). 1xx
  // interim responses are skipped.
  Status feed(ByteView in, size_t* consumed, Bytes& payload);

  bool outstanding() const { return outstanding_; }
  // Part of the outstanding request's response has arrived, not all of it.
  bool mid_response() const { return outstanding_ && (phase_ == Phase::kBody || !head_.empty()); }
  bool opened() const { return !session_id_.empty(); }
  bool closed() const { return closed_; }
  bool failed() const { return phase_ == Phase::kError; }
  const std::string& session_id() const { return session_id_; }
  uint32_t sequence() const { return sequence_; }  // of the next send/idle/close
  // "/idle/<id>/<seq>" of the outstanding (or last) request, for messages.
  const std::string& request_path() const { return path_; }
  RtmptCommand request_command() const { return command_; }
  const RtmptResponse& last_response() const { return response_; }
  const std::string& error() const { return error_; }

 private:
  enum class Phase { kHead, kBody, kError };

  bool start(RtmptCommand command, ByteView body, Bytes& out);
  size_t feed_head(ByteView in);
  bool parse_head();
  bool parse_status_line(const std::string& line, int* status, std::string* reason, bool* http10);
  bool parse_header(const std::string& line, int64_t* content_length, bool* connection_close,
                    bool* keep_alive);
  size_t feed_body(ByteView in, Bytes& payload);
  bool finish_body();
  bool fail(std::string message);

  std::string host_;
  std::string user_agent_;
  std::string session_id_;
  uint32_t sequence_ = 0;
  bool outstanding_ = false;
  bool closed_ = false;
  std::string path_;
  RtmptCommand command_ = RtmptCommand::kOpen;

  Phase phase_ = Phase::kHead;
  std::string head_;
  size_t body_left_ = 0;
  bool body_started_ = false;
  std::string id_body_;  // the body of /open/1 so far
  RtmptResponse response_;
  std::string error_;
};

// When to poll next. The server's hint is taken as units of 16 ms (0x21 = about 0.5 s, as FMS
// and Red5 mean it). After a response that carried RTMP bytes the client polls at once (data is
// flowing); after an empty one it waits the longer of the hint and its own back-off (no wait for
// the first empty response after data, then 25 ms doubling), at most kMaxDelayUs.
class RtmptPollPolicy {
 public:
  static constexpr int64_t kHintUnitUs = 16'000;
  static constexpr int64_t kFirstBackoffUs = 25'000;
  static constexpr int64_t kMaxDelayUs = 1'000'000;

  // The delay in microseconds before the next idle poll after `response`.
  int64_t after(const RtmptResponse& response);
  int empty_streak() const { return empty_streak_; }

 private:
  int empty_streak_ = 0;
};

}  // namespace rtmp
