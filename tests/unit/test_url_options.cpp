#include "rtmp/url_options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using rtmp::parse_conn_options;
using rtmp::parse_url_options;
using rtmp::split_location;
using rtmp::UrlOptions;
using rtmp::amf0::Value;

namespace {

UrlOptions parse_ok(const std::string& text) {
  std::string err;
  auto o = parse_url_options(text, &err);
  EXPECT_TRUE(o.has_value()) << text << ": " << err;
  return o.value_or(UrlOptions{});
}

// Parsing fails with a message that contains `needle`.
void expect_error(const std::string& text, const std::string& needle) {
  std::string err;
  auto o = parse_url_options(text, &err);
  EXPECT_FALSE(o.has_value()) << text;
  EXPECT_NE(err.find(needle), std::string::npos) << text << ": '" << err << "'";
}

std::vector<Value> conn_ok(const std::string& text) {
  return parse_ok(text).conn_args;
}

}  // namespace

TEST(SplitLocation, UrlAndOptions) {
  auto s = split_location("rtmp://h/app/stream app=a  playpath=b ");
  EXPECT_EQ(s.url, "rtmp://h/app/stream");
  EXPECT_EQ(s.options, "app=a  playpath=b");
  s = split_location("  \trtmp://h/a/s\t\n live=1\n");
  EXPECT_EQ(s.url, "rtmp://h/a/s");
  EXPECT_EQ(s.options, "live=1");
  s = split_location("rtmp://h/a/s");
  EXPECT_EQ(s.url, "rtmp://h/a/s");
  EXPECT_EQ(s.options, "");
  s = split_location("   ");
  EXPECT_EQ(s.url, "");
  EXPECT_EQ(s.options, "");
  s = split_location("");
  EXPECT_EQ(s.url, "");
  EXPECT_EQ(s.options, "");
}

TEST(UrlOptions, Empty) {
  for (const char* text : {"", "   ", " \t\n "}) {
    UrlOptions o = parse_ok(text);
    EXPECT_FALSE(o.app || o.playpath || o.tc_url || o.page_url || o.swf_url || o.flash_ver ||
                 o.token || o.live || o.timeout_s);
    EXPECT_TRUE(o.conn_args.empty());
  }
}

TEST(UrlOptions, EveryOption) {
  UrlOptions o = parse_ok(
      "app=myapp playpath=mp4:x tcUrl=rtmp://h:1936/myapp pageUrl=http://p/ "
      "swfUrl=http://s/p.swf flashVer=LNX\\209,0,124,2 live=1 token=secret timeout=15 conn=S:a");
  EXPECT_EQ(o.app, "myapp");
  EXPECT_EQ(o.playpath, "mp4:x");
  EXPECT_EQ(o.tc_url, "rtmp://h:1936/myapp");
  EXPECT_EQ(o.page_url, "http://p/");
  EXPECT_EQ(o.swf_url, "http://s/p.swf");
  EXPECT_EQ(o.flash_ver, "LNX 9,0,124,2");
  EXPECT_EQ(o.live, true);
  EXPECT_EQ(o.token, "secret");
  EXPECT_EQ(o.timeout_s, 15u);
  EXPECT_EQ(o.conn_args, (std::vector<Value>{Value::String("a")}));
}

TEST(UrlOptions, KeysAreCaseInsensitive) {
  UrlOptions o = parse_ok(
      "APP=a PlayPath=p tcurl=t PAGEURL=pg swfurl=s flashver=f LIVE=0 "
      "Token=k TIMEOUT=0 CONN=B:0");
  EXPECT_EQ(o.app, "a");
  EXPECT_EQ(o.playpath, "p");
  EXPECT_EQ(o.tc_url, "t");
  EXPECT_EQ(o.page_url, "pg");
  EXPECT_EQ(o.swf_url, "s");
  EXPECT_EQ(o.flash_ver, "f");
  EXPECT_EQ(o.live, false);
  EXPECT_EQ(o.token, "k");
  EXPECT_EQ(o.timeout_s, 0u);
  EXPECT_EQ(o.conn_args, (std::vector<Value>{Value::Boolean(false)}));
}

TEST(UrlOptions, LaterValuesReplaceEarlierOnes) {
  UrlOptions o = parse_ok("app=a app=b live=1 live=0");
  EXPECT_EQ(o.app, "b");
  EXPECT_EQ(o.live, false);
}

TEST(UrlOptions, EmptyStringValuesAndEqualsInValues) {
  UrlOptions o = parse_ok("app= pageUrl=http://p/?a=b&c=d");
  EXPECT_EQ(o.app, "");
  EXPECT_EQ(o.page_url, "http://p/?a=b&c=d");
}

TEST(UrlOptions, LiveSpellings) {
  for (const char* t : {"1", "yes", "TRUE", "on"})
    EXPECT_EQ(parse_ok(std::string("live=") + t).live, true) << t;
  for (const char* t : {"0", "no", "False", "OFF"})
    EXPECT_EQ(parse_ok(std::string("live=") + t).live, false) << t;
}

TEST(UrlOptions, Timeout) {
  EXPECT_EQ(parse_ok("timeout=4294967295").timeout_s, 4294967295u);
  expect_error("timeout=4294967296", "timeout");
  expect_error("timeout=-1", "timeout");
  expect_error("timeout=", "timeout");
  expect_error("timeout=1.5", "timeout");
  expect_error("timeout=10s", "timeout");
  expect_error("timeout=+3", "timeout");
  expect_error("live=2", "live");
  expect_error("live=", "live");
}

TEST(UrlOptions, Escapes) {
  UrlOptions o = parse_ok("flashVer=FMLE/3.0\\20(compatible) app=a\\5cb token=\\3d\\3D\\41");
  EXPECT_EQ(o.flash_ver, "FMLE/3.0 (compatible)");
  EXPECT_EQ(o.app, "a\\b");
  EXPECT_EQ(o.token, "==A");
  EXPECT_EQ(parse_ok("app=\\2f\\2F").app, "//");
  expect_error("app=a\\", "hex");
  expect_error("app=a\\2", "hex");
  expect_error("app=a\\2g", "hex");
  expect_error("app=a\\g2", "hex");
  expect_error("conn=S:a\\zz", "hex");
  expect_error("conn=O:1 conn=NS:n\\x:v conn=O:0", "hex");
}

TEST(UrlOptions, ConnScalars) {
  auto args = conn_ok(
      "conn=B:1 conn=B:0 conn=N:1.5 conn=N:-2 conn=N:1e3 conn=N:+4 conn=S:text "
      "conn=S: conn=Z: conn=Z:ignored conn=S:a:b conn=S:two\\20words");
  EXPECT_EQ(args,
            (std::vector<Value>{Value::Boolean(true), Value::Boolean(false), Value::Number(1.5),
                                Value::Number(-2), Value::Number(1000), Value::Number(4),
                                Value::String("text"), Value::String(""), Value::Null(),
                                Value::Null(), Value::String("a:b"), Value::String("two words")}));
}

TEST(UrlOptions, ConnObjects) {
  auto args = conn_ok(
      "conn=B:1 conn=S:authMe conn=O:1 conn=NN:code:1.23 conn=NS:flag:ok "
      "conn=NB:b:0 conn=NZ:z: conn=NS:empty: conn=NS:colon:a:b conn=O:0 "
      "conn=N:7");
  ASSERT_EQ(args.size(), 4u);
  EXPECT_EQ(args[0], Value::Boolean(true));
  EXPECT_EQ(args[1], Value::String("authMe"));
  EXPECT_EQ(args[2], Value::Object({{"code", Value::Number(1.23)},
                                    {"flag", Value::String("ok")},
                                    {"b", Value::Boolean(false)},
                                    {"z", Value::Null()},
                                    {"empty", Value::String("")},
                                    {"colon", Value::String("a:b")}}));
  EXPECT_EQ(args[3], Value::Number(7));
}

TEST(UrlOptions, ConnNestedObjects) {
  auto args = conn_ok(
      "conn=O:1 conn=NO:inner:1 conn=NN:n:2 conn=NO:deeper:1 conn=O:0 conn=O:0 "
      "conn=NS:after:x conn=O:0 conn=O:1 conn=O:0");
  ASSERT_EQ(args.size(), 2u);
  Value inner = Value::Object({{"n", Value::Number(2)}, {"deeper", Value::Object()}});
  EXPECT_EQ(args[0], Value::Object({{"inner", inner}, {"after", Value::String("x")}}));
  EXPECT_EQ(args[1], Value::Object());
  // A named end (NO:name:0) also ends the innermost object, as in librtmp.
  args = conn_ok("conn=O:1 conn=NO:a:1 conn=NO:a:0 conn=NO:x:0");
  EXPECT_EQ(args, (std::vector<Value>{Value::Object({{"a", Value::Object()}})}));
  // Escapes in names: \3a puts a ':' in a name.
  args = conn_ok("conn=O:1 conn=NS:a\\3ab:c\\20d conn=O:0");
  EXPECT_EQ(args, (std::vector<Value>{Value::Object({{"a:b", Value::String("c d")}})}));
  // Same-named members are kept in order, not merged.
  args = conn_ok("conn=O:1 conn=NN:k:1 conn=NN:k:2 conn=O:0");
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0].properties().size(), 2u);
}

TEST(UrlOptions, ConnDepthLimit) {
  std::string ok = "conn=O:1";
  for (int i = 1; i < 32; i++) ok += " conn=NO:o:1";
  for (int i = 0; i < 32; i++) ok += " conn=O:0";
  EXPECT_EQ(conn_ok(ok).size(), 1u);
  std::string deep = "conn=O:1";
  for (int i = 1; i < 33; i++) deep += " conn=NO:o:1";
  expect_error(deep, "nested");
}

TEST(UrlOptions, ConnErrors) {
  expect_error("conn=", "TYPE:VALUE");
  expect_error("conn=B", "TYPE:VALUE");
  expect_error("conn=B1", "TYPE:VALUE");
  expect_error("conn=X:1", "TYPE:VALUE");
  expect_error("conn=b:1", "TYPE:VALUE");
  expect_error("conn=NX:a:1", "TYPE:VALUE");
  expect_error("conn=N", "TYPE:VALUE");
  expect_error("conn=B:2", "B takes");
  expect_error("conn=B:", "B takes");
  expect_error("conn=B:true", "B takes");
  expect_error("conn=N:", "not a number");
  expect_error("conn=N:abc", "not a number");
  expect_error("conn=N:1.5x", "not a number");
  expect_error("conn=N:inf", "not a number");
  expect_error("conn=N:nan", "not a number");
  expect_error("conn=N:1e400", "not a number");
  expect_error("conn=N:++1", "not a number");
  expect_error("conn=N: 1", "");  // the space splits the option: " 1" is not key=value
  expect_error("conn=O:2", "O takes");
  expect_error("conn=O:", "O takes");
  expect_error("conn=O:0", "not begun");
  expect_error("conn=O:1 conn=O:0 conn=O:0", "not begun");
  expect_error("conn=O:1", "not ended");
  expect_error("conn=O:1 conn=NO:a:1 conn=O:0", "not ended");
  expect_error("conn=NS:a:b", "only allowed inside an object");
  expect_error("conn=NO:a:1 conn=O:0", "only allowed inside an object");
  expect_error("conn=O:1 conn=S:a conn=O:0", "need a name");
  expect_error("conn=O:1 conn=O:1 conn=O:0 conn=O:0", "need a name");
  expect_error("conn=O:1 conn=NS:a conn=O:0", "NAME:VALUE");
  expect_error("conn=O:1 conn=NN:a:x conn=O:0", "not a number");
}

TEST(UrlOptions, SyntaxErrors) {
  expect_error("app", "key=value");
  expect_error("app=a stray", "'stray'");
  expect_error("=x", "no key");
  expect_error("bogus=1", "unknown option 'bogus'");
  expect_error("playlist=1", "not supported");
  expect_error("socks=127.0.0.1:1080", "proxy property");
  expect_error("stop=10", "not supported");
  expect_error("buffer=x", "milliseconds");
  expect_error("start=-1", "seconds");
  expect_error("swfVfy=maybe", "expected 0 or 1");
  expect_error("swfAge=x", "days");
}

TEST(UrlOptions, LibrtmpSessionOptions) {
  std::string err;
  auto o = parse_url_options("buffer=3000 subscribe=live_1 start=30 live=1", &err);
  ASSERT_TRUE(o) << err;
  EXPECT_EQ(o->buffer_ms, 3000u);
  EXPECT_EQ(o->subscribe, "live_1");
  EXPECT_EQ(o->start_s, 30u);
  EXPECT_EQ(o->live, true);
  EXPECT_FALSE(o->swf_verify);
  EXPECT_TRUE(o->notes.empty());
}

TEST(UrlOptions, SwfVerificationAcceptedWithANote) {
  std::string err;
  auto o = parse_url_options("swfUrl=http://x/p.swf swfVfy=1 swfAge=30", &err);
  ASSERT_TRUE(o) << err;
  EXPECT_TRUE(o->swf_verify);
  EXPECT_EQ(o->swf_url, "http://x/p.swf");
  ASSERT_EQ(o->notes.size(), 2u);
  EXPECT_NE(o->notes[0].find("swfVfy=1: SWF verification is obsolete"), std::string::npos);
  o = parse_url_options("swfVfy=0", &err);
  ASSERT_TRUE(o) << err;
  EXPECT_FALSE(o->swf_verify);
  EXPECT_TRUE(o->notes.empty());
}

TEST(UrlOptions, NullErrorPointer) {
  EXPECT_FALSE(parse_url_options("bogus=1", nullptr));
  EXPECT_FALSE(parse_url_options("conn=O:1", nullptr));
  EXPECT_FALSE(parse_url_options("app=\\", nullptr));
  EXPECT_TRUE(parse_url_options("app=a", nullptr));
}

TEST(ConnOptions, OnlyConn) {
  std::string err;
  auto args = parse_conn_options(" conn=B:1  CONN=O:1 conn=NS:a:b conn=O:0 ", &err);
  ASSERT_TRUE(args) << err;
  EXPECT_EQ(*args,
            (std::vector<Value>{Value::Boolean(true), Value::Object({{"a", Value::String("b")}})}));
  args = parse_conn_options("", &err);
  ASSERT_TRUE(args);
  EXPECT_TRUE(args->empty());
  EXPECT_FALSE(parse_conn_options("app=x", &err));
  EXPECT_NE(err.find("only conn"), std::string::npos) << err;
  EXPECT_FALSE(parse_conn_options("conn=O:1", &err));
  EXPECT_FALSE(parse_conn_options("conn", &err));
}

// Every prefix of valid option strings parses or fails with a message; none crashes.
TEST(UrlOptions, EveryTruncation) {
  const std::string texts[] = {
      "app=myapp playpath=mp4:x tcUrl=rtmp://h/a pageUrl=http://p/ swfUrl=http://s/ "
      "flashver=FL\\2010 conn=B:1 conn=S:text conn=N:1.5 conn=Z: conn=O:1 conn=NS:name:value "
      "conn=NO:o:1 conn=NB:b:1 conn=NZ:z: conn=NN:n:2e1 conn=O:0 conn=O:0 live=1 token=t "
      "timeout=10",
      "conn=O:1 conn=NS:a\\3ab:c\\20d conn=O:0 app=\\41\\42",
  };
  for (const std::string& full : texts) {
    ASSERT_TRUE(parse_url_options(full, nullptr)) << full;
    for (size_t len = 0; len <= full.size(); len++) {
      const std::string part = full.substr(0, len);
      std::string err;
      auto o = parse_url_options(part, &err);
      if (!o) {
        EXPECT_FALSE(err.empty()) << part;
      }
      std::string conn_err;
      if (!parse_conn_options(part, &conn_err)) {
        EXPECT_FALSE(conn_err.empty()) << part;
      }
      // Also with the URL in front, through split_location.
      auto split = split_location("rtmp://h/a/s " + part);
      EXPECT_EQ(split.url, "rtmp://h/a/s");
      auto o2 = parse_url_options(split.options, nullptr);
      EXPECT_EQ(o.has_value(), o2.has_value()) << part;
    }
  }
}
