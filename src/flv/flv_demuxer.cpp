#include "flv/flv_demuxer.hpp"

#include <algorithm>
#include <utility>

#include "flv/tag_parser.hpp"

namespace rtmp {
namespace {

constexpr int64_t kNsPerMs = 1000000;
constexpr uint8_t kSyntheticHeader[13] = {'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0};

const char* kind_name(DemuxEventKind k) {
  switch (k) {
    case DemuxEventKind::kTrackAdded:
      return "track-added";
    case DemuxEventKind::kFormatChanged:
      return "format-changed";
    case DemuxEventKind::kBuffer:
      return "buffer";
    case DemuxEventKind::kSequenceEnd:
      return "sequence-end";
    case DemuxEventKind::kMetadata:
      return "metadata";
    case DemuxEventKind::kAllTracksAdded:
      return "all-tracks-added";
    case DemuxEventKind::kWarning:
      return "warning";
    case DemuxEventKind::kError:
      return "error";
  }
  return "?";
}

uint32_t fnv1a(const Bytes& b) {
  uint32_t h = 2166136261u;
  for (uint8_t c : b) h = (h ^ c) * 16777619u;
  return h;
}

uint16_t slot(MediaType media, uint8_t id) {
  return static_cast<uint16_t>((media == MediaType::kVideo ? 256 : 0) + id);
}

DemuxEvent track_event(DemuxEventKind kind, const TrackConfig& c) {
  DemuxEvent e;
  e.kind = kind;
  e.media = c.media;
  return e;
}

}  // namespace

std::string describe(const DemuxEvent& e) {
  std::string out = kind_name(e.kind);
  const bool per_track =
      e.kind == DemuxEventKind::kTrackAdded || e.kind == DemuxEventKind::kFormatChanged ||
      e.kind == DemuxEventKind::kBuffer || e.kind == DemuxEventKind::kSequenceEnd;
  if (per_track)
    out +=
        std::string(e.media == MediaType::kVideo ? " video_" : " audio_") + std::to_string(e.track);
  if (e.kind == DemuxEventKind::kTrackAdded || e.kind == DemuxEventKind::kFormatChanged)
    out += " " + e.format.to_string();
  if (e.kind == DemuxEventKind::kBuffer) {
    const DemuxBuffer& b = e.buffer;
    out += " pts=" + std::to_string(b.pts_ns) + " dts=" + std::to_string(b.dts_ns) +
           (b.keyframe ? " key" : " delta") + (b.discont ? " discont" : "") +
           " size=" + std::to_string(b.data.size()) + " hash=" + std::to_string(fnv1a(b.data));
  }
  if (e.kind == DemuxEventKind::kMetadata) out += " " + e.metadata.describe();
  if (!e.text.empty()) out += " " + e.text;
  return out;
}

void FlvDemuxer::feed(ByteView in, int64_t input_time_ns, std::vector<DemuxEvent>& out) {
  if (failed_) return;
  tags_.clear();
  const bool ok = reader_.feed(in, tags_) == FlvReader::Status::kOk;
  if (!header_handled_ && reader_.header_seen()) {
    header_handled_ = true;
    announcer_.header(reader_.header().has_audio, reader_.header().has_video);
  }
  for (FlvTag& tag : tags_) {
    on_tag(tag, input_time_ns, out);
  }
  tags_.clear();
  if (!ok) {
    failed_ = true;
    DemuxEvent e;
    e.kind = DemuxEventKind::kError;
    e.text = reader_.error();
    out.push_back(std::move(e));
  }
}

void FlvDemuxer::discontinuity() {
  for (auto& [key, t] : tracks_) t.need_discont = true;
  rebase_pending_ = true;
}

void FlvDemuxer::restart_at_tag() {
  reader_ = FlvReader{};
  std::vector<FlvTag> none;
  reader_.feed(ByteView(kSyntheticHeader, sizeof kSyntheticHeader), none);
  discontinuity();
}

void FlvDemuxer::finish(std::vector<DemuxEvent>& out) {
  if (failed_) return;
  if (announcer_.finish() && tracks_added_ > 0) {
    DemuxEvent e;
    e.kind = DemuxEventKind::kAllTracksAdded;
    out.push_back(std::move(e));
  }
}

uint64_t FlvDemuxer::unwrap(uint32_t ts) {
  if (have_last_ && ts < last_ts_ && last_ts_ - ts > 0x80000000u) epoch_ += uint64_t{1} << 32;
  have_last_ = true;
  last_ts_ = ts;
  return epoch_ + ts;
}

void FlvDemuxer::warn(std::string text, std::vector<DemuxEvent>& out) {
  if (warnings_ >= kMaxDemuxWarnings) return;
  if (++warnings_ == kMaxDemuxWarnings) text += " (further warnings suppressed)";
  DemuxEvent e;
  e.kind = DemuxEventKind::kWarning;
  e.text = std::move(text);
  out.push_back(std::move(e));
}

void FlvDemuxer::announce(std::vector<DemuxEvent>& out) {
  DemuxEvent e;
  e.kind = DemuxEventKind::kAllTracksAdded;
  out.push_back(std::move(e));
}

void FlvDemuxer::on_tag(FlvTag& tag, int64_t input_time_ns, std::vector<DemuxEvent>& out) {
  if (tag.type == kFlvTagScript) return on_script(tag, out);
  if (tag.data.empty()) return;  // RTMP's audio "silence"
  const MediaType media = tag.type == kFlvTagVideo ? MediaType::kVideo : MediaType::kAudio;
  MediaTag parsed;
  std::string error;
  const uint64_t ts_ms = unwrap(tag.timestamp);
  if (parse_media_tag(media, tag.data, parsed, &error) != TagStatus::kOk) {
    warn((media == MediaType::kVideo ? "video tag at " : "audio tag at ") +
             std::to_string(tag.timestamp) + " ms skipped: " + error,
         out);
    return;
  }
  if (rebase_pending_) {
    rebase_pending_ = false;
    if (input_time_ns >= 0) offset_ns_ = input_time_ns - static_cast<int64_t>(ts_ms) * kNsPerMs;
  }
  const bool coded = std::any_of(parsed.frames.begin(), parsed.frames.end(),
                                 [](const auto& f) { return f.kind == PacketKind::kCodedFrames; });
  if (announcer_.av_tag(ts_ms, coded)) announce(out);
  for (const TrackFrame& f : parsed.frames) on_frame(parsed, f, ts_ms, out);
}

void FlvDemuxer::on_script(const FlvTag& tag, std::vector<DemuxEvent>& out) {
  FlvMetadata m;
  std::string error;
  if (!parse_flv_metadata(tag.data, m, &error)) {
    if (!error.empty()) warn("script tag skipped: " + error, out);
    return;
  }
  metadata_ = m;
  announcer_.metadata(metadata_);
  DemuxEvent e;
  e.kind = DemuxEventKind::kMetadata;
  e.metadata = std::move(m);
  out.push_back(std::move(e));
  for (auto& [key, t] : tracks_) {
    if (t.config.media != MediaType::kVideo || !t.computed) continue;
    t.config.hints = metadata_.video_hints(static_cast<uint8_t>(key - 256));
    update_format(t, out);
  }
}

FlvDemuxer::Track& FlvDemuxer::track(MediaType media, uint8_t id) {
  auto [it, fresh] = tracks_.try_emplace(slot(media, id));
  if (fresh) {
    it->second.id = id;
    it->second.config.media = media;
    if (media == MediaType::kVideo) it->second.config.hints = metadata_.video_hints(id);
  }
  return it->second;
}

void FlvDemuxer::set_codec(Track& t, const MediaTag& tag, const TrackFrame& f,
                           std::vector<DemuxEvent>& out) {
  TrackConfig& c = t.config;
  bool changed = !t.computed;
  if (c.codec != f.codec) {
    c.codec = f.codec;
    c.sequence_start.reset();
    c.channels.reset();
    c.channel_mapping.clear();
    t.warned = false;
    changed = true;
  }
  if (!f.codec.enhanced && c.media == MediaType::kAudio &&
      c.legacy_audio_flags != tag.legacy_audio_flags) {
    c.legacy_audio_flags = tag.legacy_audio_flags;
    changed = true;
  }
  if (changed && f.kind == PacketKind::kCodedFrames) update_format(t, out);
}

void FlvDemuxer::update_format(Track& t, std::vector<DemuxEvent>& out) {
  TrackFormat next = track_format(t.config);
  t.computed = true;
  const uint8_t id = t.id;
  if (next.state == TrackFormat::State::kReady) {
    const bool same = t.added && t.format.state == next.state && t.format.format == next.format;
    t.format = std::move(next);
    if (same) return;
    DemuxEvent e = track_event(
        t.added ? DemuxEventKind::kFormatChanged : DemuxEventKind::kTrackAdded, t.config);
    e.track = id;
    e.format = t.format.format;
    out.push_back(std::move(e));
    if (!t.added) {
      t.added = true;
      ++tracks_added_;
      announcer_.track_added(t.config.media, id);
    }
    return;
  }
  if (next.state == TrackFormat::State::kUnsupported && !t.warned) {
    t.warned = true;
    warn(std::string(t.config.media == MediaType::kVideo ? "video" : "audio") + " track " +
             std::to_string(id) + ": no format for codec " +
             (t.config.codec.enhanced ? "'" + fourcc_to_string(t.config.codec.id) + "'"
                                      : "id " + std::to_string(t.config.codec.id)),
         out);
  }
  t.format = std::move(next);  // frames wait (or are dropped) until a format is ready again
}

void FlvDemuxer::on_frame(const MediaTag& tag, const TrackFrame& f, uint64_t ts_ms,
                          std::vector<DemuxEvent>& out) {
  if (f.kind == PacketKind::kCommand || f.kind == PacketKind::kMetadata ||
      f.kind == PacketKind::kMpeg2TsSequenceStart)
    return;  // no media for the decoder (colorInfo is not mapped to colorimetry)
  Track& t = track(tag.media, f.track_id);
  set_codec(t, tag, f, out);
  switch (f.kind) {
    case PacketKind::kSequenceStart:
      t.config.sequence_start = Bytes(f.payload.begin(), f.payload.end());
      update_format(t, out);
      return;
    case PacketKind::kSequenceEnd: {
      t.config.sequence_start.reset();
      DemuxEvent e = track_event(DemuxEventKind::kSequenceEnd, t.config);
      e.track = f.track_id;
      out.push_back(std::move(e));
      return;
    }
    case PacketKind::kMultichannelConfig:
      t.config.channel_mapping.assign(f.channels.mapping.begin(), f.channels.mapping.end());
      t.config.channels = f.channels;
      t.config.channels->mapping = t.config.channel_mapping;
      update_format(t, out);
      return;
    default:
      push_frame(t, f, ts_ms, out);
      return;
  }
}

void FlvDemuxer::push_frame(Track& t, const TrackFrame& f, uint64_t ts_ms,
                            std::vector<DemuxEvent>& out) {
  if (!t.added || t.format.state != TrackFormat::State::kReady) return;
  const size_t strip = std::min<size_t>(t.format.strip, f.payload.size());
  if (f.payload.size() == strip) return;  // nothing for the decoder (flvdemux pushes none)
  DemuxEvent e = track_event(DemuxEventKind::kBuffer, t.config);
  e.track = f.track_id;
  DemuxBuffer& b = e.buffer;
  const int64_t dts = static_cast<int64_t>(ts_ms) * kNsPerMs + f.nano_offset + offset_ns_;
  b.dts_ns = std::max<int64_t>(dts, 0);
  b.pts_ns = std::max<int64_t>(dts + int64_t{f.composition_time} * kNsPerMs, 0);
  b.keyframe = t.config.media == MediaType::kAudio || f.keyframe();
  b.discont = t.need_discont;
  t.need_discont = false;
  b.data.assign(f.payload.begin() + static_cast<std::ptrdiff_t>(strip), f.payload.end());
  out.push_back(std::move(e));
}

}  // namespace rtmp
