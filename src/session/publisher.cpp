#include "session/publisher.hpp"

namespace rtmpsession {

Publisher::Publisher(const config::PublishOptions& options)
    : options_(options), queue_(options.queue_bytes) {}

bool Publisher::push(rtmp::Message&& m, bool* wake) {
  bool was_empty = false;
  if (!queue_.push(std::move(m), &was_empty)) return false;
  // The loop drains until the queue is empty or the socket is full (then the writable watch
  // resumes it), so only the first message after an empty queue needs a wake-up; during a burst
  // the timed rounds take it.
  if (wake) *wake = was_empty && !burst_.load();
  return true;
}

// A keyframe that is not a sequence header: a decoder can start there.
bool Publisher::resumes_here(const rtmp::Message& m) const {
  return rtmp::is_video_keyframe(m) && !rtmp::is_video_sequence_header(m);
}

Publisher::Next Publisher::next(rtmp::Message* out) {
  while (queue_.pop(out)) {
    if (reconnect_requested_ && (!headers_.has_video() || resumes_here(*out))) {
      reconnect_requested_ = false;
      queue_.push_front(std::move(*out));
      return Next::kReconnect;
    }
    if (need_keyframe_) {
      bool header = rtmp::is_metadata(*out) || rtmp::is_video_sequence_header(*out) ||
                    rtmp::is_audio_sequence_header(*out);
      if (resumes_here(*out)) {
        need_keyframe_ = false;
      } else if (!header) {
        skipped_++;
        continue;
      }
    }
    headers_.observe(*out);
    last_sent_ts_ = out->timestamp;
    return Next::kMessage;
  }
  return Next::kEmpty;
}

void Publisher::on_disconnected() {
  queue_.set_drop_oldest(options_.reconnect_buffer_bytes);
}

std::vector<rtmp::Message> Publisher::on_streaming(bool resuming) {
  if (!resuming) return {};
  queue_.set_drop_oldest(0);
  need_keyframe_ = headers_.has_video();
  return headers_.replay(last_sent_ts_);
}

int64_t Publisher::drained(int64_t now_us, bool took_media, bool timed_round) {
  if (!took_media) return 0;
  bool burst = timed_round || now_us - last_take_us_ < kBurstGapUs;
  last_take_us_ = now_us;
  if (!burst) return 0;
  burst_.store(true);
  return now_us + kBurstGapUs;
}

}  // namespace rtmpsession
