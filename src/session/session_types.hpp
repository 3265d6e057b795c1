// Types shared by the session and its users: states, errors, statistics, the listener.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/connection.hpp"
#include "rtmp/errors.hpp"
#include "rtmp/message.hpp"
#include "rtmp/protocol_log.hpp"
#include "session/congestion_monitor.hpp"
#include "util/strings.hpp"

namespace rtmpsession {

using config::Role;
using rtmp::ErrorKind;

// The one connection state machine. Transitions happen on the session's loop thread only.
enum class State {
  kIdle,
  kResolving,
  kConnecting,
  kHandshaking,
  kConnectingApp,
  kCreatingStream,
  kStarting,  // publish or play sent, waiting for the server to accept
  kPublishing,
  kPlaying,
  kReconnecting,  // waiting before the next connection attempt
  kClosing,
  kClosed,
  kBroken,
};

const char* state_name(State s);

using util::duration_text;

struct SessionError {
  ErrorKind kind = ErrorKind::kNone;
  State state = State::kIdle;  // where it happened
  std::string message;         // human-readable, with the server's description when there is one
  std::string server_code;     // e.g. NetStream.Publish.BadName
};

struct SessionStats {
  State state = State::kIdle;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t messages_sent = 0;
  uint64_t messages_received = 0;
  uint64_t media_messages_sent = 0;
  uint64_t bytes_acked_by_peer = 0;
  uint64_t bytes_acked_to_peer = 0;
  uint32_t out_chunk_size = 128;
  uint32_t in_chunk_size = 128;
  uint32_t in_window_ack_size = 0;
  uint32_t out_window_ack_size = 0;
  uint64_t queued_bytes = 0;
  double bitrate_bps = 0;         // outgoing (publish) or incoming (play), over the last seconds
  double send_rate_bps = 0;       // publish: what reached the server, over the last seconds
  uint32_t reconnects = 0;        // successful reconnections
  uint32_t attempt = 1;           // connection attempt of the current series
  uint64_t dropped_messages = 0;  // sink: media dropped while reconnecting (oldest first)
  uint64_t dropped_bytes = 0;
  uint64_t skipped_until_keyframe = 0;  // sink: frames not sent while resuming at a keyframe
  std::string transport;                // the connection's transport stack, "" before one is up
  std::string server_enhanced_rtmp;     // what the server said of Enhanced RTMP ("none", ...)
  // Sink, live publishing: media waiting to be sent (ms), video frames dropped for the latency
  // bound, and whether the stream is congested (docs/streaming.md).
  uint32_t queued_ms = 0;
  uint64_t frames_dropped = 0;
  bool congested = false;
};

struct StateChange {
  State state = State::kIdle;
  State previous = State::kIdle;
  unsigned attempt = 1;  // connection attempt this state belongs to (1 = first)
  std::string reason;    // why, for closed and broken (and later reconnecting)
};

// Called on the session's loop thread.
class SessionListener {
 public:
  virtual ~SessionListener() = default;
  virtual void on_state(const StateChange& change) = 0;
  virtual void on_error(const SessionError& error) = 0;
  // Where the protocol and the connections are logged (rtmp/protocol_log.hpp); null: nowhere.
  virtual rtmp::Logger* logger() { return nullptr; }
  // Publishing: congestion began, goes on (at most every 500 ms) or cleared.
  virtual void on_congestion(const CongestionReport& report) { (void)report; }
};

}  // namespace rtmpsession
