// Parses the input as an audio and as a video tag body (legacy FLV or Enhanced RTMP v2). Each
// parse must be deterministic, with or without an error message wanted; an error must say why; a
// success must point only into the input, be written back (no longer than the input), parse
// again to the same description, and that writing must be a fixed point. The cheap classifier
// must agree with every successful parse, and the input goes through the message-level
// classification and MediaHeaders as an audio, a video and a data message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "flv/media_headers.hpp"
#include "flv/media_kind.hpp"
#include "flv/tag_parser.hpp"
#include "flv/tag_writer.hpp"

namespace {

using rtmp::ByteView;
using rtmp::MediaTag;
using rtmp::MediaType;
using rtmp::TagStatus;

void check(bool ok) {
  if (!ok) std::abort();
}

bool within(ByteView part, ByteView whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void check_classification(MediaType media, ByteView in, const MediaTag& tag) {
  const rtmp::MediaKind k = rtmp::classify_tag(media, in);
  check(k.valid);
  check(k.track_count == tag.frames.size());
  std::bitset<256> ids;
  for (const rtmp::TrackFrame& f : tag.frames) {
    ids.set(f.track_id);
    check(k.kind == f.kind && k.keyframe == f.keyframe() && k.nano_offset == f.nano_offset);
    check(k.enhanced == f.codec.enhanced);
  }
  check(k.tracks == ids);
}

void check_write_back(MediaType media, ByteView in, const MediaTag& tag) {
  rtmp::Bytes written;
  std::string error;
  check(rtmp::write_media_tag(tag, written, &error) == TagStatus::kOk);
  check(written.size() <= in.size());
  MediaTag again;
  check(rtmp::parse_media_tag(media, written, again, &error) == TagStatus::kOk);
  check(again == tag);
  rtmp::Bytes rewritten;
  check(rtmp::write_media_tag(again, rewritten, nullptr) == TagStatus::kOk);
  check(rewritten == written);
}

void check_media(MediaType media, ByteView in) {
  MediaTag a;
  MediaTag b;
  MediaTag quiet;
  std::string ea;
  std::string eb;
  const TagStatus sa = rtmp::parse_media_tag(media, in, a, &ea);
  const TagStatus sb = rtmp::parse_media_tag(media, in, b, &eb);
  check(sa == sb && ea == eb);
  check(rtmp::parse_media_tag(media, in, quiet, nullptr) == sa);
  check((sa == TagStatus::kError) == !ea.empty());
  if (sa == TagStatus::kError) {
    (void)rtmp::classify_tag(media, in);
    return;
  }
  check(a == b && a == quiet);
  check(a.media == media && a.frames.empty() == in.empty());
  for (const rtmp::TrackFrame& f : a.frames) {
    check(within(f.payload, in) && within(f.channels.mapping, in));
    (void)rtmp::color_info(f);
  }
  (void)rtmp::describe(a);
  check_classification(media, in, a);
  check_write_back(media, in, a);
}

void check_messages(ByteView in) {
  rtmp::MediaHeaders headers;
  for (rtmp::MessageType t :
       {rtmp::MessageType::kAudio, rtmp::MessageType::kVideo, rtmp::MessageType::kDataAmf0}) {
    rtmp::Message m;
    m.type = static_cast<uint8_t>(t);
    m.payload.assign(in.begin(), in.end());
    const bool key = rtmp::is_video_keyframe(m);
    check(!key || t == rtmp::MessageType::kVideo);
    check(!rtmp::is_video_sequence_header(m) || t == rtmp::MessageType::kVideo);
    check(!rtmp::is_audio_sequence_header(m) || t == rtmp::MessageType::kAudio);
    (void)rtmp::is_metadata(m);
    headers.observe(m);
    headers.observe(m);  // the same header again replaces the first
  }
  const auto replay = headers.replay(7);
  check(replay.size() <= 3);
  for (const rtmp::Message& m : replay) check(m.timestamp == 7);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  check_media(MediaType::kAudio, in);
  check_media(MediaType::kVideo, in);
  check_messages(in);
  return 0;
}
