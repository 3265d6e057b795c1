// The sans-I/O core of the enhanced FLV demuxer (gst/gstenhancedflvdemux.cpp is its element):
// FLV bytes in, split anywhere, and out the decisions a demuxer makes, as events in stream
// order: a track (audio or video, by Enhanced RTMP track id) appears with its format, its format
// changes (new sequence start, codec, legacy audio flags, metadata hints), a coded frame with its
// timestamps and flags, onMetaData, "all tracks added" (TrackAnnouncer's rule), warnings.
//
// Timestamps (ns): DTS = tag timestamp (32-bit, unwrapped) + ModEx nanosecond offset + offset;
// PTS = DTS + composition time, both clamped at 0; audio PTS = DTS. The offset is 0, unless
// input times are given (an upstream in TIME format, such as rtmpsrc): then the first audio/video
// tag after the start or a discontinuity maps to the input time of the bytes that completed it.
// Coded frames of a codec that needs its configuration record (H.264, H.265, H.266, AAC, FLAC)
// are dropped until the record arrives; codecs without a format give no track (one warning).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "flv/flv_metadata.hpp"
#include "flv/flv_reader.hpp"
#include "flv/track_announcer.hpp"
#include "flv/track_format.hpp"

namespace rtmp {

enum class DemuxEventKind : uint8_t {
  kTrackAdded,      // media, track, format
  kFormatChanged,   // media, track, format
  kBuffer,          // media, track, buffer
  kSequenceEnd,     // media, track
  kMetadata,        // metadata
  kAllTracksAdded,  // once per stream
  kWarning,         // text: a tag skipped, a codec without a format
  kError,           // text: the FLV stream cannot be read further
};

struct DemuxBuffer {
  int64_t pts_ns = 0;
  int64_t dts_ns = 0;
  bool keyframe = true;  // false: a video frame other than FrameType 1
  bool discont = false;  // the first buffer of its track after the start or a discontinuity
  Bytes data;
};

struct DemuxEvent {
  DemuxEventKind kind = DemuxEventKind::kWarning;
  MediaType media = MediaType::kVideo;
  uint8_t track = 0;
  StreamFormat format;
  DemuxBuffer buffer;
  FlvMetadata metadata;
  std::string text;
};

// One line for an event (buffers by size and a hash of their bytes), for tests and the fuzzer.
std::string describe(const DemuxEvent& e);

class FlvDemuxer {
 public:
  // Consumes `in`; appends the events of every tag completed. input_time_ns < 0: not known.
  void feed(ByteView in, int64_t input_time_ns, std::vector<DemuxEvent>& out);
  // The input jumped (DISCONT): the next buffer of every track is flagged; the timestamp offset
  // is taken again from the next input time.
  void discontinuity();
  // The input continues at the start of a tag, without an FLV header (after a byte seek to a
  // `keyframes` file position); pending partial data is dropped. Also a discontinuity.
  void restart_at_tag();
  // End of stream: the announcement if it was not made (nothing after an error).
  void finish(std::vector<DemuxEvent>& out);
  void reset() { *this = FlvDemuxer{}; }

  size_t tracks_added() const { return tracks_added_; }
  bool failed() const { return failed_; }
  const FlvMetadata& metadata() const { return metadata_; }

 private:
  struct Track {
    uint8_t id = 0;
    TrackConfig config;
    TrackFormat format;
    bool computed = false;
    bool added = false;
    bool need_discont = true;
    bool warned = false;
  };

  void on_tag(FlvTag& tag, int64_t input_time_ns, std::vector<DemuxEvent>& out);
  void on_script(const FlvTag& tag, std::vector<DemuxEvent>& out);
  void on_frame(const MediaTag& tag, const TrackFrame& f, uint64_t ts_ms,
                std::vector<DemuxEvent>& out);
  Track& track(MediaType media, uint8_t id);
  void set_codec(Track& t, const MediaTag& tag, const TrackFrame& f, std::vector<DemuxEvent>& out);
  void update_format(Track& t, std::vector<DemuxEvent>& out);
  void push_frame(Track& t, const TrackFrame& f, uint64_t ts_ms, std::vector<DemuxEvent>& out);
  uint64_t unwrap(uint32_t ts);
  void warn(std::string text, std::vector<DemuxEvent>& out);
  void announce(std::vector<DemuxEvent>& out);

  FlvReader reader_;
  std::vector<FlvTag> tags_;
  std::map<uint16_t, Track> tracks_;  // (media == video ? 256 : 0) + id
  TrackAnnouncer announcer_;
  FlvMetadata metadata_;
  bool header_handled_ = false;
  bool failed_ = false;
  bool rebase_pending_ = true;
  int64_t offset_ns_ = 0;
  bool have_last_ = false;
  uint32_t last_ts_ = 0;
  uint64_t epoch_ = 0;
  size_t tracks_added_ = 0;
  size_t warnings_ = 0;
};

inline constexpr size_t kMaxDemuxWarnings = 100;  // then warnings stop (a broken stream)

}  // namespace rtmp
