#include "flv/track_announcer.hpp"

namespace rtmp {

void TrackAnnouncer::header(bool has_audio, bool has_video) {
  if (seen_av_ || from_metadata_) return;
  expected_.reset();
  if (has_audio) expected_.set(slot(MediaType::kAudio, 0));
  if (has_video) expected_.set(slot(MediaType::kVideo, 0));
}

void TrackAnnouncer::metadata(const FlvMetadata& m) {
  if (seen_av_) return;
  std::bitset<512> e;
  if (m.video.codec_id) e.set(slot(MediaType::kVideo, 0));
  if (m.audio.codec_id) e.set(slot(MediaType::kAudio, 0));
  for (const TrackInfo& t : m.video_tracks) e.set(slot(MediaType::kVideo, t.id));
  for (const TrackInfo& t : m.audio_tracks) e.set(slot(MediaType::kAudio, t.id));
  if (e.none()) return;  // names no codec: keep what the header said
  expected_ = e;
  from_metadata_ = true;
}

bool TrackAnnouncer::due() {
  if (announced_) return false;
  announced_ = true;
  return true;
}

bool TrackAnnouncer::av_tag(uint64_t timestamp_ms, bool coded) {
  seen_av_ = true;
  if (!first_ms_) first_ms_ = timestamp_ms;
  const bool later = timestamp_ms > *first_ms_;
  if (later && timestamp_ms - *first_ms_ > kAnnounceAfterMs) return due();
  const bool complete = expected_.any() && (expected_ & ~added_).none();
  if (complete && (coded || later)) return due();
  return false;
}

void TrackAnnouncer::track_added(MediaType media, uint8_t id) {
  added_.set(slot(media, id));
}

bool TrackAnnouncer::finish() {
  return due();
}

}  // namespace rtmp
