// Which video tracks must wait for a key frame before their frames may go out again, and why:
// after a reconnection (the decoder on the far side starts again) or after a frame of the track
// was dropped to keep the latency bound (what follows no longer decodes). Per track: legacy and
// enhanced tags, every multitrack id. Metadata and sequence headers are never held; audio only
// after a reconnection, until the first video key frame (the stream resumes at a picture).
#pragma once

#include <bitset>
#include <cstdint>

#include "flv/media_kind.hpp"

namespace rtmpsession {

class KeyframeGate {
 public:
  enum class Reason { kReconnect, kLatency };
  enum class Verdict {
    kPass,              // goes out
    kHeldForReconnect,  // a track of it waits for a key frame after a reconnection
    kHeldForLatency,    // a track of it waits for a key frame after a dropped frame
  };

  // Whether the message classified as `k` may go out. A video key frame reopens its tracks.
  Verdict check(const rtmp::MediaKind& k);
  // After a reconnection: every video track seen so far waits for its next key frame, and audio
  // for the first of them.
  void hold_all_video();
  // A frame of these tracks was dropped: they wait for their next key frame.
  void hold(const std::bitset<256>& tracks, Reason why);
  bool holding() const { return audio_held_ || (reconnect_ | latency_).any(); }
  bool seen_video() const { return video_.any(); }

 private:
  std::bitset<256> video_;      // video tracks seen
  std::bitset<256> reconnect_;  // waiting after a reconnection
  std::bitset<256> latency_;    // waiting after a dropped frame
  bool audio_held_ = false;     // after a reconnection, until a video key frame
};

}  // namespace rtmpsession
