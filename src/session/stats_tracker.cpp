#include "session/stats_tracker.hpp"

#include <iterator>

namespace rtmpsession {

namespace {

void add_totals(rtmp::ClientCounters& into, const rtmp::ClientCounters& c) {
  into.bytes_out += c.bytes_out;
  into.bytes_in += c.bytes_in;
  into.messages_out += c.messages_out;
  into.messages_in += c.messages_in;
  into.media_messages_out += c.media_messages_out;
}

void copy_settings(rtmp::ClientCounters& into, const rtmp::ClientCounters& c) {
  into.bytes_acked_by_peer = c.bytes_acked_by_peer;
  into.bytes_acked_to_peer = c.bytes_acked_to_peer;
  into.out_window_ack_size = c.out_window_ack_size;
  into.out_chunk_size = c.out_chunk_size;
  into.in_chunk_size = c.in_chunk_size;
  into.in_window_ack_size = c.in_window_ack_size;
}

}  // namespace

void StatsTracker::update(const rtmp::ClientCounters* current, int64_t now_us, uint64_t held) {
  total_ = carried_;
  if (current) {
    add_totals(total_, *current);
    copy_settings(total_, *current);
  }
  delivered_ = total_.bytes_out > held ? total_.bytes_out - held : 0;
  uint64_t bytes = role_ == Role::kPublish ? total_.bytes_out : total_.bytes_in;
  if (samples_.empty() || now_us - samples_.back().us >= kSampleEveryUs)
    samples_.push_back(Sample{now_us, bytes, delivered_});
  while (samples_.size() > 2 && now_us - samples_.front().us > kRateWindowUs) samples_.pop_front();
}

void StatsTracker::connection_ended(const rtmp::ClientCounters& c) {
  add_totals(carried_, c);
  copy_settings(carried_, c);
}

void StatsTracker::fill(SessionStats* s, int64_t now_us) const {
  s->bytes_sent = total_.bytes_out;
  s->bytes_received = total_.bytes_in;
  s->messages_sent = total_.messages_out;
  s->messages_received = total_.messages_in;
  s->media_messages_sent = total_.media_messages_out;
  s->bytes_acked_by_peer = total_.bytes_acked_by_peer;
  s->bytes_acked_to_peer = total_.bytes_acked_to_peer;
  s->out_window_ack_size = total_.out_window_ack_size;
  s->out_chunk_size = total_.out_chunk_size;
  s->in_chunk_size = total_.in_chunk_size;
  s->in_window_ack_size = total_.in_window_ack_size;
  uint64_t bytes = role_ == Role::kPublish ? total_.bytes_out : total_.bytes_in;
  s->bitrate_bps = rate_bps(&Sample::bytes, bytes, now_us);
  s->send_rate_bps = role_ == Role::kPublish ? rate_bps(&Sample::delivered, delivered_, now_us) : 0;
}

double StatsTracker::rate_bps(uint64_t Sample::*value, uint64_t current, int64_t now_us) const {
  auto first = samples_.begin();
  while (first != samples_.end() && std::next(first) != samples_.end() &&
         now_us - std::next(first)->us >= kRateWindowUs)
    ++first;
  int64_t span = first == samples_.end() ? 0 : now_us - first->us;
  if (span <= 0 || current < (*first).*value) return 0;
  return double(current - (*first).*value) * 8.0 * 1e6 / double(span);
}

}  // namespace rtmpsession
