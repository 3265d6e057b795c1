#include "flv/flv_muxer.hpp"

#include <algorithm>

#include "flv/av1_sequence.hpp"
#include "flv/flv_format.hpp"
#include "flv/flv_writer.hpp"
#include "flv/tag_writer.hpp"

namespace rtmp {
namespace {

constexpr int64_t kNsPerMs = 1000000;
constexpr int32_t kMinSi24 = -0x800000;
constexpr int32_t kMaxSi24 = 0x7fffff;
// The most a frame's body may take: the tag's size field minus the largest header in front.
constexpr size_t kMaxFrameSize = kFlvMaxTagSize - 16;

int64_t floor_ms(int64_t ns) {
  return ns >= 0 ? ns / kNsPerMs : -((-ns + kNsPerMs - 1) / kNsPerMs);
}

bool has_composition_time(const MuxTrack& t) {
  const Codec c = mux_codec(t);
  return c.enhanced ? fourcc_has_composition_time(c.id) : c.id == legacy_codec::kAvc;
}

// One tag body of `track` carrying `f`; empty (and *error) when the writer refuses it.
Bytes tag_body(const MuxTrack& track, TrackFrame f, std::string* error) {
  MediaTag tag;
  tag.media = track.media;
  tag.multitrack = mux_multitrack(track);
  if (track.media == MediaType::kAudio && !mux_codec(track).enhanced)
    tag.legacy_audio_flags = mux_legacy_audio_flags(track);
  f.codec = mux_codec(track);
  f.track_id = tag.multitrack == Multitrack::kNone ? 0 : track.id;
  tag.frames.push_back(f);
  Bytes body;
  if (write_media_tag(tag, body, error) != TagStatus::kOk) return {};
  return body;
}

TrackFrame control_frame(const MuxTrack& t, PacketKind kind, ByteView payload) {
  TrackFrame f;
  f.kind = kind;
  f.frame_type = t.media == MediaType::kVideo ? frame_type::kKey : 0;
  f.payload = payload;
  return f;
}

}  // namespace

bool FlvMuxer::set_track(const MuxTrack& track, std::string* error) {
  if (!validate_mux_track(track, error)) return false;
  auto [it, added] = tracks_.try_emplace(key(track.media, track.id));
  TrackState& s = it->second;
  const MuxTrack before = s.config;
  Bytes learned;  // an av1C made from frames stays while the caps give none
  if (!added && track.av1_config_from_frames && before.av1_config_from_frames &&
      track.sequence_start.empty())
    learned = before.sequence_start;
  s.config = track;
  if (!learned.empty()) s.config.sequence_start = learned;
  if (added || s.config.sequence_start != before.sequence_start || s.config.codec != before.codec ||
      s.config.mode != before.mode)
    s.record_written = false;
  if (started_ && !settings_.file_fields && (added || s.config != before)) metadata_stale_ = true;
  return true;
}

void FlvMuxer::remove_track(MediaType media, uint8_t id) {
  if (tracks_.erase(key(media, id)) && started_ && !settings_.file_fields) metadata_stale_ = true;
}

const MuxTrack* FlvMuxer::track(MediaType media, uint8_t id) const {
  auto it = tracks_.find(key(media, id));
  return it == tracks_.end() ? nullptr : &it->second.config;
}

void FlvMuxer::learn_from_frame(MediaType media, uint8_t id, ByteView data) {
  auto it = tracks_.find(key(media, id));
  if (it != tracks_.end()) refresh_av1(it->second, data);
}

// AV1 from frames: a sequence header in the frame that differs from the record makes a new one.
bool FlvMuxer::refresh_av1(TrackState& s, ByteView data) {
  if (!s.config.av1_config_from_frames) return false;
  std::optional<Bytes> av1c = av1_config_from_temporal_unit(data);
  if (!av1c || *av1c == s.config.sequence_start) return false;
  s.config.sequence_start = std::move(*av1c);
  s.record_written = false;
  return true;
}

void FlvMuxer::emit(ChunkKind kind, MediaType media, uint32_t ts, Bytes bytes,
                    std::vector<MuxChunk>& out) {
  MuxChunk c;
  c.kind = kind;
  c.offset = offset_;
  c.header = !started_;
  c.media = media;
  c.timestamp_ms = ts;
  c.delta = kind != ChunkKind::kFrame && kind != ChunkKind::kFileHeader;
  offset_ += bytes.size();
  c.bytes = std::move(bytes);
  out.push_back(std::move(c));
}

Bytes FlvMuxer::metadata_tag() {
  std::vector<MuxTrack> configs;
  for (const auto& [k, s] : tracks_) configs.push_back(s.config);
  MetadataRegion region;
  const bool fields = settings_.file_fields && !started_;
  Bytes data = write_mux_metadata(configs, settings_.texts, fields,
                                  settings_.duration_s.value_or(0), &region);
  if (fields) fields_offset_ = offset_ + kFlvTagHeaderSize + region.offset;
  Bytes tag;
  write_flv_tag(kFlvTagScript, static_cast<uint32_t>(last_ms_), data, tag);
  last_metadata_ = tag;
  return tag;
}

Bytes FlvMuxer::record_tag(const MuxTrack& t, uint32_t ts) const {
  Bytes body = tag_body(t, control_frame(t, PacketKind::kSequenceStart, t.sequence_start), nullptr);
  Bytes tag;
  write_flv_tag(static_cast<uint8_t>(t.media), ts, body, tag);
  return tag;
}

void FlvMuxer::start(const MuxSettings& settings, int64_t origin_ns, std::vector<MuxChunk>& out) {
  settings_ = settings;
  origin_ns_ = origin_ns;
  last_ms_ = end_ms_ = 0;
  offset_ = 0;
  index_.clear();
  bool audio = false, video = false;
  for (const auto& [k, s] : tracks_) (s.config.media == MediaType::kVideo ? video : audio) = true;
  file_header_.clear();
  write_flv_header(audio, video, file_header_);
  emit(ChunkKind::kFileHeader, MediaType::kVideo, 0, file_header_, out);
  emit(ChunkKind::kMetadata, MediaType::kVideo, 0, metadata_tag(), out);
  for (auto& [k, s] : tracks_) {
    if (!s.config.sequence_start.empty()) {
      emit(ChunkKind::kSequenceStart, s.config.media, 0, record_tag(s.config, 0), out);
      s.used = true;
    }
    s.record_written = true;
  }
  started_ = true;
  metadata_stale_ = false;
}

int64_t FlvMuxer::timestamp_of(int64_t ns) const {
  return std::max(floor_ms(ns - origin_ns_), last_ms_);
}

void FlvMuxer::note_index(const MuxTrack& t, const MuxFrame& f, uint64_t offset) {
  if (!settings_.file_fields) return;
  // The lowest video track's key frames; with no video, every frame of the lowest audio track.
  const TrackState& first = tracks_.begin()->second;
  if (first.config.media != t.media || first.config.id != t.id) return;
  if (t.media == MediaType::kVideo && !f.keyframe) return;
  index_.push_back({static_cast<double>(last_ms_) / 1000.0, static_cast<double>(offset)});
}

bool FlvMuxer::write(MediaType media, uint8_t id, const MuxFrame& frame, std::vector<MuxChunk>& out,
                     std::string* error) {
  auto it = tracks_.find(key(media, id));
  if (it == tracks_.end()) {
    if (error) *error = "frame of a track without caps";
    return false;
  }
  if (frame.data.size() > kMaxFrameSize) {
    if (error) *error = "frame larger than an FLV tag can carry";
    return false;
  }
  TrackState& s = it->second;
  if (media == MediaType::kVideo && frame.keyframe) refresh_av1(s, frame.data);
  const int64_t ts = timestamp_of(frame.dts_ns);
  const uint64_t first_offset = offset_;
  last_ms_ = ts;
  const auto ts32 = static_cast<uint32_t>(ts);
  if (metadata_stale_) {
    emit(ChunkKind::kMetadata, MediaType::kVideo, ts32, metadata_tag(), out);
    metadata_stale_ = false;
  }
  if (!s.record_written && !s.config.sequence_start.empty())
    emit(ChunkKind::kSequenceStart, media, ts32, record_tag(s.config, ts32), out);
  s.record_written = true;
  s.used = true;
  TrackFrame f = control_frame(s.config, PacketKind::kCodedFrames, frame.data);
  if (media == MediaType::kVideo && !frame.keyframe) f.frame_type = frame_type::kInter;
  if (has_composition_time(s.config))
    f.composition_time = static_cast<int32_t>(
        std::clamp<int64_t>(floor_ms(frame.pts_ns - origin_ns_) - ts, kMinSi24, kMaxSi24));
  Bytes body = tag_body(s.config, f, error);
  if (body.empty()) return false;
  Bytes tag;
  write_flv_tag(static_cast<uint8_t>(media), ts32, body, tag);
  note_index(s.config, frame, first_offset);
  emit(ChunkKind::kFrame, media, ts32, std::move(tag), out);
  out.back().delta = media == MediaType::kVideo && !frame.keyframe;
  end_ms_ = std::max(end_ms_, ts + std::max<int64_t>(0, frame.duration_ns / kNsPerMs));
  return true;
}

void FlvMuxer::finish(std::vector<MuxChunk>& out) {
  if (!started_) return;
  const auto ts = static_cast<uint32_t>(last_ms_);
  for (auto& [k, s] : tracks_) {
    if (!s.used || !mux_has_sequence_end(s.config)) continue;
    Bytes body = tag_body(s.config, control_frame(s.config, PacketKind::kSequenceEnd, {}), nullptr);
    Bytes tag;
    write_flv_tag(static_cast<uint8_t>(s.config.media), ts, body, tag);
    emit(ChunkKind::kSequenceEnd, s.config.media, ts, std::move(tag), out);
  }
  if (!settings_.file_fields) return;
  const double duration = static_cast<double>(std::max(end_ms_, last_ms_)) / 1000.0;
  MuxChunk c;
  c.kind = ChunkKind::kFileFields;
  c.offset = fields_offset_;
  c.bytes = write_file_fields(duration, static_cast<double>(offset_), index_);
  c.delta = true;
  out.push_back(std::move(c));
}

void FlvMuxer::reset() {
  *this = FlvMuxer();
}

void FlvMuxer::restart() {
  std::map<uint16_t, TrackState> tracks = std::move(tracks_);
  reset();
  for (auto& [k, s] : tracks) tracks_[k] = TrackState{s.config, false, false};
}

bool FlvMuxer::enhanced() const {
  return std::any_of(tracks_.begin(), tracks_.end(),
                     [](const auto& kv) { return mux_codec(kv.second.config).enhanced; });
}

std::vector<Bytes> FlvMuxer::stream_header() const {
  if (!started_) return {};
  std::vector<Bytes> out = {file_header_, last_metadata_};
  for (const auto& [k, s] : tracks_)
    if (!s.config.sequence_start.empty()) out.push_back(record_tag(s.config, 0));
  return out;
}

}  // namespace rtmp
