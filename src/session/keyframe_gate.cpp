#include "session/keyframe_gate.hpp"

namespace rtmpsession {

KeyframeGate::Verdict KeyframeGate::check(const rtmp::MediaKind& k) {
  if (k.media == rtmp::MediaClass::kAudio && audio_held_ && !k.is_header())
    return Verdict::kHeldForReconnect;
  if (k.media != rtmp::MediaClass::kVideo || !k.valid || k.is_header()) return Verdict::kPass;
  video_ |= k.tracks;
  const std::bitset<256> waiting_latency = latency_ & k.tracks;
  const std::bitset<256> waiting_reconnect = reconnect_ & k.tracks;
  if (k.keyframe) {
    audio_held_ = false;
    reconnect_ &= ~k.tracks;
    latency_ &= ~k.tracks;
    return Verdict::kPass;
  }
  // A tag held for one of its tracks is lost to all of them: they all wait now.
  if (waiting_reconnect.any()) {
    reconnect_ |= k.tracks;
    return Verdict::kHeldForReconnect;
  }
  if (waiting_latency.any()) {
    latency_ |= k.tracks;
    return Verdict::kHeldForLatency;
  }
  return Verdict::kPass;
}

void KeyframeGate::hold_all_video() {
  reconnect_ |= video_;
  audio_held_ = video_.any();
}

void KeyframeGate::hold(const std::bitset<256>& tracks, Reason why) {
  (why == Reason::kReconnect ? reconnect_ : latency_) |= tracks;
}

}  // namespace rtmpsession
