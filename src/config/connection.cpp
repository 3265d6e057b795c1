#include "config/connection.hpp"

#include <algorithm>

#include "rtmp/url_options.hpp"

namespace config {

namespace {

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// "host[:port]" for the RTMPT Host header: the port only when it is not the scheme's default.
std::string host_header(const Endpoint& server, rtmp::Scheme scheme) {
  std::string host =
      server.host.find(':') != std::string::npos ? "[" + server.host + "]" : server.host;
  if (server.port != rtmp::default_port(scheme)) host += ":" + std::to_string(server.port);
  return host;
}

bool make_proxy(const Settings& s, const Endpoint& server, Connection& c, std::string* error) {
  if (s.proxy.empty()) return true;
  std::string why;
  auto url = rtmp::socks::parse_proxy_url(s.proxy, &why);
  if (!url) return fail(error, "invalid proxy URL: " + why);
  ProxyOptions p;
  p.proxy = Endpoint{url->host, url->port};
  p.safe_url = url->safe_text();
  p.request.version = url->version;
  p.request.proxy_where = url->where();
  p.request.host = server.host;
  p.request.port = server.port;
  p.request.user = url->user;
  p.request.password = url->password;
  why = rtmp::socks::request_problem(p.request);
  if (!why.empty()) return fail(error, "cannot use proxy " + p.safe_url + ": " + why);
  c.proxy = std::move(p);
  return true;
}

// The transport layers the scheme asks for, all pointing at the server.
void make_layers(const Settings& s, Connection& c) {
  c.tls.reset();
  c.tunnel.reset();
  if (rtmp::uses_tls(c.scheme))
    c.tls = TlsOptions{c.server.host, c.server.port, s.tls_validation_flags, s.tls_ca_file};
  if (rtmp::uses_tunnel(c.scheme))
    c.tunnel = TunnelOptions{host_header(c.server, c.scheme), c.timeout_ms};
}

bool check_address(const Settings& s, std::string* error) {
  if (!s.location_error.empty()) return fail(error, "invalid location " + s.location_error);
  if (s.host.empty()) return fail(error, "no host set");
  if (s.port < 1 || s.port > 65535)
    return fail(error, "port " + std::to_string(s.port) + " is out of range 1-65535");
  if (s.application.empty()) return fail(error, "no application set");
  if (s.stream.empty()) return fail(error, "no stream name set");
  if (s.handshake < 0 || s.handshake > 2)
    return fail(error, "unknown handshake mode " + std::to_string(s.handshake));
  if (s.chunk_size < 1 || s.chunk_size > 0x7fffffff)
    return fail(error, "chunk-size " + std::to_string(s.chunk_size) + " is out of range");
  return true;
}

rtmp::ClientConfig make_client(const Settings& s, Role role, const rtmp::Url& url,
                               std::vector<rtmp::amf0::Value> extra) {
  rtmp::ClientConfig cc;
  cc.mode = role;
  cc.connect.app = s.application;
  cc.connect.tc_url = s.options.tc_url.empty() ? url.tc_url() : s.options.tc_url;
  cc.connect.flash_ver = !s.flash_version.empty() ? s.flash_version
                         : role == Role::kPublish ? rtmp::defaults::kPublishFlashVersion
                                                  : rtmp::defaults::kPlayFlashVersion;
  cc.connect.swf_url = s.options.swf_url;
  cc.connect.page_url = s.options.page_url;
  cc.connect.extra_args = s.options.conn_args;
  cc.connect.extra_args.insert(cc.connect.extra_args.end(), extra.begin(), extra.end());
  cc.stream = s.stream;
  cc.chunk_size = s.chunk_size;
  cc.handshake = static_cast<rtmp::HandshakeMode>(s.handshake);
  cc.announce_enhanced = s.enhanced_rtmp;
  cc.secure_token = s.secure_token.empty() ? s.options.token : s.secure_token;
  cc.play_buffer_ms =
      s.buffer_length_ms.value_or(s.options.buffer_ms.value_or(rtmp::defaults::kPlayBufferMs));
  if (s.options.live) cc.play_start = *s.options.live ? -1000 : 0;  // live only / recorded only
  if (s.options.start_s && !(s.options.live && *s.options.live))
    cc.play_start = double(*s.options.start_s) * 1000.0;
  cc.subscribe = s.options.subscribe;
  if (cc.subscribe.empty() && s.options.live && *s.options.live) cc.subscribe = s.stream;
  cc.stop_commands = s.stop_commands;
  return cc;
}

}  // namespace

std::optional<Connection> validate(const Settings& s, Role role, std::string* error) {
  if (!check_address(s, error)) return std::nullopt;
  std::string why;
  auto extra = rtmp::parse_conn_options(s.extra_connect_args, &why);
  if (!extra) {
    fail(error, "invalid extra-connect-args: " + why);
    return std::nullopt;
  }

  Connection c;
  c.scheme = s.scheme;
  c.server = Endpoint{s.host, static_cast<uint16_t>(s.port)};
  c.safe_url = s.uri(false);
  rtmp::Url url;
  url.scheme = s.scheme;
  url.host = s.host;
  url.port = c.server.port;
  url.port_explicit = c.server.port != rtmp::default_port(s.scheme);
  url.application = s.application;
  c.client = make_client(s, role, url, std::move(*extra));
  c.credentials = Credentials{s.username, s.password, s.authmod};
  // Beyond 49 days the limit is as good as none: clamped to what the millisecond field holds.
  c.timeout_ms =
      static_cast<uint32_t>(std::min<uint64_t>(uint64_t{s.timeout_s} * 1000, UINT32_MAX));
  c.batch_latency_ms = std::min(s.batch_latency_ms, rtmp::defaults::kMaxBatchLatencyMs);
  c.publish.round_us = int64_t{c.batch_latency_ms} * 1000;
  c.reconnect.attempts = s.reconnect_attempts;
  c.reconnect.delay_ms = s.reconnect_delay_ms;
  c.reconnect.max_delay_ms = std::max(s.reconnect_max_delay_ms, s.reconnect_delay_ms);
  c.publish.reconnect_buffer_bytes = static_cast<size_t>(s.reconnect_buffer_bytes);
  c.publish.peak_kbps = s.peak_kbps;
  c.publish.max_latency_ms = s.live_pacing ? s.max_latency_ms : 0;
  if (!make_proxy(s, c.server, c, error)) return std::nullopt;
  make_layers(s, c);
  return c;
}

void Connection::move_to(const rtmp::Url& url, const std::string& tc_url) {
  server = Endpoint{url.host, url.port};
  client.connect.app = url.stream.empty() ? url.application : url.application + "/" + url.stream;
  client.connect.tc_url = tc_url;
  if (proxy) {
    proxy->request.host = server.host;
    proxy->request.port = server.port;
  }
  if (tls) {
    tls->host = server.host;
    tls->port = server.port;
  }
  if (tunnel) tunnel->host_header = host_header(server, scheme);
}

}  // namespace config
