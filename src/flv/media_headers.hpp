// What a publisher must send again after reconnecting: the last metadata and the codec sequence
// headers, and where the media may resume (a video keyframe).
#pragma once

#include <optional>
#include <vector>

#include "rtmp/message.hpp"

namespace rtmp {

// Classification of one audio/video/data message (legacy FLV codecs and Enhanced RTMP).
bool is_video_keyframe(const Message& m);
bool is_video_sequence_header(const Message& m);
bool is_audio_sequence_header(const Message& m);
bool is_metadata(const Message& m);  // @setDataFrame / onMetaData data message

class MediaHeaders {
 public:
  // Remembers `m` if it is metadata or a sequence header; notes whether video was seen.
  void observe(const Message& m);
  // Metadata, then the video and the audio sequence headers, each with `timestamp`.
  std::vector<Message> replay(uint32_t timestamp) const;
  bool has_video() const { return has_video_; }
  void clear();

 private:
  std::optional<Message> metadata_;
  std::optional<Message> video_header_;
  std::optional<Message> audio_header_;
  bool has_video_ = false;
};

}  // namespace rtmp
