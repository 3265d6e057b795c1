// What the user asked for: the elements' properties as typed values, before anything is derived
// from them. validate() (config/connection.hpp) turns them into the one description of the
// connection the session and the transports use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtmp/amf0.hpp"
#include "rtmp/defaults.hpp"
#include "rtmp/url.hpp"

namespace config {

// Which authentication challenge to answer. The numbers are rtmp2's (0 none, 1 auto, 2 adobe),
// plus Limelight.
enum class Authmod { kNone = 0, kAuto = 1, kAdobe = 2, kLlnw = 3 };

// rtmp2sink's stop-commands flags: what is sent at the end of a publication.
enum StopCommand : uint32_t {
  kStopNone = 0,
  kStopFcUnpublish = 1,
  kStopCloseStream = 2,
  kStopDeleteStream = 4,
};
inline constexpr uint32_t kDefaultStopCommands = kStopFcUnpublish | kStopDeleteStream;

// librtmp-style options that followed the URL in the last location (see rtmp/url_options.hpp).
struct LocationOptions {
  std::string tc_url;    // empty = derived from scheme, host, port and application
  std::string page_url;  // sent in connect when not empty
  std::string swf_url;   // sent in connect when not empty
  std::vector<rtmp::amf0::Value> conn_args;  // conn=...: extra connect arguments
  std::optional<bool> live;                  // play start: live only / recorded only
  std::string token;                         // SecureToken key unless secure-token is set
  std::string subscribe;                     // FCSubscribe name (live streams on some CDNs)
  std::optional<uint32_t> buffer_ms;         // play buffer length, unless buffer-length is set
  std::optional<uint32_t> start_s;           // play a recorded stream from here
  // Options accepted without effect (SWF verification), to be logged when the element starts.
  std::vector<std::string> notes;
};

struct Settings {
  // The address: set together by `location`, or one by one.
  rtmp::Scheme scheme = rtmp::Scheme::kRtmp;
  std::string host = rtmp::defaults::kHost;
  int port = rtmp::default_port(rtmp::Scheme::kRtmp);
  std::string application = rtmp::defaults::kApplication;
  std::string stream = rtmp::defaults::kStream;
  std::string username;
  std::string password;
  LocationOptions options;
  // Why the last `location` could not be used ("" = it was fine). Kept until a location that
  // parses is set: start() then fails with it rather than using an earlier or default address.
  std::string location_error;

  uint32_t timeout_s = rtmp::defaults::kTimeoutSeconds;
  uint32_t batch_latency_ms = rtmp::defaults::kBatchLatencyMs;  // 0 = no batching
  std::string flash_version;       // empty = the role's default (rtmp/defaults.hpp)
  std::string extra_connect_args;  // conn=... text; parsed by validate()
  int handshake = 0;               // rtmp::HandshakeMode: 0 auto, 1 plain, 2 digest
  bool enhanced_rtmp = true;       // announce Enhanced RTMP v2 in connect
  Authmod authmod = Authmod::kAuto;
  std::string secure_token;
  uint32_t tls_validation_flags = 0x7f;  // G_TLS_CERTIFICATE_VALIDATE_ALL
  std::string tls_ca_file;
  std::string proxy;  // socks5://, socks4a://, socks4:// URL; empty = direct

  int reconnect_attempts = rtmp::defaults::kReconnectAttempts;
  uint32_t reconnect_delay_ms = rtmp::defaults::kReconnectDelayMs;
  uint32_t reconnect_max_delay_ms = rtmp::defaults::kReconnectMaxDelayMs;

  // Publishing.
  uint32_t chunk_size = rtmp::defaults::kChunkSize;
  uint64_t reconnect_buffer_bytes = rtmp::defaults::kReconnectBufferBytes;
  uint32_t stop_commands = kDefaultStopCommands;
  uint32_t peak_kbps = 0;  // cap on the send rate (rtmp2sink's peak-kbps); 0 = none
  // The latency bound (ms of media waiting to be sent; 0 = never drop). It applies while the
  // sink synchronises to the clock (sync=true, the element says so in `live_pacing`).
  uint32_t max_latency_ms = rtmp::defaults::kMaxLatencyMs;
  bool live_pacing = true;
  // Playing.
  std::optional<uint32_t> buffer_length_ms;  // the buffer-length property, when set

  // Parses `text` (a URL, optionally followed by librtmp-style options) and, if it is usable,
  // replaces the address, the credentials and the options with what it says, clears
  // location_error and returns true. Otherwise changes nothing but location_error (the reason,
  // quoting the location without its password) and returns false. timeout= and flashVer= set
  // timeout_s and flash_version.
  bool set_location(std::string_view text, std::string* error = nullptr);
  // scheme://[user@]host[:port]/application/stream: the password only when asked for, never the
  // librtmp-style options.
  std::string uri(bool with_password = false) const;
};

}  // namespace config
