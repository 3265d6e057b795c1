#include "rtmp/enhanced_connect.hpp"

#include <cmath>

namespace rtmp {

namespace {

using amf0::Value;

constexpr const char* kVideo[] = {"avc1", "hvc1", "av01", "vp09", "vp08"};
constexpr const char* kAudio[] = {"mp4a", ".mp3", "Opus", "fLaC", "ac-3", "ec-3"};

Value mask_map(const std::map<std::string, uint32_t>& m) {
  std::vector<amf0::Property> props;
  for (const auto& [fourcc, mask] : m) props.emplace_back(fourcc, Value::Number(mask));
  return Value::Object(std::move(props));
}

std::map<std::string, uint32_t> parse_mask_map(const Value* v) {
  std::map<std::string, uint32_t> out;
  if (!v || !v->is_object()) return out;
  for (const auto& [key, value] : v->properties()) {
    if (!value.is_number() || !(value.number() >= 0 && value.number() <= 0xFFFFFFFF)) continue;
    out[key] = static_cast<uint32_t>(value.number());
  }
  return out;
}

std::string masks(uint32_t mask) {
  std::string out;
  for (auto [bit, name] :
       {std::pair{fourcc_info::kCanDecode, "decode"}, std::pair{fourcc_info::kCanEncode, "encode"},
        std::pair{fourcc_info::kCanForward, "forward"}})
    if (mask & bit) out += (out.empty() ? "" : ", ") + std::string(name);
  return out.empty() ? "none" : out;
}

std::string list(const std::map<std::string, uint32_t>& m) {
  std::string out;
  for (const auto& [fourcc, mask] : m)
    out += (out.empty() ? "" : ", ") + fourcc + " (" + masks(mask) + ")";
  return out;
}

}  // namespace

EnhancedCapabilities client_capabilities(bool publishing) {
  EnhancedCapabilities c;
  uint32_t mask = publishing ? fourcc_info::kCanEncode | fourcc_info::kCanForward
                             : fourcc_info::kCanDecode | fourcc_info::kCanForward;
  for (const char* f : kVideo) {
    c.fourcc_list.emplace_back(f);
    c.video[f] = mask;
  }
  for (const char* f : kAudio) c.audio[f] = mask;
  c.caps_ex =
      caps_ex::kReconnect | caps_ex::kMultitrack | caps_ex::kModEx | caps_ex::kTimestampNanoOffset;
  return c;
}

std::vector<amf0::Property> announcement(const EnhancedCapabilities& caps) {
  std::vector<amf0::Property> out;
  if (!caps.fourcc_list.empty()) {
    std::vector<Value> items;
    for (const auto& f : caps.fourcc_list) items.push_back(Value::String(f));
    out.emplace_back("fourCcList", Value::StrictArray(std::move(items)));
  }
  if (!caps.video.empty()) out.emplace_back("videoFourCcInfoMap", mask_map(caps.video));
  if (!caps.audio.empty()) out.emplace_back("audioFourCcInfoMap", mask_map(caps.audio));
  if (caps.caps_ex) out.emplace_back("capsEx", Value::Number(*caps.caps_ex));
  return out;
}

EnhancedCapabilities parse_capabilities(const Value& value) {
  EnhancedCapabilities c;
  if (!value.is_object()) return c;
  if (const Value* l = value.get("fourCcList"); l && l->is_strict_array())
    for (const Value& item : l->items())
      if (item.is_string()) c.fourcc_list.push_back(item.string());
  c.video = parse_mask_map(value.get("videoFourCcInfoMap"));
  c.audio = parse_mask_map(value.get("audioFourCcInfoMap"));
  if (auto n = value.get_number("capsEx"); n && *n >= 0 && *n <= 0xFFFFFFFF && std::isfinite(*n))
    c.caps_ex = static_cast<uint32_t>(*n);
  return c;
}

std::string describe(const EnhancedCapabilities& caps) {
  if (!caps.present()) return "none";
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (caps.caps_ex) {
    std::string flags;
    for (auto [bit, name] :
         {std::pair{caps_ex::kReconnect, "reconnect"},
          std::pair{caps_ex::kMultitrack, "multitrack"}, std::pair{caps_ex::kModEx, "modex"},
          std::pair{caps_ex::kTimestampNanoOffset, "timestamp-nano-offset"}})
      if (*caps.caps_ex & bit) flags += (flags.empty() ? "" : ", ") + std::string(name);
    add("capsEx " + std::to_string(*caps.caps_ex) + (flags.empty() ? "" : " (" + flags + ")"));
  }
  if (!caps.fourcc_list.empty()) {
    std::string l;
    for (const auto& f : caps.fourcc_list) l += (l.empty() ? "" : ", ") + f;
    add("fourCcList " + l);
  }
  if (!caps.video.empty()) add("video " + list(caps.video));
  if (!caps.audio.empty()) add("audio " + list(caps.audio));
  return out;
}

}  // namespace rtmp
