// RTMP command messages (AMF0): builders for the client's requests, a parser for incoming
// commands, status-object extraction and transaction bookkeeping.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtmp/amf0.hpp"
#include "rtmp/defaults.hpp"
#include "rtmp/message.hpp"
#include "util/bytes.hpp"

namespace rtmp::commands {

struct ConnectParams {
  std::string app;
  std::string flash_ver = defaults::kPublishFlashVersion;
  std::string tc_url, swf_url, page_url;  // swfUrl/pageUrl omitted when empty
  // true adds type:"nonprivate"; false (play) adds fpad:false, capabilities:15,
  // audioCodecs:3191, videoCodecs:252, videoFunction:1
  bool publish = false;
  double object_encoding = 0;
  std::vector<amf0::Property> extra;    // appended to the command object, replacing same-named keys
  std::vector<amf0::Value> extra_args;  // sent after the command object (librtmp conn=)
};

// All command messages: type 20 (kCommandAmf0), chunk stream csid::kCommand, timestamp 0, message
// stream 0 unless stated otherwise.

// Command object key order: app, type (publish only), flashVer, swfUrl, tcUrl, fpad,
// capabilities, audioCodecs, videoCodecs, videoFunction (play only), pageUrl, objectEncoding.
// Payload: "connect", txn, command object, extra_args...
Message connect(const ConnectParams& p, double txn);
// Payload: name, txn, command_object, args...
Message call(std::string_view name, double txn, const amf0::Value& command_object,
             const std::vector<amf0::Value>& args = {}, uint32_t stream_id = 0);
Message release_stream(std::string_view stream, double txn);  // null cmd object, string arg
Message fc_publish(std::string_view stream, double txn);
Message fc_unpublish(std::string_view stream, double txn);
Message create_stream(double txn);
// type "live" / "record" / "append"; message stream id = stream_id.
Message publish(std::string_view stream, std::string_view type, uint32_t stream_id, double txn = 0);
// txn 0; args: stream, start, duration, reset. Message stream id = stream_id.
Message play(std::string_view stream, uint32_t stream_id, double start = -2000,
             double duration = -1, bool reset = true);
Message delete_stream(uint32_t stream_id, double txn = 0);  // on stream 0, arg Number(stream_id)
Message close_stream(uint32_t stream_id);  // txn 0, null cmd object, on stream `stream_id`

struct Command {
  std::string name;
  double transaction_id = 0;
  amf0::Value command_object;  // Undefined when the payload ends after the transaction id
  std::vector<amf0::Value> arguments;
};

// Parses an AMF0 command payload (message type 20; for type 17 strip the leading 0x00 first).
// The first value must be a string and the second a number; the command object may be absent.
std::optional<Command> parse_command(ByteView payload, std::string* error);

struct StatusInfo {
  std::string level, code, description;
  std::string tc_url;  // Enhanced RTMP NetConnection.Connect.ReconnectRequest: where to go
};

// The info object of an onStatus/_result/_error: the first object argument that has a string
// "code" (or, failing that, the command object if it has one); nullopt if none. Missing level or
// description come back empty.
std::optional<StatusInfo> status_info(const Command& c);

// Pending transactions (ids start at 1 and increase; 0 is reserved for "no reply expected").
// clear() forgets pending requests but does not reuse ids.
class Transactions {
 public:
  double begin(std::string name);                 // returns the new id
  std::optional<std::string> finish(double txn);  // name of the matched request; removes it
  size_t pending() const { return pending_.size(); }
  void clear() { pending_.clear(); }

 private:
  uint64_t next_ = 1;
  std::map<uint64_t, std::string> pending_;
};

// Parses a data message payload (type 18) such as onMetaData/@setDataFrame into its values.
bool parse_data(ByteView payload, std::vector<amf0::Value>& out, std::string* error);

}  // namespace rtmp::commands
