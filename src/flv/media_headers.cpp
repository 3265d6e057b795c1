#include "flv/media_headers.hpp"

#include <algorithm>
#include <utility>

#include "flv/tag_parser.hpp"
#include "flv/tag_writer.hpp"

namespace rtmp {

namespace {

bool is_type(const Message& m, MessageType t) {
  return m.type == uint8_t(t);
}

// `m` without the frames of `tracks`, if it parses and the rest can be written; else unchanged.
void drop_tracks(Message& m, const std::bitset<256>& tracks) {
  MediaTag tag;
  if (parse_message(m, tag, nullptr) != TagStatus::kOk) return;
  std::erase_if(tag.frames, [&](const TrackFrame& f) { return tracks.test(f.track_id); });
  if (tag.frames.empty()) return;
  Bytes payload;
  if (write_media_tag(tag, payload, nullptr) != TagStatus::kOk) return;
  m.payload = std::move(payload);  // the views in `tag` are not used after this
}

}  // namespace

bool is_video_keyframe(const Message& m) {
  if (!is_type(m, MessageType::kVideo)) return false;
  return classify(m).keyframe;
}

bool is_video_sequence_header(const Message& m) {
  if (!is_type(m, MessageType::kVideo)) return false;
  return classify(m).is_sequence_header();
}

bool is_audio_sequence_header(const Message& m) {
  if (!is_type(m, MessageType::kAudio)) return false;
  return classify(m).is_sequence_header();
}

void MediaHeaders::forget(Slot slot, const std::bitset<256>& tracks) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->slot != slot || (it->tracks & tracks).none()) {
      ++it;
      continue;
    }
    it->tracks &= ~tracks;
    if (it->tracks.none()) {
      it = entries_.erase(it);
      continue;
    }
    drop_tracks(it->message, tracks);
    ++it;
  }
}

void MediaHeaders::observe(const Message& m) {
  const bool video = is_type(m, MessageType::kVideo);
  if (video) has_video_ = true;
  const MediaKind k = classify(m);
  if (k.media == MediaClass::kMetadata) {
    metadata_ = m;
    return;
  }
  if (!k.valid || k.track_count == 0) return;
  const Slot header = video ? Slot::kVideoHeader : Slot::kAudioHeader;
  Slot slot = header;
  switch (k.kind) {
    case PacketKind::kSequenceStart:
    case PacketKind::kMpeg2TsSequenceStart:
      break;
    case PacketKind::kMetadata:
      slot = Slot::kVideoMetadata;
      break;
    case PacketKind::kMultichannelConfig:
      slot = Slot::kAudioConfig;
      break;
    case PacketKind::kSequenceEnd:
      forget(header, k.tracks);
      if (!video) forget(Slot::kAudioConfig, k.tracks);
      return;
    default:
      return;
  }
  forget(slot, k.tracks);
  entries_.push_back(Entry{slot, k.tracks, m});
}

std::vector<Message> MediaHeaders::replay(uint32_t timestamp) const {
  std::vector<Message> out;
  if (metadata_) out.push_back(*metadata_);
  for (Slot slot :
       {Slot::kVideoHeader, Slot::kVideoMetadata, Slot::kAudioHeader, Slot::kAudioConfig}) {
    for (const Entry& e : entries_)
      if (e.slot == slot) out.push_back(e.message);
  }
  for (Message& m : out) m.timestamp = timestamp;
  return out;
}

bool MediaHeaders::has_sequence_header(MediaType media, uint8_t track) const {
  const Slot slot = media == MediaType::kVideo ? Slot::kVideoHeader : Slot::kAudioHeader;
  return std::ranges::any_of(
      entries_, [&](const Entry& e) { return e.slot == slot && e.tracks.test(track); });
}

void MediaHeaders::clear() {
  *this = MediaHeaders();
}

}  // namespace rtmp
