// Types shared by the session and its users: configuration, states, errors, statistics.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rtmp/amf0.hpp"
#include "rtmp/client_connection.hpp"
#include "rtmp/errors.hpp"
#include "rtmp/message.hpp"

namespace rtmpsession {

enum class Role { kPublish, kPlay };

struct SessionConfig {
  Role role = Role::kPublish;
  std::string scheme = "rtmp";
  std::string host = "localhost";
  uint16_t port = 1935;
  std::string application;
  std::string stream;
  std::string tc_url;    // derived from the location when empty
  std::string safe_url;  // the location without password, for messages
  std::string flash_version;
  std::string swf_url;
  std::string page_url;
  rtmp::HandshakeMode handshake = rtmp::HandshakeMode::kAuto;
  std::vector<rtmp::amf0::Value> connect_args;  // extra connect arguments (librtmp conn=)
  uint32_t timeout_ms = 10000;  // per phase: resolve, connect, handshake, each reply; 0 = none
  uint32_t chunk_size = 4096;
  size_t queue_bytes = 4 * 1024 * 1024;  // bound of media waiting to be sent (back-pressure)
  uint32_t play_buffer_ms = 36000000;    // Set Buffer Length when playing (see rtmpsrc)
  double play_start = -2000;             // see rtmp::ClientConfig::play_start
  // Reconnect after a connection that reached publishing/playing breaks: 0 = off, -1 = no limit,
  // N = at most N attempts per outage. Delays double from reconnect_delay_ms up to the max.
  int reconnect_attempts = 0;
  uint32_t reconnect_delay_ms = 1000;
  uint32_t reconnect_max_delay_ms = 30000;
  size_t reconnect_buffer_bytes = 16 * 1024 * 1024;  // sink: media kept while reconnecting

  // Authentication. Credentials come from user:password@ in the location or the properties;
  // they never appear in messages, logs or stats (use safe_url).
  std::string username;
  std::string password;
  std::string authmod;       // "" = answer whichever challenge the server sends; "adobe", "llnw"
                             // or "none" (never answer one)
  std::string secure_token;  // answers a SecureToken challenge (librtmp's token=)

  // TLS, for rtmps:// and rtmpts://. Flags have GTlsCertificateFlags' meaning, as rtmp2's
  // tls-validation-flags: the certificate problems that make the connection fail.
  uint32_t tls_validation_flags = G_TLS_CERTIFICATE_VALIDATE_ALL;
  std::string tls_ca_file;  // PEM file of trusted CAs; empty = the system store

  // Proxy: "socks5://[user:password@]host[:port]", "socks4a://host[:port]" or
  // "socks4://host[:port]"; empty = connect directly.
  std::string proxy;
};

// The one connection state machine. Transitions happen on the session thread only.
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

// "5 s" or "250 ms", for messages.
inline std::string duration_text(uint32_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

using rtmp::ErrorKind;

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
  uint32_t out_chunk_size = 128;
  uint32_t in_chunk_size = 128;
  uint32_t in_window_ack_size = 0;
  uint64_t queued_bytes = 0;
  double bitrate_bps = 0;         // outgoing (publish) or incoming (play), over the last seconds
  uint32_t reconnects = 0;        // successful reconnections
  uint32_t attempt = 1;           // connection attempt of the current series
  uint64_t dropped_messages = 0;  // sink: media dropped while reconnecting (oldest first)
  uint64_t dropped_bytes = 0;
  uint64_t skipped_until_keyframe = 0;  // sink: frames not sent while resuming at a keyframe
  std::string transport;                // the connection's transport stack, "" before one is up
};

struct StateChange {
  State state = State::kIdle;
  State previous = State::kIdle;
  unsigned attempt = 1;  // connection attempt this state belongs to (1 = first)
  std::string reason;    // why, for closed and broken (and later reconnecting)
};

// Called on the session thread.
class SessionListener {
 public:
  virtual ~SessionListener() = default;
  virtual void on_state(const StateChange& change) = 0;
  virtual void on_error(const SessionError& error) = 0;
};

// What Session::pull() (play) gives back.
enum class PullResult {
  kMessage,   // an audio, video or script message
  kEnd,       // the server ended the stream (Play.Stop, Play.Complete, UnpublishNotify, StreamEOF)
  kError,     // the session broke (the error went to the listener)
  kFlushing,  // set_flushing(true) or cancel()
  kTimeout,   // nothing arrived within the given time
};

}  // namespace rtmpsession
