// The one typed description of a connection, made once from the settings by validate(): the
// session, the protocol client and each transport read their part of it and derive nothing
// from strings again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/settings.hpp"
#include "proxy/socks_client.hpp"
#include "rtmp/client_connection.hpp"
#include "rtmp/defaults.hpp"
#include "rtmp/url.hpp"

namespace config {

using Role = rtmp::ClientMode;

struct Endpoint {
  std::string host;  // a name, or an IP literal without brackets
  uint16_t port = 0;
};

// The SOCKS transport's options: where the proxy is and what to ask it for.
struct ProxyOptions {
  Endpoint proxy;
  rtmp::socks::Request request;  // the target is the RTMP server
  std::string safe_url;          // the proxy URL without its password, for messages
};

// The TLS transport's options (rtmps, rtmpts).
struct TlsOptions {
  std::string host;                  // SNI (not for IP literals) and certificate check
  uint16_t port = 0;                 // the server's port, for messages
  uint32_t validation_flags = 0x7f;  // GTlsCertificateFlags that fail the connection
  std::string ca_file;               // PEM file of CAs; empty = the system store
};

// The RTMPT transport's options (rtmpt, rtmpts).
struct TunnelOptions {
  std::string host_header;  // "host[:port]" as the Host header carries it
  uint32_t timeout_ms = 0;  // how long a request may wait for its answer; 0 = no limit
};

struct Credentials {
  std::string username;
  std::string password;  // never in messages, logs or stats
  Authmod authmod = Authmod::kAuto;
};

struct ReconnectOptions {
  int attempts = rtmp::defaults::kReconnectAttempts;  // 0 off, -1 no limit, N per outage
  uint32_t delay_ms = rtmp::defaults::kReconnectDelayMs;
  uint32_t max_delay_ms = rtmp::defaults::kReconnectMaxDelayMs;
};

struct PublishOptions {
  size_t queue_bytes = rtmp::defaults::kQueueBytes;
  size_t reconnect_buffer_bytes = rtmp::defaults::kReconnectBufferBytes;
  uint32_t peak_kbps = 0;  // the socket's pacing rate (SO_MAX_PACING_RATE); 0 = none
  // The latency bound: past this much media (ms) waiting to be sent, video frames are dropped
  // (never audio, headers or key frames). 0 = never drop.
  uint32_t max_latency_ms = 0;
  // How long media waits for the next timed drain round at most: the session's batch-latency.
  int64_t round_us = rtmp::defaults::kCoalesceUs;
};

struct PlayOptions {
  size_t queue_bytes = rtmp::defaults::kQueueBytes;
};

struct Connection {
  rtmp::Scheme scheme = rtmp::Scheme::kRtmp;
  Endpoint server;
  std::string safe_url;  // the location without password, for messages
  // Everything the RTMP protocol client needs: role, app, tcUrl, flashVer, stream, handshake,
  // chunk size, play arguments, SecureToken key.
  rtmp::ClientConfig client;
  Credentials credentials;
  std::optional<ProxyOptions> proxy;
  std::optional<TlsOptions> tls;
  std::optional<TunnelOptions> tunnel;
  uint32_t timeout_ms = rtmp::defaults::kTimeoutSeconds * 1000;  // per phase; 0 = no limit
  // How long a wake-up of the session may wait for its loop's next batch (the loop's bound;
  // sessions with the same value share loops); 0 = no batching.
  uint32_t batch_latency_ms = rtmp::defaults::kBatchLatencyMs;
  ReconnectOptions reconnect;
  PublishOptions publish;
  PlayOptions play;

  Role role() const { return client.mode; }
  // Where the TCP connection goes: the proxy when there is one, else the server.
  const Endpoint& first_hop() const { return proxy ? proxy->proxy : server; }
  // "proxy" or "server", for messages about the first hop.
  const char* first_hop_name() const { return proxy ? "proxy" : "server"; }
  // The server moved (NetConnection.Connect.ReconnectRequest with a tcUrl of the same scheme):
  // later connections go there. The proxy, TLS and tunnel options follow the new host.
  void move_to(const rtmp::Url& url, const std::string& tc_url);
};

// Checks the settings and derives everything from them once. On failure returns nullopt and
// sets *error to what is wrong, quoting the offending value (never the password).
std::optional<Connection> validate(const Settings& settings, Role role, std::string* error);

}  // namespace config
