// Enhanced RTMP v2 negotiation in NetConnection connect: what the client announces (fourCcList,
// videoFourCcInfoMap, audioFourCcInfoMap, capsEx, after the legacy fields of the command object)
// and what the server's _result says back. A server that answers without them is not refused:
// most relay enhanced tags anyway.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rtmp/amf0.hpp"

namespace rtmp {

// FourCcInfoMask: what a peer can do with a codec.
namespace fourcc_info {
inline constexpr uint32_t kCanDecode = 0x01;
inline constexpr uint32_t kCanEncode = 0x02;
inline constexpr uint32_t kCanForward = 0x04;
}  // namespace fourcc_info

// capsEx: extended capabilities.
namespace caps_ex {
inline constexpr uint32_t kReconnect = 0x01;  // NetConnection.Connect.ReconnectRequest
inline constexpr uint32_t kMultitrack = 0x02;
inline constexpr uint32_t kModEx = 0x04;
inline constexpr uint32_t kTimestampNanoOffset = 0x08;
}  // namespace caps_ex

struct EnhancedCapabilities {
  std::vector<std::string> fourcc_list;          // v1: the video FourCCs
  std::map<std::string, uint32_t> video, audio;  // FourCC ("*" for any) -> FourCcInfoMask
  std::optional<uint32_t> caps_ex;
  bool present() const {
    return !fourcc_list.empty() || !video.empty() || !audio.empty() || caps_ex;
  }
};

// What this client can really send (publishing: every FourCC the FLV tag code writes, forwarded
// as it comes) or take (playing: every FourCC the demuxer reads).
EnhancedCapabilities client_capabilities(bool publishing);
// The connect command object's properties announcing `caps`, in the spec's order.
std::vector<amf0::Property> announcement(const EnhancedCapabilities& caps);
// The fields found in the properties of `value` (the _result's command object or info object);
// malformed entries are skipped.
EnhancedCapabilities parse_capabilities(const amf0::Value& value);
// "capsEx 0x0f; video av01 (decode, forward), hvc1 (...); audio Opus (...)", or "none".
std::string describe(const EnhancedCapabilities& caps);

}  // namespace rtmp
