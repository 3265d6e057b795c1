// FlvMuxer: the decisions of an FLV muxer for legacy and Enhanced RTMP v2 tags, without
// GStreamer. Tracks (mux_track.hpp) and frames in, FLV bytes out, as chunks the element pushes
// as buffers:
//
//   start()   the FLV header, onMetaData and every track's SequenceStart (the stream header)
//   write()   one frame as one tag; before it a SequenceStart when the track's record changed
//             (or was made from this AV1 frame), and an onMetaData when the tracks changed on
//             a streamable output
//   finish()  a SequenceEnd for every track whose tags define one; for a file, the duration,
//             filesize and keyframes index to write over the placeholder in onMetaData
//
// Timestamps: a tag's timestamp is the frame's decoding time minus the stream's origin, in ms
// (rounded down), never before the previous tag's; the composition time of H.264 and H.265
// frames is the presentation time in ms minus that timestamp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flv/mux_metadata.hpp"
#include "flv/mux_track.hpp"
#include "util/bytes.hpp"

namespace rtmp {

struct MuxFrame {
  int64_t dts_ns = 0;  // running time of the frame's decoding
  int64_t pts_ns = 0;  // running time of its presentation (= dts_ns if it has no other)
  int64_t duration_ns = 0;
  bool keyframe = true;  // video: FrameType 1, else 2
  ByteView data;
};

enum class ChunkKind : uint8_t {
  kFileHeader,     // "FLV", version, flags, data offset, PreviousTagSize0
  kMetadata,       // an onMetaData script tag
  kSequenceStart,  // a SequenceStart tag (legacy AVC/AAC sequence header)
  kFrame,          // coded frames
  kSequenceEnd,    // a SequenceEnd tag (legacy AVC end of sequence)
  kFileFields,     // bytes to write at `offset` over the file fields of the first onMetaData
};

struct MuxChunk {
  ChunkKind kind = ChunkKind::kFrame;
  Bytes bytes;          // whole FLV tags (with PreviousTagSize), or the header, or the fields
  uint64_t offset = 0;  // the output position of bytes[0]
  bool header = false;  // part of start(): the stream header (caps' streamheader)
  bool delta = false;   // not a point to start decoding at (video inter frames, headers)
  MediaType media = MediaType::kVideo;
  uint32_t timestamp_ms = 0;
};

struct MuxSettings {
  // A file: onMetaData gets duration, filesize and a keyframes index, written at finish().
  bool file_fields = false;
  std::optional<double> duration_s;                        // the first guess, if any
  std::vector<std::pair<std::string, std::string>> texts;  // onMetaData strings
};

class FlvMuxer {
 public:
  // Adds or replaces a track (validate_mux_track() first: false and *error on a bad one, the
  // previous description kept). A new record is written before the track's next frame.
  bool set_track(const MuxTrack& track, std::string* error);
  void remove_track(MediaType media, uint8_t id);
  const MuxTrack* track(MediaType media, uint8_t id) const;
  size_t track_count() const { return tracks_.size(); }
  // AV1 tracks without codec_data: take the av1C from this frame if it carries a sequence
  // header (before start(), so that the stream header has it).
  void learn_from_frame(MediaType media, uint8_t id, ByteView data);

  bool started() const { return started_; }
  // The stream's start at running time origin_ns (the first frame's decoding time).
  void start(const MuxSettings& settings, int64_t origin_ns, std::vector<MuxChunk>& out);
  // False and *error for a frame of an unknown track or one too large for an FLV tag.
  bool write(MediaType media, uint8_t id, const MuxFrame& frame, std::vector<MuxChunk>& out,
             std::string* error);
  void finish(std::vector<MuxChunk>& out);
  // Back to no tracks, not started.
  void reset();
  // Not started, the tracks kept (a new stream after a flush).
  void restart();

  // Whether some track's tags are enhanced (FourCC) ones.
  bool enhanced() const;
  // The stream header as it stands: the FLV header, the last onMetaData, each track's current
  // SequenceStart (timestamp 0). Empty before start().
  std::vector<Bytes> stream_header() const;
  // The timestamp of the last tag written.
  uint32_t last_timestamp_ms() const { return static_cast<uint32_t>(last_ms_); }
  uint64_t bytes_written() const { return offset_; }

 private:
  struct TrackState {
    MuxTrack config;
    bool record_written = false;  // the current sequence start is out (or there is none)
    bool used = false;            // something of this track was written
  };
  static uint16_t key(MediaType media, uint8_t id) {
    return static_cast<uint16_t>((media == MediaType::kVideo ? 0 : 256) + id);
  }
  void emit(ChunkKind kind, MediaType media, uint32_t ts, Bytes bytes, std::vector<MuxChunk>& out);
  Bytes metadata_tag();
  Bytes record_tag(const MuxTrack& t, uint32_t ts) const;
  bool refresh_av1(TrackState& s, ByteView data);
  void note_index(const MuxTrack& t, const MuxFrame& f, uint64_t offset);
  int64_t timestamp_of(int64_t ns) const;

  std::map<uint16_t, TrackState> tracks_;  // video tracks first, then audio, by id
  MuxSettings settings_;
  bool started_ = false;
  bool metadata_stale_ = false;  // streamable: the tracks changed since onMetaData went out
  int64_t origin_ns_ = 0;
  int64_t last_ms_ = 0;
  int64_t end_ms_ = 0;  // the latest tag time plus its frame's duration
  uint64_t offset_ = 0;
  uint64_t fields_offset_ = 0;
  Bytes file_header_;
  Bytes last_metadata_;
  std::vector<IndexPoint> index_;
};

}  // namespace rtmp
