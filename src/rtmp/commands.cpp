#include "rtmp/commands.hpp"

#include <cmath>
#include <utility>

namespace rtmp::commands {

using amf0::Value;

namespace {

Value str(std::string_view s) {
  return Value::String(std::string(s));
}

Message command_message(uint32_t stream_id) {
  Message m;
  m.type = static_cast<uint8_t>(MessageType::kCommandAmf0);
  m.timestamp = 0;
  m.stream_id = stream_id;
  m.chunk_stream = csid::kCommand;
  return m;
}

Value connect_object(const ConnectParams& p) {
  Value o = Value::Object();
  o.set("app", str(p.app));
  if (p.publish) o.set("type", str("nonprivate"));
  o.set("flashVer", str(p.flash_ver));
  if (!p.swf_url.empty()) o.set("swfUrl", str(p.swf_url));
  o.set("tcUrl", str(p.tc_url));
  if (!p.publish) {
    o.set("fpad", Value::Boolean(false));
    o.set("capabilities", Value::Number(15));
    o.set("audioCodecs", Value::Number(3191));
    o.set("videoCodecs", Value::Number(252));
    o.set("videoFunction", Value::Number(1));
  }
  if (!p.page_url.empty()) o.set("pageUrl", str(p.page_url));
  o.set("objectEncoding", Value::Number(p.object_encoding));
  for (const auto& [key, value] : p.extra) o.set(key, value);
  return o;
}

}  // namespace

Message call(std::string_view name, double txn, const Value& command_object,
             const std::vector<Value>& args, uint32_t stream_id) {
  Message m = command_message(stream_id);
  amf0::encode(str(name), m.payload);
  amf0::encode(Value::Number(txn), m.payload);
  amf0::encode(command_object, m.payload);
  for (const auto& a : args) amf0::encode(a, m.payload);
  return m;
}

Message connect(const ConnectParams& p, double txn) {
  return call("connect", txn, connect_object(p), p.extra_args);
}

Message release_stream(std::string_view stream, double txn) {
  return call("releaseStream", txn, Value::Null(), {str(stream)});
}

Message fc_publish(std::string_view stream, double txn) {
  return call("FCPublish", txn, Value::Null(), {str(stream)});
}

Message fc_unpublish(std::string_view stream, double txn) {
  return call("FCUnpublish", txn, Value::Null(), {str(stream)});
}

Message create_stream(double txn) {
  return call("createStream", txn, Value::Null());
}

Message publish(std::string_view stream, std::string_view type, uint32_t stream_id, double txn) {
  return call("publish", txn, Value::Null(), {str(stream), str(type)}, stream_id);
}

Message play(std::string_view stream, uint32_t stream_id, double start, double duration,
             bool reset) {
  return call("play", 0, Value::Null(),
              {str(stream), Value::Number(start), Value::Number(duration), Value::Boolean(reset)},
              stream_id);
}

Message delete_stream(uint32_t stream_id, double txn) {
  return call("deleteStream", txn, Value::Null(), {Value::Number(stream_id)});
}

Message close_stream(uint32_t stream_id) {
  return call("closeStream", 0, Value::Null(), {}, stream_id);
}

std::optional<Command> parse_command(ByteView payload, std::string* error) {
  std::vector<Value> values;
  if (!amf0::decode_all(payload, values, error)) return std::nullopt;
  auto fail = [error](const char* what) -> std::optional<Command> {
    if (error != nullptr) *error = what;
    return std::nullopt;
  };
  if (values.empty() || !values[0].is_string()) return fail("command: name is not a string");
  Command c;
  c.name = values[0].string();
  // Servers do send commands without a transaction id (FFmpeg's listen mode sends a bare
  // "onFCPublish"): such a command has id 0 (no reply expected), and what follows the name is
  // the command object and the arguments.
  size_t next = 1;
  if (values.size() > 1 && values[1].is_number()) {
    c.transaction_id = values[1].number();
    next = 2;
  }
  if (values.size() > next) c.command_object = std::move(values[next]);
  for (size_t i = next + 1; i < values.size(); ++i) c.arguments.push_back(std::move(values[i]));
  return c;
}

namespace {

std::optional<StatusInfo> info_from(const Value& v) {
  if (!v.is_object()) return std::nullopt;
  auto code = v.get_string("code");
  if (!code) return std::nullopt;
  StatusInfo info;
  info.code = std::move(*code);
  info.level = v.get_string("level").value_or("");
  info.description = v.get_string("description").value_or("");
  info.tc_url = v.get_string("tcUrl").value_or("");
  return info;
}

}  // namespace

std::optional<StatusInfo> status_info(const Command& c) {
  for (const auto& a : c.arguments) {
    if (auto info = info_from(a)) return info;
  }
  return info_from(c.command_object);
}

double Transactions::begin(std::string name) {
  const uint64_t id = next_++;
  pending_[id] = std::move(name);
  return static_cast<double>(id);
}

std::optional<std::string> Transactions::finish(double txn) {
  // Ids are positive integers; anything else (NaN, fractions, negatives) cannot match.
  if (!std::isfinite(txn) || txn < 1 || txn >= 9007199254740992.0 || std::floor(txn) != txn) {
    return std::nullopt;
  }
  auto it = pending_.find(static_cast<uint64_t>(txn));
  if (it == pending_.end()) return std::nullopt;
  std::string name = std::move(it->second);
  pending_.erase(it);
  return name;
}

bool parse_data(ByteView payload, std::vector<Value>& out, std::string* error) {
  return amf0::decode_all(payload, out, error);
}

}  // namespace rtmp::commands
