// What a demuxer announces for one track: the stream format (caps) from the track's codec, its
// last sequence start (configuration record), legacy audio flags, MultichannelConfig and the
// onMetaData hints; and what to do with its coded frames. The formats are those the GStreamer
// 1.22 parsers and decoders take (docs/enhanced-flv-demux.md has the table), with flvdemux's
// caps for every legacy codec.
#pragma once

#include <cstdint>
#include <optional>

#include "flv/media_tag.hpp"
#include "flv/stream_format.hpp"
#include "util/bytes.hpp"

namespace rtmp {

// From onMetaData (the top-level fields for track 0, the track info maps for others).
struct VideoHints {
  uint32_t width = 0;
  uint32_t height = 0;
  double framerate = 0;
  uint32_t par_x = 0;  // AspectRatioX/Y; 0: not given
  uint32_t par_y = 0;
};

struct TrackConfig {
  MediaType media = MediaType::kVideo;
  Codec codec;
  std::optional<Bytes> sequence_start;  // the last SequenceStart payload, until a SequenceEnd
  uint8_t legacy_audio_flags = 0;       // legacy audio: SoundRate, SoundSize, SoundType
  std::optional<MultichannelConfig> channels;  // mapping not kept (its view is not owned)
  Bytes channel_mapping;                       // the mapping bytes of `channels`
  VideoHints hints;
};

struct TrackFormat {
  enum class State : uint8_t {
    kReady,        // `format` describes the stream
    kNeedsConfig,  // the codec needs its sequence start first: coded frames are dropped
    kUnsupported,  // no format for this codec: the track gets no pad
  };
  State state = State::kUnsupported;
  StreamFormat format;
  // Bytes to strip from the start of every coded frame (VP6's adjustment byte, as flvdemux).
  uint8_t strip = 0;
};

TrackFormat track_format(const TrackConfig& config);
TrackFormat video_track_format(const TrackConfig& config);
TrackFormat audio_track_format(const TrackConfig& config);

// The fraction gst_video_guess_framerate() picks for common rates: n/1, n*1000/1001, else
// milliframes reduced.
void guess_framerate(double fps, int64_t& num, int64_t& den);

}  // namespace rtmp
