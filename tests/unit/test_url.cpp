#include "rtmp/url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace rtmp {
namespace {

Url parse_ok(std::string_view text) {
  std::string error;
  auto url = parse_url(text, &error);
  EXPECT_TRUE(url.has_value()) << text << ": " << error;
  EXPECT_TRUE(error.empty()) << error;
  return url.value_or(Url{});
}

std::string parse_error(std::string_view text) {
  std::string error;
  auto url = parse_url(text, &error);
  EXPECT_FALSE(url.has_value()) << text;
  EXPECT_FALSE(error.empty()) << text;
  return error;
}

TEST(Url, Basic) {
  const Url url = parse_ok("rtmp://example.com/live/key");
  EXPECT_EQ(url.scheme, Scheme::kRtmp);
  EXPECT_EQ(url.host, "example.com");
  EXPECT_EQ(url.port, 1935);
  EXPECT_FALSE(url.port_explicit);
  EXPECT_EQ(url.user, "");
  EXPECT_EQ(url.password, "");
  EXPECT_EQ(url.application, "live");
  EXPECT_EQ(url.stream, "key");
  EXPECT_EQ(url.tc_url(), "rtmp://example.com/live");
  EXPECT_EQ(url.to_string(), "rtmp://example.com/live/key");
}

TEST(Url, DefaultPorts) {
  EXPECT_EQ(parse_ok("rtmp://h/a/s").port, 1935);
  EXPECT_EQ(parse_ok("rtmps://h/a/s").port, 443);
  EXPECT_EQ(parse_ok("rtmpt://h/a/s").port, 80);
  EXPECT_EQ(parse_ok("rtmpts://h/a/s").port, 443);
  EXPECT_EQ(default_port(Scheme::kRtmpt), 80);
}

TEST(Url, SchemeFacts) {
  EXPECT_EQ(parse_scheme("RtMpTs"), Scheme::kRtmpts);
  EXPECT_EQ(parse_scheme("http"), std::nullopt);
  EXPECT_EQ(parse_scheme(""), std::nullopt);
  for (Scheme s : {Scheme::kRtmp, Scheme::kRtmps, Scheme::kRtmpt, Scheme::kRtmpts})
    EXPECT_EQ(parse_scheme(scheme_name(s)), s);
  EXPECT_TRUE(uses_tls(Scheme::kRtmps) && uses_tls(Scheme::kRtmpts));
  EXPECT_FALSE(uses_tls(Scheme::kRtmp) || uses_tls(Scheme::kRtmpt));
  EXPECT_TRUE(uses_tunnel(Scheme::kRtmpt) && uses_tunnel(Scheme::kRtmpts));
  EXPECT_FALSE(uses_tunnel(Scheme::kRtmp) || uses_tunnel(Scheme::kRtmps));
}

TEST(Url, SchemeIsCaseInsensitiveAndWhitespaceTrimmed) {
  const Url url = parse_ok("  \tRTMPS://Host.Example:8443/app/s \r\n");
  EXPECT_EQ(url.scheme, Scheme::kRtmps);
  EXPECT_EQ(url.host, "Host.Example");
  EXPECT_EQ(url.port, 8443);
  EXPECT_TRUE(url.port_explicit);
  EXPECT_EQ(url.stream, "s");
  EXPECT_EQ(url.tc_url(), "rtmps://Host.Example:8443/app");
}

TEST(Url, Ipv6Literal) {
  const Url url = parse_ok("rtmp://[::1]:1936/live/s");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 1936);
  EXPECT_TRUE(url.port_explicit);
  EXPECT_EQ(url.application, "live");
  EXPECT_EQ(url.stream, "s");
  EXPECT_EQ(url.tc_url(), "rtmp://[::1]:1936/live");
  EXPECT_EQ(url.to_string(), "rtmp://[::1]:1936/live/s");

  const Url bare = parse_ok("rtmp://[fe80::1]/app/s");
  EXPECT_EQ(bare.host, "fe80::1");
  EXPECT_EQ(bare.port, 1935);
  EXPECT_FALSE(bare.port_explicit);
  EXPECT_EQ(bare.tc_url(), "rtmp://[fe80::1]/app");
}

TEST(Url, Credentials) {
  const Url url = parse_ok("rtmp://u:p%40ss@h/app/s");
  EXPECT_EQ(url.user, "u");
  EXPECT_EQ(url.password, "p@ss");
  EXPECT_EQ(url.host, "h");
  EXPECT_EQ(url.tc_url(), "rtmp://h/app");
  EXPECT_EQ(url.to_string(), "rtmp://u@h/app/s");
  EXPECT_EQ(url.to_string(true), "rtmp://u:p%40ss@h/app/s");

  const Url only_user = parse_ok("rtmp://bob@h:99/app/s");
  EXPECT_EQ(only_user.user, "bob");
  EXPECT_EQ(only_user.password, "");
  EXPECT_EQ(only_user.to_string(true), "rtmp://bob@h:99/app/s");

  // Unencoded '@' in the password: the last '@' ends the userinfo.
  const Url at = parse_ok("rtmp://u:a@b@h/app/s");
  EXPECT_EQ(at.password, "a@b");
  EXPECT_EQ(at.host, "h");

  // Malformed escapes are kept literally.
  const Url pct = parse_ok("rtmp://u%2:x%zz%@h/app/s");
  EXPECT_EQ(pct.user, "u%2");
  EXPECT_EQ(pct.password, "x%zz%");
}

TEST(Url, PasswordNeverInDefaultOutput) {
  const Url url = parse_ok("rtmps://user%20name:s3cr%3At@[2001:db8::2]:444/a/b/c?k=v");
  EXPECT_EQ(url.user, "user name");
  EXPECT_EQ(url.password, "s3cr:t");
  for (const std::string& s : {url.to_string(), url.tc_url()}) {
    EXPECT_EQ(s.find("s3cr"), std::string::npos) << s;
  }
  EXPECT_EQ(url.to_string(), "rtmps://user%20name@[2001:db8::2]:444/a/b/c?k=v");
  EXPECT_EQ(url.tc_url(), "rtmps://[2001:db8::2]:444/a/b");
}

TEST(Url, PasswordWithoutUser) {
  const Url url = parse_ok("rtmp://:secret@h/app/s");
  EXPECT_EQ(url.user, "");
  EXPECT_EQ(url.password, "secret");
  EXPECT_EQ(url.to_string(), "rtmp://h/app/s");
  EXPECT_EQ(url.to_string(true), "rtmp://:secret@h/app/s");
}

TEST(Url, MultiSegmentApplicationAndQuery) {
  const Url url = parse_ok("rtmp://h/app/inst/stream?x=1/2");
  EXPECT_EQ(url.application, "app/inst");
  EXPECT_EQ(url.stream, "stream?x=1/2");
  EXPECT_EQ(url.tc_url(), "rtmp://h/app/inst");

  const Url key = parse_ok("rtmp://h/live/key?token=x");
  EXPECT_EQ(key.application, "live");
  EXPECT_EQ(key.stream, "key?token=x");
}

TEST(Url, MissingStreamIsNotAnError) {
  const Url a = parse_ok("rtmp://h/app");
  EXPECT_EQ(a.application, "app");
  EXPECT_EQ(a.stream, "");
  const Url b = parse_ok("rtmp://h/app/");
  EXPECT_EQ(b.application, "app");
  EXPECT_EQ(b.stream, "");
  const Url c = parse_ok("rtmp://h:1935/live/");
  EXPECT_EQ(c.application, "live");
  EXPECT_EQ(c.stream, "");
  EXPECT_EQ(c.port, 1935);
  EXPECT_TRUE(c.port_explicit);
  EXPECT_EQ(c.tc_url(), "rtmp://h:1935/live");
}

TEST(Url, QueryWithoutStreamStaysInApplication) {
  const Url url = parse_ok("rtmp://h/app?auth=1/2");
  EXPECT_EQ(url.application, "app?auth=1/2");
  EXPECT_EQ(url.stream, "");
  EXPECT_EQ(url.tc_url(), "rtmp://h/app?auth=1/2");
}

TEST(Url, RoundTripWithPassword) {
  for (const char* text : {"rtmp://h/app/s", "rtmps://u:p%40ss@h:1/a/b/c?d=/e",
                           "rtmpt://[::1]:80/app/", "rtmpts://x%3Ay:z@h/app"}) {
    const Url url = parse_ok(text);
    const Url again = parse_ok(url.to_string(true));
    EXPECT_EQ(url, again) << text << " -> " << url.to_string(true);
  }
}

TEST(Url, Errors) {
  EXPECT_NE(parse_error("").find("scheme"), std::string::npos);
  EXPECT_NE(parse_error("example.com/live/s").find("missing scheme"), std::string::npos);
  EXPECT_NE(parse_error("://h/app/s").find("scheme"), std::string::npos);
  EXPECT_EQ(parse_error("http://h/app/s"),
            "unknown scheme \"http\": expected rtmp, rtmps, rtmpt or rtmpts");
  EXPECT_EQ(parse_error("rtmp:///app/s"), "empty host");
  EXPECT_EQ(parse_error("rtmp://u:p@/app/s"), "empty host");
  EXPECT_EQ(parse_error("rtmp://[]/app/s"), "empty host");
  EXPECT_EQ(parse_error("rtmp://:1935/app/s"), "empty host");
  EXPECT_EQ(parse_error("rtmp://h:0/app/s"), "bad port 0");
  EXPECT_NE(parse_error("rtmp://h:65536/app/s").find("65535"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://h:99999999999999999999/app/s").find("65535"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://h:19x5/app/s").find("not a number"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://h:-1/app/s").find("not a number"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://h:/app/s").find("port"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://::1/app/s").find("brackets"), std::string::npos);
  EXPECT_EQ(parse_error("rtmp://[::1/app/s"), "unterminated '[' in host");
  EXPECT_NE(parse_error("rtmp://[::1]x/app/s").find("after ']'"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://h st/app/s").find("invalid character"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://h").find("no application"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://h/").find("no application"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://h//s").find("no application"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://h/?x=1").find("no application"), std::string::npos);
  EXPECT_NE(parse_error("rtmp://h?x/app/s").find("no application"), std::string::npos);
  EXPECT_NE(parse_error("   ").find("scheme"), std::string::npos);
}

TEST(Url, ErrorPointerMayBeNull) {
  EXPECT_FALSE(parse_url("bogus", nullptr).has_value());
  EXPECT_TRUE(parse_url("rtmp://h/a/s", nullptr).has_value());
}

TEST(Url, PrefixesNeverCrash) {
  // Every prefix of a complex URL either parses or gives an error text; none reads out of bounds.
  const std::string full = " rtmps://us%65r:pa%40ss@[2001:db8::1]:1936/app/inst/key?t=1/2 ";
  for (size_t n = 0; n <= full.size(); ++n) {
    std::string error;
    const auto url = parse_url(std::string_view(full).substr(0, n), &error);
    EXPECT_NE(url.has_value(), !error.empty()) << n;
  }
}

TEST(Url, WithoutPassword) {
  EXPECT_EQ(without_password("rtmp://bob:secret@h:99999/a/s"), "rtmp://bob@h:99999/a/s");
  EXPECT_EQ(without_password("rtmp://:secret@h/a"), "rtmp://@h/a");
  EXPECT_EQ(without_password("rtmp://bob@h/a"), "rtmp://bob@h/a");
  EXPECT_EQ(without_password("rtmp://h/a/b@c:d"), "rtmp://h/a/b@c:d");  // '@' after the path
  EXPECT_EQ(without_password("rtmp://h:1935/a"), "rtmp://h:1935/a");
  EXPECT_EQ(without_password("no scheme at all"), "no scheme at all");
  EXPECT_EQ(without_password("rtmp://u:p@w@h/a"), "rtmp://u@h/a");  // the last '@' ends it
}

}  // namespace
}  // namespace rtmp
