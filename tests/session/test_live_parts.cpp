// The parts of live publishing on their own, without sockets: the keyframe gate, the latency
// bound in the publisher and its drain into an output port, congestion reports, and the end of
// stream's delivery deadline. Time is whatever the test passes.
#include <gtest/gtest.h>

#include "flv/media_tag.hpp"
#include "flv/tag_writer.hpp"
#include "session/congestion_monitor.hpp"
#include "session/end_of_stream.hpp"
#include "session/keyframe_gate.hpp"
#include "session/publisher.hpp"

namespace rtmpsession {
namespace {

using rtmp::Message;

Message video(bool key, uint32_t ts, size_t size = 100) {
  Message m;
  m.type = 9;
  m.timestamp = ts;
  m.chunk_stream = rtmp::csid::kVideo;
  m.payload.assign(size, 0);
  m.payload[0] = key ? 0x17 : 0x27;
  m.payload[1] = 1;
  return m;
}

Message audio(uint32_t ts) {
  Message m;
  m.type = 8;
  m.timestamp = ts;
  m.chunk_stream = rtmp::csid::kAudio;
  m.payload = {0xAF, 1, 0, 0, 0, 0};
  return m;
}

// An enhanced HEVC frame of one track of a multitrack tag (OneTrack).
Message hevc_track(uint8_t track, bool key, uint32_t ts) {
  rtmp::MediaTag tag;
  tag.media = rtmp::MediaType::kVideo;
  tag.multitrack = track == 0 ? rtmp::Multitrack::kNone : rtmp::Multitrack::kOneTrack;
  rtmp::TrackFrame f;
  f.track_id = track;
  f.codec = rtmp::Codec::four_cc(rtmp::fourcc::kHevc);
  f.kind = rtmp::PacketKind::kCodedFrames;
  f.frame_type = key ? rtmp::frame_type::kKey : rtmp::frame_type::kInter;
  static const uint8_t kFrame[] = {0, 0, 0, 5, 0x26, 1, 2, 3, 4};
  f.payload = rtmp::ByteView(kFrame, sizeof kFrame);
  tag.frames.push_back(f);
  Message m;
  m.type = 9;
  m.timestamp = ts;
  m.chunk_stream = rtmp::csid::kVideo;
  std::string error;
  EXPECT_EQ(rtmp::write_media_tag(tag, m.payload, &error), rtmp::TagStatus::kOk) << error;
  return m;
}

// ---- KeyframeGate ----------------------------------------------------------------------------

TEST(KeyframeGate, LatencyHoldsOnlyTheTrackThatLostAFrame) {
  KeyframeGate g;
  auto k0 = rtmp::classify(hevc_track(0, true, 0));
  auto k1 = rtmp::classify(hevc_track(1, true, 0));
  EXPECT_EQ(g.check(k0), KeyframeGate::Verdict::kPass);
  EXPECT_EQ(g.check(k1), KeyframeGate::Verdict::kPass);
  g.hold(k1.tracks, KeyframeGate::Reason::kLatency);
  EXPECT_EQ(g.check(rtmp::classify(hevc_track(0, false, 40))), KeyframeGate::Verdict::kPass);
  EXPECT_EQ(g.check(rtmp::classify(hevc_track(1, false, 40))),
            KeyframeGate::Verdict::kHeldForLatency);
  EXPECT_EQ(g.check(rtmp::classify(audio(40))), KeyframeGate::Verdict::kPass);
  EXPECT_EQ(g.check(rtmp::classify(hevc_track(1, true, 80))), KeyframeGate::Verdict::kPass);
  EXPECT_EQ(g.check(rtmp::classify(hevc_track(1, false, 120))), KeyframeGate::Verdict::kPass);
  EXPECT_FALSE(g.holding());
}

TEST(KeyframeGate, AfterAReconnectionEveryVideoTrackAndAudioWait) {
  KeyframeGate g;
  g.check(rtmp::classify(hevc_track(0, true, 0)));
  g.check(rtmp::classify(hevc_track(2, true, 0)));
  g.hold_all_video();
  EXPECT_EQ(g.check(rtmp::classify(audio(10))), KeyframeGate::Verdict::kHeldForReconnect);
  EXPECT_EQ(g.check(rtmp::classify(hevc_track(2, false, 20))),
            KeyframeGate::Verdict::kHeldForReconnect);
  EXPECT_EQ(g.check(rtmp::classify(hevc_track(0, true, 30))), KeyframeGate::Verdict::kPass);
  EXPECT_EQ(g.check(rtmp::classify(audio(35))), KeyframeGate::Verdict::kPass);  // a picture came
  EXPECT_EQ(g.check(rtmp::classify(hevc_track(2, false, 40))),
            KeyframeGate::Verdict::kHeldForReconnect);  // track 2 has had no key frame yet
  EXPECT_EQ(g.check(rtmp::classify(hevc_track(2, true, 50))), KeyframeGate::Verdict::kPass);
}

TEST(KeyframeGate, HeadersAreNeverHeld) {
  KeyframeGate g;
  g.check(rtmp::classify(video(true, 0)));
  g.hold_all_video();
  Message header = video(true, 0, 20);
  header.payload[1] = 0;  // AVC sequence header
  EXPECT_EQ(g.check(rtmp::classify(header)), KeyframeGate::Verdict::kPass);
}

// ---- Publisher: the latency bound ------------------------------------------------------------

config::PublishOptions bounded(uint32_t ms) {
  config::PublishOptions o;
  o.queue_bytes = 1 << 20;
  o.max_latency_ms = ms;
  return o;
}

// An output that takes everything but writes only what the test lets it.
class FakePort : public OutputPort {
 public:
  size_t pending() const override { return queued_ - written_; }
  uint64_t written() const override { return written_; }
  uint64_t delivered() const override { return written_ > held ? written_ - held : 0; }
  void send(rtmp::MediaMessage&& m) override {
    queued_ += m.payload.size() + 12;
    sent.push_back(m.to_message());
  }
  bool flush() override {
    written_ += std::min<uint64_t>(queued_ - written_, capacity);
    return connected;
  }
  size_t capacity = SIZE_MAX;  // bytes written per flush
  uint64_t held = 0;           // of the bytes written, those the kernel still holds
  bool connected = true;
  std::vector<Message> sent;

 private:
  uint64_t queued_ = 0;
  uint64_t written_ = 0;
};

TEST(PublisherLatency, OverTheBoundVideoIsDroppedToTheNextKeyframeAudioNever) {
  Publisher p(bounded(1000));
  // Two seconds of a 10 fps video and audio queued while the link was stuck.
  for (uint32_t t = 0; t <= 2000; t += 100) {
    ASSERT_TRUE(p.push(video(t % 1000 == 0, t)));
    ASSERT_TRUE(p.push(audio(t + 10)));
  }
  EXPECT_EQ(p.queued_duration_ms(), 2010u);
  FakePort port;
  port.capacity = 0;  // nothing gets out: the queued span does not shrink
  p.drain(port, 0);
  size_t audio_sent = 0, video_sent = 0;
  for (const auto& m : port.sent) (m.type == 8 ? audio_sent : video_sent)++;
  EXPECT_EQ(audio_sent, 21u);
  EXPECT_EQ(video_sent, 3u);  // the key frames at 0, 1000 and 2000 only
  for (const auto& m : port.sent) {
    if (m.type == 9) {
      EXPECT_TRUE(rtmp::is_video_keyframe(m)) << m.timestamp;
    }
  }
  EXPECT_EQ(p.frames_dropped(), 18u);
}

TEST(PublisherLatency, UnderTheBoundNothingIsDroppedAndAfterADropTheTrackResumesAtAKey) {
  Publisher p(bounded(1000));
  FakePort port;
  ASSERT_TRUE(p.push(video(true, 0)));
  ASSERT_TRUE(p.push(video(false, 100)));
  p.drain(port, 0);
  EXPECT_EQ(port.sent.size(), 2u);
  // The link stalls: 1.2 s of media waits (the last frame written is at 100).
  port.capacity = 0;
  for (uint32_t t = 200; t <= 1300; t += 100) ASSERT_TRUE(p.push(video(false, t)));
  p.drain(port, 0);
  EXPECT_GT(p.frames_dropped(), 0u);
  // The link clears; frames below the bound still wait for the key frame.
  port.capacity = SIZE_MAX;
  port.flush();
  size_t before = port.sent.size();
  ASSERT_TRUE(p.push(video(false, 1400)));
  ASSERT_TRUE(p.push(video(true, 1500)));
  ASSERT_TRUE(p.push(video(false, 1600)));
  p.drain(port, 0);
  ASSERT_EQ(port.sent.size(), before + 2);
  EXPECT_EQ(port.sent[before].timestamp, 1500u);
  EXPECT_EQ(port.sent[before + 1].timestamp, 1600u);
}

// Written to the socket is not yet delivered: media the kernel still holds for the server
// (unsent, or sent and not acknowledged) counts towards the bound like media in the queue.
TEST(PublisherLatency, WhatTheKernelStillHoldsCountsTowardsTheBound) {
  Publisher p(bounded(1000));
  FakePort port;
  port.held = UINT64_MAX;  // everything written stays in the kernel
  for (uint32_t t = 0; t <= 2000; t += 100) {
    ASSERT_TRUE(p.push(video(t % 1000 == 0, t)));
    p.drain(port, 0);
    EXPECT_EQ(port.pending(), 0u);  // written at once
  }
  EXPECT_EQ(p.queued_duration_ms(), 2000u);
  EXPECT_EQ(p.frames_dropped(), 9u);  // 1100 to 1900
  ASSERT_EQ(port.sent.size(), 12u);
  EXPECT_EQ(port.sent.back().timestamp, 2000u);
  port.held = 0;  // the server has it all
  ASSERT_TRUE(p.push(video(false, 2100)));
  p.drain(port, 0);
  EXPECT_EQ(p.queued_duration_ms(), 0u);
  EXPECT_EQ(port.sent.size(), 13u);
}

TEST(PublisherLatency, ZeroNeverDrops) {
  Publisher p(bounded(0));
  for (uint32_t t = 0; t <= 5000; t += 100) ASSERT_TRUE(p.push(video(t == 0, t)));
  FakePort port;
  port.capacity = 0;
  p.drain(port, 0);
  EXPECT_EQ(port.sent.size(), 51u);
  EXPECT_EQ(p.frames_dropped(), 0u);
}

TEST(PublisherLatency, TheBoundCanChangeWhilePublishing) {
  Publisher p(bounded(0));
  for (uint32_t t = 0; t <= 3000; t += 100) ASSERT_TRUE(p.push(video(t == 0, t)));
  p.set_max_latency_ms(500);
  FakePort port;
  port.capacity = 0;
  p.drain(port, 0);
  EXPECT_EQ(port.sent.size(), 1u);  // the key frame only
}

TEST(PublisherDrain, StopsWhenTheOutputIsFullAndSaysWhenTheConnectionWentAway) {
  Publisher p(bounded(0));
  for (uint32_t t = 0; t < 100; t++) ASSERT_TRUE(p.push(video(t == 0, t * 10, 10'000)));
  FakePort port;
  port.capacity = 0;
  auto r = p.drain(port, 0);
  EXPECT_TRUE(r.connected);
  EXPECT_FALSE(r.reconnect);
  // 512 KiB may wait in the output without a bound; the rest stays queued.
  EXPECT_LT(port.sent.size(), 100u);
  EXPECT_GE(port.pending(), 512u * 1024);
  EXPECT_FALSE(p.empty());
  port.connected = false;
  port.capacity = SIZE_MAX;
  EXPECT_FALSE(p.drain(port, 0).connected);
}

// ---- CongestionMonitor -----------------------------------------------------------------------

CongestionReport queued(uint32_t ms) {
  CongestionReport r;
  r.queued_ms = ms;
  return r;
}

TEST(CongestionMonitor, ReportsWhenItBeginsWhileItLastsAndWhenItClears) {
  CongestionMonitor m;
  const uint32_t threshold = CongestionMonitor::threshold_ms(1000);
  EXPECT_EQ(threshold, 500u);
  EXPECT_EQ(CongestionMonitor::threshold_ms(0), 1000u);
  int64_t t = 1'000'000;
  EXPECT_FALSE(m.update(queued(100), threshold, t));
  EXPECT_EQ(m.next_report_us(), 0);
  auto r = m.update(queued(600), threshold, t += 10'000);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->congested);
  EXPECT_FALSE(m.update(queued(700), threshold, t += 100'000)) << "at most twice a second";
  EXPECT_EQ(m.next_report_us(), t - 100'000 + CongestionMonitor::kReportEveryUs);
  r = m.update(queued(800), threshold, t += 400'000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->queued_ms, 800u);
  // It clears 100 ms later: reported when 500 ms have passed since the last report.
  EXPECT_FALSE(m.update(queued(100), threshold, t += 100'000));
  EXPECT_NE(m.next_report_us(), 0);
  r = m.update(queued(100), threshold, t += 400'000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->congested);
  EXPECT_EQ(m.next_report_us(), 0);
  EXPECT_FALSE(m.update(queued(100), threshold, t += 1'000'000));
}

TEST(CongestionMonitor, AFlapInsideHalfASecondIsNotReported) {
  CongestionMonitor m;
  int64_t t = 0;
  ASSERT_TRUE(m.update(queued(600), 500, t));
  EXPECT_FALSE(m.update(queued(100), 500, t += 100'000));
  EXPECT_FALSE(m.update(queued(600), 500, t += 100'000));
  auto r = m.update(queued(600), 500, t += 300'000);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->congested);
}

// Dropping the tail of a GOP empties the queue, but the link is as slow as before: the stream
// stays congested until no frame was dropped for kDropHoldUs (and the queue is short).
TEST(CongestionMonitor, StaysCongestedWhileFramesAreBeingDropped) {
  CongestionMonitor m;
  auto at = [](uint32_t ms, uint64_t dropped) {
    CongestionReport r;
    r.queued_ms = ms;
    r.frames_dropped = dropped;
    return r;
  };
  int64_t t = 0;
  ASSERT_TRUE(m.update(at(600, 0), 500, t));
  auto r = m.update(at(20, 12), 500, t += 500'000);  // a GOP's tail dropped: the queue is short
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->congested);
  r = m.update(at(20, 12), 500, t += 500'000);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->congested);
  r = m.update(at(20, 12), 500, t += 1'000'000);  // 1.5 s after the drop
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->congested);
  EXPECT_FALSE(m.update(at(20, 12), 500, t += 499'999));  // not due yet
  r = m.update(at(20, 12), 500, t += 1);                  // 2 s after the drop, and due
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->congested);
  EXPECT_EQ(m.next_report_us(), 0);
}

// ---- EndOfStream -----------------------------------------------------------------------------

TEST(EndOfStream, WaitsForTheKernelThenShutsDownThenWaitsForTheServer) {
  EndOfStream e;
  e.start(0, 1'000'000, 1'000'000, 10'000);  // 1 MB left at 1 Mbit/s: 8 s, twice, plus 10 s
  EXPECT_EQ(e.next_deadline(), 10'000'000);  // unless something is delivered meanwhile
  e.on_outstanding(50, 999'000);
  EXPECT_EQ(e.on_output_empty(100, 5000, 2000), EndOfStream::Action::kWait);
  EXPECT_EQ(e.next_deadline(), 100 + EndOfStream::kPollUs);
  EXPECT_EQ(e.on_output_empty(50'000, 0, 2000), EndOfStream::Action::kShutdown);
  EXPECT_TRUE(e.shut_down());
  EXPECT_EQ(e.on_output_empty(60'000, 0, 2000), EndOfStream::Action::kDone);
  EXPECT_FALSE(e.close_wait_over(2'049'999));
  EXPECT_TRUE(e.close_wait_over(2'050'000));
  EXPECT_FALSE(e.overdue(25'999'999));
  EXPECT_TRUE(e.overdue(26'000'000));
  EXPECT_EQ(e.undelivered_text(1234, 26'000'000, false).substr(0, 70),
            "1234 bytes were not delivered to the server within 26.0 s after the en");
}

// A link that takes nothing more ends the wait after the timeout, long before a deadline made
// for a slow link; any progress starts the timeout again.
TEST(EndOfStream, GivesUpWhenNothingIsDeliveredForTheTimeout) {
  EndOfStream e;
  e.start(0, 1'000'000, 0, 5000);  // no rate yet: the deadline is minutes away
  EXPECT_EQ(e.next_deadline(), 5'000'000);
  e.on_outstanding(4'000'000, 900'000);
  EXPECT_FALSE(e.stalled(8'999'999));
  EXPECT_EQ(e.next_deadline(), 9'000'000);
  e.on_outstanding(8'000'000, 900'000);  // no change: no progress
  EXPECT_TRUE(e.stalled(9'000'000));
  EXPECT_FALSE(e.overdue(9'000'000));
  EXPECT_EQ(e.undelivered_text(900'000, 9'000'000, true),
            "900000 bytes were not delivered to the server within 9.0 s after the end of "
            "stream (no progress for 5.0 s: the timeout property)");
  e.on_outstanding(9'500'000, 0);  // everything delivered: nothing to stall
  EXPECT_FALSE(e.stalled(60'000'000));
  EndOfStream none;
  none.start(0, 1000, 0, 0);
  EXPECT_FALSE(none.stalled(INT64_MAX / 2));
}

TEST(EndOfStream, ASlowEstimateHasAFloorAndTimeoutZeroHasNoDeadline) {
  EndOfStream e;
  e.start(0, 80'000, 0, 5000);  // no rate measured: 64 kbit/s assumed, 10 s, twice
  EXPECT_FALSE(e.overdue(24'999'999));
  EXPECT_TRUE(e.overdue(25'000'000));
  EndOfStream none;
  none.start(0, 80'000, 0, 0);
  EXPECT_EQ(none.next_deadline(), 0);
  EXPECT_FALSE(none.overdue(INT64_MAX));
}

}  // namespace
}  // namespace rtmpsession
