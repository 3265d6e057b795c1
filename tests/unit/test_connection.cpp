// The settings and the one connection description derived from them (config/): locations that
// parse or do not (never a fallback to an earlier one), librtmp options, the transport layers
// each scheme asks for, proxies, and a server's move.
#include <gtest/gtest.h>

#include "config/connection.hpp"

namespace config {
namespace {

Connection valid(const Settings& s, Role role = Role::kPublish) {
  std::string error;
  std::optional<Connection> c = validate(s, role, &error);
  EXPECT_TRUE(c) << error;
  return c ? *c : Connection{};
}

std::string invalid(const Settings& s, Role role = Role::kPublish) {
  std::string error;
  EXPECT_FALSE(validate(s, role, &error));
  return error;
}

Settings located(const std::string& location) {
  Settings s;
  std::string error;
  EXPECT_TRUE(s.set_location(location, &error)) << error;
  return s;
}

TEST(Connection, Defaults) {
  Connection c = valid(Settings{});
  EXPECT_EQ(c.scheme, rtmp::Scheme::kRtmp);
  EXPECT_EQ(c.server.host, "localhost");
  EXPECT_EQ(c.server.port, 1935);
  EXPECT_EQ(c.client.connect.app, "live");
  EXPECT_EQ(c.client.stream, "myStream");
  EXPECT_EQ(c.client.connect.tc_url, "rtmp://localhost/live");
  EXPECT_EQ(c.client.connect.flash_ver, rtmp::defaults::kPublishFlashVersion);
  EXPECT_EQ(c.client.chunk_size, rtmp::defaults::kChunkSize);
  EXPECT_EQ(c.client.play_buffer_ms, rtmp::defaults::kPlayBufferMs);
  EXPECT_EQ(c.client.stop_commands, kStopFcUnpublish | kStopDeleteStream);
  EXPECT_EQ(c.timeout_ms, rtmp::defaults::kTimeoutSeconds * 1000);
  EXPECT_EQ(c.safe_url, "rtmp://localhost/live/myStream");
  EXPECT_FALSE(c.proxy || c.tls || c.tunnel);
  EXPECT_EQ(c.first_hop().host, "localhost");
  EXPECT_EQ(valid(Settings{}, Role::kPlay).client.connect.flash_ver,
            rtmp::defaults::kPlayFlashVersion);
  EXPECT_EQ(valid(Settings{}, Role::kPlay).role(), Role::kPlay);
}

TEST(Connection, LocationSetsTheAddressAndTheCredentials) {
  Settings s = located("rtmp://bob:pw@example.com:1940/app/inst/key?token=1");
  Connection c = valid(s);
  EXPECT_EQ(c.server.host, "example.com");
  EXPECT_EQ(c.server.port, 1940);
  EXPECT_EQ(c.client.connect.app, "app/inst");
  EXPECT_EQ(c.client.stream, "key?token=1");
  EXPECT_EQ(c.client.connect.tc_url, "rtmp://example.com:1940/app/inst");
  EXPECT_EQ(c.credentials.username, "bob");
  EXPECT_EQ(c.credentials.password, "pw");
  EXPECT_EQ(c.safe_url, "rtmp://bob@example.com:1940/app/inst/key?token=1");
  EXPECT_EQ(s.uri(true), "rtmp://bob:pw@example.com:1940/app/inst/key?token=1");
}

TEST(Connection, ALocationThatDoesNotParseIsKeptAsAnErrorNeverAFallback) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"rtmp:/127.0.0.1/live/x", "missing scheme"},
      {"http://127.0.0.1/live/x", "unknown scheme \"http\""},
      {"rtmp://127.0.0.1:70000/live/x", "bad port"},
      {"rtmp://127.0.0.1/live/x bogus=1", "unknown option 'bogus'"},
      {"rtmp://127.0.0.1/live/x playlist=1", "not supported"},
      {"rtmp://127.0.0.1/live/x socks=127.0.0.1:1080", "proxy property"},
      {"", "missing scheme"},
  };
  for (const auto& [location, why] : cases) {
    Settings s = located("rtmp://earlier.example/app/previous");
    std::string error;
    EXPECT_FALSE(s.set_location(location, &error)) << location;
    EXPECT_NE(error.find(why), std::string::npos) << location << ": " << error;
    // The earlier address is still there, but unusable until a valid location is set.
    EXPECT_EQ(s.host, "earlier.example");
    std::string refused = invalid(s);
    EXPECT_EQ(refused, "invalid location " + error);
    EXPECT_NE(refused.find("'" + location.substr(0, 10)), std::string::npos) << refused;
    EXPECT_TRUE(s.set_location("rtmp://later.example/app/s", &error)) << error;
    EXPECT_EQ(valid(s).server.host, "later.example");
  }
}

TEST(Connection, LocationErrorsNeverQuoteThePassword) {
  Settings s;
  std::string error;
  EXPECT_FALSE(s.set_location("rtmp://bob:Secret-77@h:99999/app/s", &error));
  EXPECT_EQ(error.find("Secret-77"), std::string::npos) << error;
  EXPECT_FALSE(s.set_location("rtmp://bob:Secret-77@h/app/s bogus=1", &error));
  EXPECT_EQ(error.find("Secret-77"), std::string::npos) << error;
  EXPECT_NE(error.find("rtmp://bob@h/app/s bogus=1"), std::string::npos) << error;
}

TEST(Connection, MissingPartsOfTheAddress) {
  Settings s;
  s.host.clear();
  EXPECT_EQ(invalid(s), "no host set");
  s = Settings{};
  s.application.clear();
  EXPECT_EQ(invalid(s), "no application set");
  s = located("rtmp://h/app");
  EXPECT_EQ(invalid(s), "no stream name set");
  s.stream = "later";
  EXPECT_EQ(valid(s).client.stream, "later");
  s.port = 0;
  EXPECT_EQ(invalid(s), "port 0 is out of range 1-65535");
  s.port = 1935;
  s.chunk_size = 0;
  EXPECT_EQ(invalid(s), "chunk-size 0 is out of range");
}

TEST(Connection, EachSchemeGetsItsTransportLayers) {
  Connection c = valid(located("rtmps://secure.example/live/s"));
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.server.port, 443);
  EXPECT_EQ(c.tls->host, "secure.example");
  EXPECT_EQ(c.tls->port, 443);
  EXPECT_FALSE(c.tunnel);

  c = valid(located("rtmpt://tunnel.example/live/s"));
  ASSERT_TRUE(c.tunnel);
  EXPECT_EQ(c.server.port, 80);
  EXPECT_EQ(c.tunnel->host_header, "tunnel.example");
  EXPECT_EQ(c.tunnel->timeout_ms, c.timeout_ms);
  EXPECT_FALSE(c.tls);

  c = valid(located("rtmpts://[::1]:8443/live/s"));
  ASSERT_TRUE(c.tls && c.tunnel);
  EXPECT_EQ(c.tunnel->host_header, "[::1]:8443");
  EXPECT_EQ(c.tls->host, "::1");
  EXPECT_EQ(c.client.connect.tc_url, "rtmpts://[::1]:8443/live");
}

TEST(Connection, TlsOptionsComeFromTheSettings) {
  Settings s = located("rtmps://h/live/s");
  s.tls_validation_flags = 0;
  s.tls_ca_file = "/etc/ca.pem";
  Connection c = valid(s);
  EXPECT_EQ(c.tls->validation_flags, 0u);
  EXPECT_EQ(c.tls->ca_file, "/etc/ca.pem");
}

TEST(Connection, ProxyParsedOnceTowardsTheServer) {
  Settings s = located("rtmp://media.example:1936/live/s");
  s.proxy = "socks5://alice:Pw-1@127.0.0.1:1081";
  Connection c = valid(s);
  ASSERT_TRUE(c.proxy);
  EXPECT_EQ(c.first_hop().host, "127.0.0.1");
  EXPECT_EQ(c.first_hop().port, 1081);
  EXPECT_STREQ(c.first_hop_name(), "proxy");
  EXPECT_EQ(c.proxy->request.host, "media.example");
  EXPECT_EQ(c.proxy->request.port, 1936);
  EXPECT_EQ(c.proxy->request.user, "alice");
  EXPECT_EQ(c.proxy->request.password, "Pw-1");
  EXPECT_EQ(c.proxy->safe_url.find("Pw-1"), std::string::npos);
}

TEST(Connection, UnusableProxySettingsAreRefusedWithoutThePassword) {
  const std::string pw = "Proxy-pw-7Qx-unique";
  struct Case {
    std::string proxy, host, message;
  };
  const std::vector<Case> cases = {
      {"socks9://h", "rtmp.invalid",
       "invalid proxy URL: unsupported proxy scheme 'socks9://': expected socks5://, "
       "socks4a:// or socks4://"},
      {"http://127.0.0.1:1080", "rtmp.invalid",
       "invalid proxy URL: unsupported proxy scheme 'http://': expected socks5://, socks4a:// or "
       "socks4://"},
      {"socks5://alice:" + pw + "@127.0.0.1:1080:1", "rtmp.invalid",
       "invalid proxy URL: an IPv6 proxy address goes in brackets, as in socks5://[::1]:1080"},
      {"socks4://127.0.0.1:1080", "rtmp.invalid",
       "cannot use proxy socks4://127.0.0.1:1080: SOCKS4 needs an IPv4 address for the server, "
       "not 'rtmp.invalid': use socks4a:// (or socks5://) to let the proxy resolve the name"},
      {"socks4://bob:" + pw + "@127.0.0.1:1080", "192.0.2.1",
       "cannot use proxy socks4://bob@127.0.0.1:1080: SOCKS4 proxies take a user id but no "
       "password: use socks5:// for username/password authentication"},
  };
  for (const auto& c : cases) {
    Settings s;
    s.host = c.host;
    s.proxy = c.proxy;
    std::string error = invalid(s);
    EXPECT_EQ(error, c.message) << c.proxy;
    EXPECT_EQ(error.find(pw), std::string::npos);
  }
}

TEST(Connection, LibrtmpOptions) {
  Connection c = valid(located("rtmp://h/app/s live=1 buffer=3000 token=key"), Role::kPlay);
  EXPECT_EQ(c.client.play_start, -1000);
  EXPECT_EQ(c.client.subscribe, "s");  // librtmp subscribes live streams by their playpath
  EXPECT_EQ(c.client.play_buffer_ms, 3000u);
  EXPECT_EQ(c.client.secure_token, "key");

  c = valid(located("rtmp://h/app/s live=0 start=30 subscribe=other"), Role::kPlay);
  EXPECT_EQ(c.client.play_start, 30000);
  EXPECT_EQ(c.client.subscribe, "other");

  Settings s = located("rtmp://h/app/s buffer=3000 token=key swfUrl=http://x/p.swf swfVfy=1");
  s.buffer_length_ms = 500;  // the property wins over the option
  s.secure_token = "property";
  c = valid(s, Role::kPlay);
  EXPECT_EQ(c.client.play_buffer_ms, 500u);
  EXPECT_EQ(c.client.secure_token, "property");
  EXPECT_EQ(c.client.connect.swf_url, "http://x/p.swf");
  ASSERT_EQ(s.options.notes.size(), 1u);
  EXPECT_NE(s.options.notes[0].find("obsolete"), std::string::npos);

  s = located("rtmp://h/a/s app=other playpath=mp4:x tcUrl=rtmp://cdn/other flashVer=F timeout=3");
  c = valid(s);
  EXPECT_EQ(c.client.connect.app, "other");
  EXPECT_EQ(c.client.stream, "mp4:x");
  EXPECT_EQ(c.client.connect.tc_url, "rtmp://cdn/other");
  EXPECT_EQ(c.client.connect.flash_ver, "F");
  EXPECT_EQ(c.timeout_ms, 3000u);
}

TEST(Connection, ExtraConnectArgsParsedOnValidation) {
  Settings s = located("rtmp://h/a/s conn=S:first");
  s.extra_connect_args = "conn=B:1 conn=N:2";
  Connection c = valid(s);
  ASSERT_EQ(c.client.connect.extra_args.size(), 3u);
  EXPECT_EQ(c.client.connect.extra_args[0], rtmp::amf0::Value::String("first"));
  EXPECT_EQ(c.client.connect.extra_args[2], rtmp::amf0::Value::Number(2));
  s.extra_connect_args = "conn=Q:1";
  EXPECT_NE(invalid(s).find("invalid extra-connect-args: 'conn=Q:1'"), std::string::npos);
}

TEST(Connection, MoveToANewServerTakesTheLayersAlong) {
  Settings s = located("rtmpts://old.example/live/s");
  s.proxy = "socks5://127.0.0.1:1080";
  Connection c = valid(s);
  std::string error;
  auto url = rtmp::parse_url("rtmpts://new.example:8443/edge/app", &error);
  ASSERT_TRUE(url) << error;
  c.move_to(*url, "rtmpts://new.example:8443/edge/app");
  EXPECT_EQ(c.server.host, "new.example");
  EXPECT_EQ(c.server.port, 8443);
  EXPECT_EQ(c.client.connect.app, "edge/app");
  EXPECT_EQ(c.client.connect.tc_url, "rtmpts://new.example:8443/edge/app");
  EXPECT_EQ(c.tls->host, "new.example");
  EXPECT_EQ(c.tunnel->host_header, "new.example:8443");
  EXPECT_EQ(c.proxy->request.host, "new.example");
  EXPECT_EQ(c.first_hop().host, "127.0.0.1");
}

TEST(Connection, ReconnectionSettings) {
  Settings s;
  s.reconnect_attempts = -1;
  s.reconnect_delay_ms = 5000;
  s.reconnect_max_delay_ms = 100;  // below the first delay: the first delay is the bound
  s.reconnect_buffer_bytes = 1234;
  s.stop_commands = kStopCloseStream;
  Connection c = valid(s);
  EXPECT_EQ(c.reconnect.attempts, -1);
  EXPECT_EQ(c.reconnect.max_delay_ms, 5000u);
  EXPECT_EQ(c.publish.reconnect_buffer_bytes, 1234u);
  EXPECT_EQ(c.client.stop_commands, uint32_t{kStopCloseStream});
}

TEST(Connection, BatchLatencyIsTheSessionsBoundAndThePublishersRound) {
  Connection d = valid(Settings{});
  EXPECT_EQ(d.batch_latency_ms, rtmp::defaults::kBatchLatencyMs);
  EXPECT_EQ(d.publish.round_us, rtmp::defaults::kCoalesceUs);
  Settings s;
  s.batch_latency_ms = 250;
  Connection c = valid(s);
  EXPECT_EQ(c.batch_latency_ms, 250u);
  EXPECT_EQ(c.publish.round_us, 250'000);
  s.batch_latency_ms = 5000;  // beyond the property's range (a caller without it): clamped
  EXPECT_EQ(valid(s).batch_latency_ms, rtmp::defaults::kMaxBatchLatencyMs);
}

}  // namespace
}  // namespace config
