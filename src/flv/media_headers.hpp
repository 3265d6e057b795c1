// What a publisher must send again after reconnecting: the last metadata and the codec
// configuration of every track (legacy FLV and Enhanced RTMP, multitrack included), and where
// the media may resume (a video keyframe).
#pragma once

#include <bitset>
#include <optional>
#include <vector>

#include "flv/media_kind.hpp"
#include "flv/media_tag.hpp"
#include "rtmp/message.hpp"

namespace rtmp {

// Classification of one audio/video/data message (see media_kind.hpp, which also declares
// is_metadata: a @setDataFrame / onMetaData data message).
//
// A video tag whose frames are key frames: FrameType 1 (not Metadata), read from the header
// only. A multitrack tag has one FrameType for all its tracks, so this is "every track's frame
// is a key frame"; classify(m).keyframe_for(track) is the per-track answer. Sequence headers
// with FrameType 1 are key frames too: test is_video_sequence_header() to tell them apart.
bool is_video_keyframe(const Message& m);
// Video SequenceStart or MPEG2TSSequenceStart (any track), or a legacy AVC/HEVC/AV1 sequence
// header.
bool is_video_sequence_header(const Message& m);
// Audio SequenceStart (any track), or a legacy AAC sequence header.
bool is_audio_sequence_header(const Message& m);

class MediaHeaders {
 public:
  // Remembers `m` if it is metadata, a sequence header, a video Metadata (colorInfo) tag or an
  // audio MultichannelConfig, for each (media type, track id) it carries, replacing what that
  // track had of the same sort; a SequenceEnd forgets the sequence header (and, for audio, the
  // channel config) of its tracks. A tag that carries several tracks is kept whole while one of
  // its tracks still needs it; when some of its tracks are replaced or ended it is rewritten
  // without them. Notes whether video was seen.
  void observe(const Message& m);
  // The metadata, then the video sequence headers, the video Metadata tags, the audio sequence
  // headers and the audio MultichannelConfig tags (each group in the order they came), each with
  // `timestamp`.
  std::vector<Message> replay(uint32_t timestamp) const;
  bool has_video() const { return has_video_; }
  // Whether a sequence header is kept for that track.
  bool has_sequence_header(MediaType media, uint8_t track) const;
  void clear();

 private:
  enum class Slot : uint8_t { kVideoHeader, kVideoMetadata, kAudioHeader, kAudioConfig };
  struct Entry {
    Slot slot;
    std::bitset<256> tracks;  // the tracks this message is still kept for
    Message message;
  };

  void forget(Slot slot, const std::bitset<256>& tracks);

  std::optional<Message> metadata_;
  std::vector<Entry> entries_;
  bool has_video_ = false;
};

}  // namespace rtmp
