#include "session/publisher.hpp"

#include "flv/media_kind.hpp"

namespace rtmpsession {

namespace {

// b - a for 32-bit millisecond timestamps, 0 when b is not after a.
uint32_t span_ms(uint32_t a, uint32_t b) {
  auto d = static_cast<int32_t>(b - a);
  return d > 0 ? static_cast<uint32_t>(d) : 0;
}

bool is_media(const rtmp::MediaMessage& m) {
  return m.type == uint8_t(rtmp::MessageType::kAudio) ||
         m.type == uint8_t(rtmp::MessageType::kVideo);
}

}  // namespace

Publisher::Publisher(const config::PublishOptions& options)
    : options_(options), queue_(options.queue_bytes), max_latency_ms_(options.max_latency_ms) {}

bool Publisher::push(rtmp::MediaMessage&& m, bool* wake) {
  bool was_empty = false;
  const bool media = is_media(m);
  const uint32_t ts = m.timestamp;
  if (!queue_.push(std::move(m), &was_empty)) return false;
  if (media) {
    newest_ts_.store(ts);
    any_pushed_.store(true);
  }
  // The loop drains until the queue is empty or the socket is full (then the writable watch
  // resumes it), so only the first message after an empty queue needs a wake-up; while timed
  // rounds run they take it.
  if (wake) *wake = was_empty && !burst_.load();
  return true;
}

// A keyframe that is not a sequence header: a decoder can start there.
bool Publisher::resumes_here(const rtmp::MediaKind& k) {
  return k.media == rtmp::MediaClass::kVideo && k.keyframe && !k.is_sequence_header();
}

bool Publisher::admit(const rtmp::MediaKind& k) {
  switch (gate_.check(k)) {
    case KeyframeGate::Verdict::kHeldForReconnect:
      skipped_++;
      return false;
    case KeyframeGate::Verdict::kHeldForLatency:
      latency_dropped_++;
      return false;
    case KeyframeGate::Verdict::kPass:
      break;
  }
  // Over the latency bound: video that is neither a key frame nor a header is dropped, and its
  // tracks wait for their next key frame.
  uint32_t bound = max_latency_ms_.load();
  bool droppable = k.media == rtmp::MediaClass::kVideo && k.valid && !k.keyframe && !k.is_header();
  if (bound > 0 && droppable && queued_duration_ms() > bound) {
    gate_.hold(k.tracks, KeyframeGate::Reason::kLatency);
    latency_dropped_++;
    return false;
  }
  return true;
}

Publisher::Next Publisher::next(rtmp::MediaMessage* out) {
  while (queue_.pop(out)) {
    const rtmp::MediaKind k = rtmp::classify(*out);
    if (reconnect_requested_ && (!gate_.seen_video() || resumes_here(k))) {
      reconnect_requested_ = false;
      queue_.push_front(std::move(*out));
      return Next::kReconnect;
    }
    if (!admit(k)) continue;
    // Headers are kept (a copy: they are few and small) to be sent again after a reconnection;
    // a SequenceEnd makes its track's header go.
    if (k.is_header() || k.kind == rtmp::PacketKind::kSequenceEnd)
      headers_.observe(out->to_message());
    last_sent_ts_ = out->timestamp;
    return Next::kMessage;
  }
  return Next::kEmpty;
}

Publisher::DrainResult Publisher::drain(OutputPort& port, int64_t now_us) {
  // Under a latency bound little is left where it can no longer be dropped.
  const size_t max_pending = max_latency_ms_.load() > 0 ? 64 * 1024 : 512 * 1024;
  DrainResult result;
  bool took = false;
  rtmp::MediaMessage m;
  for (;;) {
    on_delivered(port.delivered());
    Next n = Next::kEmpty;
    while (port.pending() < max_pending && (n = next(&m)) == Next::kMessage) {
      const uint32_t ts = m.timestamp;
      port.send(std::move(m));  // its payload is sent from where it is, not copied
      on_sent(ts, port.written() + port.pending());
      took = true;
    }
    if (n == Next::kReconnect) {
      result.reconnect = true;
      return result;
    }
    if (!port.flush()) {
      result.connected = false;
      return result;
    }
    on_delivered(port.delivered());
    if (port.pending() > 0 || queue_.empty()) break;
  }
  result.next_round_us = drained(now_us, took);
  return result;
}

void Publisher::on_sent(uint32_t timestamp, uint64_t end_offset) {
  undelivered_.emplace_back(end_offset, timestamp);
  note_oldest_undelivered();
}

void Publisher::on_delivered(uint64_t bytes_delivered) {
  while (!undelivered_.empty() && undelivered_.front().first <= bytes_delivered)
    undelivered_.pop_front();
  note_oldest_undelivered();
}

void Publisher::note_oldest_undelivered() {
  oldest_undelivered_ts_.store(undelivered_.empty() ? int64_t{-1}
                                                    : int64_t{undelivered_.front().second});
}

uint32_t Publisher::queued_duration_ms() const {
  if (!any_pushed_.load()) return 0;
  uint32_t newest = newest_ts_.load();
  int64_t oldest_sent = oldest_undelivered_ts_.load();
  if (oldest_sent >= 0) return span_ms(static_cast<uint32_t>(oldest_sent), newest);
  std::optional<uint32_t> front = queue_.front_media_timestamp();
  return front ? span_ms(*front, newest) : 0;
}

void Publisher::on_disconnected() {
  queue_.set_drop_oldest(options_.reconnect_buffer_bytes);
  undelivered_.clear();  // what the lost connection did not deliver is gone with it
  note_oldest_undelivered();
}

std::vector<rtmp::Message> Publisher::on_streaming(bool resuming) {
  if (!resuming) return {};
  queue_.set_drop_oldest(0);
  gate_.hold_all_video();
  return headers_.replay(last_sent_ts_);
}

int64_t Publisher::drained(int64_t now_us, bool took_media) {
  if (!took_media) return 0;  // quiet: the next push wakes the loop itself
  burst_.store(true);
  return now_us + options_.round_us;
}

}  // namespace rtmpsession
