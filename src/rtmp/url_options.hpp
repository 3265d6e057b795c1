// librtmp-style options after an RTMP URL, so locations written for the librtmp-based elements
// keep working: "rtmp://host/app/stream app=a playpath=mp4:x conn=S:hello live=1 timeout=10".
//
// Options are separated by whitespace and written key=value; keys are case-insensitive (as in
// librtmp: "flashVer" and "flashver" are the same). In values, "\XX" (two hex digits) stands for
// the byte 0xXX, so "\20" is a space and "\5c" a backslash. Supported keys:
//
//   app=NAME        application sent in connect (overrides the URL's)
//   playpath=PATH   stream name to publish or play (overrides the URL's)
//   tcUrl=URL       tcUrl sent in connect
//   pageUrl=URL     pageUrl sent in connect
//   swfUrl=URL      swfUrl sent in connect
//   flashVer=TEXT   flashVer sent in connect
//   conn=TYPE:DATA  one more AMF value appended to connect (may repeat; see below)
//   live=0|1        (also yes/no, true/false, on/off)
//   subscribe=NAME  FCSubscribe this name before playing (librtmp: live streams on some CDNs)
//   buffer=MS       play buffer length (Set Buffer Length) in milliseconds
//   start=SECS      play a recorded stream from this position (whole seconds)
//   token=KEY       SecureToken key
//   timeout=SECS    non-negative integer seconds
//   swfVfy=0|1, swfAge=DAYS
//                   SWF verification: obsolete (no server checks it since Flash ended); accepted
//                   and noted in `notes`, never performed. swfUrl is still sent.
//
// librtmp's playlist, stop, swfhash, swfsize, socks, jtv and weeb are refused with a message
// saying so (socks: use the proxy setting).
//
// conn types: B:0|1 boolean, N:number, S:string, Z: null, O:1 begins an object and O:0 ends it.
// Inside an object every value is named by an N before the type and the name before the value:
// NB:name:1, NN:name:1.5, NS:name:text, NZ:name:, NO:name:1 (a nested object; ends with O:0).
// The name ends at the first ':' (write ':' in a name as \3a); the value is the rest.
// Unknown keys, malformed conn values, unbalanced objects and bad numbers are errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtmp/amf0.hpp"

namespace rtmp {

struct UrlOptions {
  std::optional<std::string> app, playpath, tc_url, page_url, swf_url, flash_ver, token;
  std::optional<std::string> subscribe;
  std::optional<bool> live;
  std::optional<uint32_t> timeout_s, buffer_ms, start_s;
  bool swf_verify = false;  // swfVfy=1 (or swfAge) was given
  // What was accepted without effect, one line each ("swfVfy=1: SWF verification is obsolete...").
  std::vector<std::string> notes;
  std::vector<amf0::Value> conn_args;  // top-level values in order; objects hold their members
};

struct SplitLocation {
  std::string url;      // the first whitespace-separated token
  std::string options;  // everything after it, surrounding whitespace trimmed (may be empty)
};

// Splits "URL opt=v opt=v" after trimming surrounding whitespace.
SplitLocation split_location(std::string_view text);

// Parses whitespace-separated key=value options (empty input gives empty options). Later values of
// a key replace earlier ones, except conn, which accumulates. On failure returns nullopt and, if
// `error` is non-null, sets a message naming the offending option.
std::optional<UrlOptions> parse_url_options(std::string_view options, std::string* error);

// Parses just conn=... options (as for a separate "extra connect arguments" setting): the same
// syntax, but any key other than conn is an error.
std::optional<std::vector<amf0::Value>> parse_conn_options(std::string_view options,
                                                           std::string* error);

}  // namespace rtmp
