// When a demuxer says "no more pads": the rule of docs/enhanced-flv-demux.md.
//
// The tracks to expect come from onMetaData when it precedes the first audio/video tag and names
// a codec (videocodecid / audiocodecid: track 0 of that kind; each entry of the track info maps:
// that track); otherwise from the FLV header flags (track 0 of each flagged kind). The
// announcement is made once, at the first of:
//  - every expected track has been added, and a tag with coded frames or with a later timestamp
//    than the first follows (so that every track whose sequence start leads the stream is in,
//    also those that a rewritten onMetaData does not name: nginx-rtmp drops the track maps);
//  - the audio/video timestamps have advanced 6 s past the first one (as flvdemux: a header or
//    metadata may name a kind the stream does not carry);
//  - the end of the stream.
// Tracks that appear later still get added (after the announcement).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>

#include "flv/flv_metadata.hpp"
#include "flv/media_tag.hpp"

namespace rtmp {

inline constexpr uint64_t kAnnounceAfterMs = 6000;

class TrackAnnouncer {
 public:
  void reset() { *this = TrackAnnouncer{}; }
  void header(bool has_audio, bool has_video);
  void metadata(const FlvMetadata& m);
  // Every audio/video tag, before its tracks are added (`coded`: it carries coded frames, not
  // only sequence starts or ends); true when the announcement is due now, before this tag.
  bool av_tag(uint64_t timestamp_ms, bool coded);
  // A track got its pad.
  void track_added(MediaType media, uint8_t id);
  // The end of the stream; true if the announcement was not made yet.
  bool finish();
  bool announced() const { return announced_; }

 private:
  bool due();
  static size_t slot(MediaType media, uint8_t id) {
    return (media == MediaType::kVideo ? 256u : 0u) + id;
  }

  std::bitset<512> expected_;
  std::bitset<512> added_;
  bool from_metadata_ = false;
  bool seen_av_ = false;
  std::optional<uint64_t> first_ms_;
  bool announced_ = false;
};

}  // namespace rtmp
