// The session's parts on their own, without sockets or threads (but for the blocking push and
// pull, which get a second thread where a test needs one): Publisher, Player, ReconnectPolicy,
// StatsTracker. Time is whatever the test passes; nothing sleeps.
#include <gtest/gtest.h>

#include <thread>

#include "session/player.hpp"
#include "session/publisher.hpp"
#include "session/reconnect_policy.hpp"
#include "session/stats_tracker.hpp"

namespace rtmpsession {
namespace {

using rtmp::Message;

Message video(bool key, uint32_t ts, size_t size = 100) {
  Message m;
  m.type = 9;
  m.timestamp = ts;
  m.chunk_stream = rtmp::csid::kVideo;
  m.payload.assign(size, 0);
  m.payload[0] = key ? 0x17 : 0x27;  // AVC key / inter frame
  m.payload[1] = 1;                  // NALU
  return m;
}

Message avc_header(uint32_t ts = 0) {
  Message m = video(true, ts, 20);
  m.payload[1] = 0;  // AVC sequence header
  return m;
}

Message audio(uint32_t ts, size_t size = 50) {
  Message m;
  m.type = 8;
  m.timestamp = ts;
  m.chunk_stream = rtmp::csid::kAudio;
  m.payload.assign(size, 0);
  m.payload[0] = 0xAF;  // AAC
  m.payload[1] = 1;     // raw
  return m;
}

Message aac_header() {
  Message m = audio(0, 4);
  m.payload[1] = 0;
  return m;
}

config::PublishOptions publish_options(size_t queue = 1 << 20, size_t reconnect = 1000) {
  config::PublishOptions o;
  o.queue_bytes = queue;
  o.reconnect_buffer_bytes = reconnect;
  return o;
}

std::vector<Message> take_all(Publisher& p) {
  std::vector<Message> out;
  rtmp::MediaMessage m;
  while (p.next(&m) == Publisher::Next::kMessage) out.push_back(m.to_message());
  return out;
}

// ---- Publisher -------------------------------------------------------------------------------

TEST(Publisher, QueuesInOrderAndAsksForOneWakeUpPerEmptyQueue) {
  Publisher p(publish_options());
  bool wake = false;
  ASSERT_TRUE(p.push(video(true, 0), &wake));
  EXPECT_TRUE(wake);
  ASSERT_TRUE(p.push(audio(10), &wake));
  EXPECT_FALSE(wake);  // the loop drains until empty: one wake-up is enough
  EXPECT_EQ(p.queued_bytes(), 150u);
  auto sent = take_all(p);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].type, 9);
  EXPECT_EQ(sent[1].type, 8);
  EXPECT_TRUE(p.empty());
  ASSERT_TRUE(p.push(audio(20), &wake));
  EXPECT_TRUE(wake);
}

TEST(Publisher, WakeUpsAreCoalescedIntoTimedRounds) {
  Publisher p(publish_options());
  int64_t now = 5'000'000;
  bool wake = false;
  ASSERT_TRUE(p.push(video(true, 0), &wake));
  EXPECT_TRUE(wake) << "the first message after a quiet spell wakes the loop at once";
  take_all(p);
  int64_t due = p.drained(now, true);
  EXPECT_EQ(due, now + Publisher::kCoalesceUs) << "a round that took media: the next one is timed";
  ASSERT_TRUE(p.push(video(false, 1), &wake));
  EXPECT_FALSE(wake) << "until the timed round, new media waits for it";
  ASSERT_TRUE(p.push(audio(2), &wake));
  EXPECT_FALSE(wake);
  p.begin_timed_round();
  EXPECT_EQ(take_all(p).size(), 2u) << "the timed round takes what came meanwhile";
  due = p.drained(due, true);
  EXPECT_EQ(due, now + 2 * Publisher::kCoalesceUs);
  p.begin_timed_round();
  EXPECT_EQ(p.drained(due, false), 0) << "a round that took nothing ends the batching";
  ASSERT_TRUE(p.push(video(false, 3), &wake));
  EXPECT_TRUE(wake);
}

TEST(Publisher, TimedRoundsFollowTheSessionsBatchLatency) {
  config::PublishOptions o = publish_options();
  o.round_us = 250'000;
  Publisher p(o);
  ASSERT_TRUE(p.push(video(true, 0)));
  take_all(p);
  EXPECT_EQ(p.drained(1'000'000, true), 1'250'000);
}

TEST(Publisher, BlocksWhenFullUntilTaken) {
  Publisher p(publish_options(1000));
  ASSERT_TRUE(p.push(video(true, 0, 800)));
  ASSERT_TRUE(p.push(video(false, 1, 800)));  // under the bound when it came: taken
  std::atomic<bool> pushed{false};
  std::thread t([&] {
    EXPECT_TRUE(p.push(video(false, 2, 800)));  // over the bound: waits
    pushed = true;
  });
  for (int i = 0; i < 2000 && !pushed; i++) std::this_thread::yield();
  EXPECT_FALSE(pushed.load());
  rtmp::MediaMessage m;
  ASSERT_EQ(p.next(&m), Publisher::Next::kMessage);
  ASSERT_EQ(p.next(&m), Publisher::Next::kMessage);  // 0 bytes left: room
  t.join();
  EXPECT_TRUE(pushed.load());
}

TEST(Publisher, FlushingAndClosingRefusePushes) {
  Publisher p(publish_options(1000));
  ASSERT_TRUE(p.push(video(true, 0, 900)));
  std::thread t([&] { EXPECT_FALSE(p.push(video(false, 1, 900))); });
  p.set_flushing(true);  // wakes the blocked push
  t.join();
  EXPECT_FALSE(p.push(audio(1)));
  p.set_flushing(false);
  EXPECT_TRUE(p.push(audio(2)));
  p.close();
  EXPECT_FALSE(p.push(audio(3)));
}

TEST(Publisher, AfterAReconnectionHeadersFirstThenFromAKeyframe) {
  Publisher p(publish_options(1 << 20, 1 << 20));
  for (auto&& m : {avc_header(), aac_header(), video(true, 0), audio(5), video(false, 33)})
    ASSERT_TRUE(p.push(Message(m)));
  EXPECT_TRUE(p.on_streaming(false).empty());
  EXPECT_EQ(take_all(p).size(), 5u);

  p.on_disconnected();
  for (auto&& m : {video(false, 66), audio(70), video(false, 99), video(true, 132), audio(135)})
    ASSERT_TRUE(p.push(Message(m)));
  std::vector<Message> replay = p.on_streaming(true);
  ASSERT_EQ(replay.size(), 2u);  // the video and the audio sequence header, re-stamped
  EXPECT_TRUE(rtmp::is_video_sequence_header(replay[0]));
  EXPECT_TRUE(rtmp::is_audio_sequence_header(replay[1]));
  EXPECT_EQ(replay[0].timestamp, 33u);
  auto sent = take_all(p);
  ASSERT_EQ(sent.size(), 2u);  // the keyframe and what follows; audio before it is skipped too
  EXPECT_TRUE(rtmp::is_video_keyframe(sent[0]));
  EXPECT_EQ(sent[0].timestamp, 132u);
  EXPECT_EQ(p.skipped_until_keyframe(), 3u);
}

TEST(Publisher, WhileReconnectingTheOldestMediaIsDroppedBeyondTheBound) {
  Publisher p(publish_options(1000, 250));
  p.on_disconnected();
  for (uint32_t i = 0; i < 10; i++) ASSERT_TRUE(p.push(video(i == 0, i * 33)));  // never blocks
  EXPECT_LE(p.queued_bytes(), 250u);
  EXPECT_EQ(p.dropped_messages(), 8u);
  EXPECT_EQ(p.dropped_bytes(), 800u);
}

TEST(Publisher, ServerReconnectRequestWaitsForAKeyframe) {
  Publisher p(publish_options());
  ASSERT_TRUE(p.push(video(true, 0)));
  take_all(p);
  p.request_reconnect();
  for (auto&& m : {video(false, 33), audio(40), video(true, 66)}) ASSERT_TRUE(p.push(Message(m)));
  rtmp::MediaMessage m;
  ASSERT_EQ(p.next(&m), Publisher::Next::kMessage);
  ASSERT_EQ(p.next(&m), Publisher::Next::kMessage);
  EXPECT_EQ(p.next(&m), Publisher::Next::kReconnect);
  // The keyframe stays queued for the new connection.
  ASSERT_EQ(p.next(&m), Publisher::Next::kMessage);
  EXPECT_EQ(m.timestamp, 66u);
}

TEST(Publisher, ReconnectRequestWithoutVideoIsAtOnce) {
  Publisher p(publish_options());
  ASSERT_TRUE(p.push(audio(0)));
  take_all(p);
  p.request_reconnect();
  ASSERT_TRUE(p.push(audio(20)));
  rtmp::MediaMessage m;
  EXPECT_EQ(p.next(&m), Publisher::Next::kReconnect);
}

// ---- Player ----------------------------------------------------------------------------------

config::PlayOptions play_options(size_t queue) {
  config::PlayOptions o;
  o.queue_bytes = queue;
  return o;
}

// One message, as the source takes them (pull_batch with a limit of one).
PullResult pull(Player& p, Message* m, int64_t timeout_us, bool* discont, bool* resume) {
  std::vector<Message> one;
  PullResult r = p.pull_batch(&one, 1, timeout_us, discont, resume);
  if (r == PullResult::kMessage) *m = std::move(one.front());
  return r;
}

TEST(Player, PullGivesMessagesThenTimesOut) {
  Player p(play_options(1 << 20));
  p.on_media(video(true, 0));
  p.deliver();
  Message m;
  bool discont = false, resume = false;
  EXPECT_EQ(pull(p, &m, 0, &discont, &resume), PullResult::kMessage);
  EXPECT_FALSE(discont);
  EXPECT_EQ(pull(p, &m, 0, &discont, &resume), PullResult::kTimeout);
}

TEST(Player, ReadingPausesAtTheBoundAndResumesAtHalf) {
  Player p(play_options(1000));
  EXPECT_TRUE(p.update_reading());
  for (int i = 0; i < 10; i++) p.on_media(video(false, i * 10, 100));
  p.deliver();
  EXPECT_FALSE(p.update_reading());  // 1000 bytes queued
  Message m;
  bool resume = false;
  for (int i = 0; i < 5; i++) {
    ASSERT_EQ(pull(p, &m, 0, nullptr, &resume), PullResult::kMessage);
    EXPECT_FALSE(resume) << i;
    EXPECT_FALSE(p.update_reading()) << "still above half after " << i + 1;
  }
  ASSERT_EQ(pull(p, &m, 0, nullptr, &resume), PullResult::kMessage);
  EXPECT_TRUE(resume);  // below half: the session must be woken to read again
  EXPECT_TRUE(p.update_reading());
}

TEST(Player, SeekDropsWhatIsQueuedUntilConfirmedAndOnceForManyPads) {
  Player p(play_options(1 << 20));
  p.on_media(video(true, 0));
  EXPECT_TRUE(p.seek(5000));
  EXPECT_FALSE(p.seek(5000)) << "the second pad's copy of the same seek";
  p.on_media(video(false, 40));  // still the old position: dropped
  Player::Requests r = p.take_requests();
  ASSERT_TRUE(r.seek_ms);
  EXPECT_EQ(*r.seek_ms, 5000u);
  p.on_seek_done();
  p.on_media(video(true, 5000));
  p.deliver();
  Message m;
  ASSERT_EQ(pull(p, &m, 0, nullptr, nullptr), PullResult::kMessage);
  EXPECT_EQ(m.timestamp, 5000u);
  EXPECT_TRUE(p.seek(6000));  // a new position is a new seek
}

TEST(Player, PauseRequestCarriesThePosition) {
  Player p(play_options(1 << 20));
  p.on_media(video(true, 1234));
  p.pause(true);
  Player::Requests r = p.take_requests();
  EXPECT_EQ(r.pause, true);
  EXPECT_EQ(r.position_ms, 1234u);
  EXPECT_FALSE(p.take_requests().pause.has_value());
}

TEST(Player, FirstMessageOfANewConnectionIsMarked) {
  Player p(play_options(1 << 20));
  p.on_media(video(true, 0));
  p.on_reconnected();
  p.on_media(video(true, 100));
  p.deliver();
  Message m;
  bool discont = false;
  ASSERT_EQ(pull(p, &m, 0, &discont, nullptr), PullResult::kMessage);
  EXPECT_FALSE(discont);
  ASSERT_EQ(pull(p, &m, 0, &discont, nullptr), PullResult::kMessage);
  EXPECT_TRUE(discont);
  EXPECT_EQ(m.timestamp, 100u);
}

TEST(Player, WhatOneReadBroughtIsDeliveredAtOnce) {
  Player p(play_options(1 << 20));
  std::vector<Message> batch;
  std::thread t(
      [&] { EXPECT_EQ(p.pull_batch(&batch, 64, -1, nullptr, nullptr), PullResult::kMessage); });
  for (int i = 0; i < 3; i++) p.on_media(video(i == 0, i * 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(batch.empty()) << "staged media is not visible before deliver()";
  p.deliver();
  t.join();
  EXPECT_EQ(batch.size(), 3u);
}

TEST(Player, BatchTakesWhatIsQueuedUpToTheLimit) {
  Player p(play_options(1 << 20));
  for (int i = 0; i < 5; i++) p.on_media(video(i == 0, i * 10));
  p.deliver();
  std::vector<Message> batch;
  bool discont = false, resume = false;
  ASSERT_EQ(p.pull_batch(&batch, 3, 0, &discont, &resume), PullResult::kMessage);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[2].timestamp, 20u);
  ASSERT_EQ(p.pull_batch(&batch, 64, 0, &discont, &resume), PullResult::kMessage);
  ASSERT_EQ(batch.size(), 5u) << "appended";
  EXPECT_EQ(batch[4].timestamp, 40u);
  EXPECT_FALSE(discont);
  EXPECT_EQ(p.pull_batch(&batch, 64, 0, &discont, &resume), PullResult::kTimeout);
  p.on_media(video(false, 50));
  p.deliver();
  batch.clear();
  ASSERT_EQ(p.pull_batch(&batch, 0, 0, nullptr, nullptr), PullResult::kMessage);
  EXPECT_EQ(batch.size(), 1u) << "a limit of 0 still takes one";
}

TEST(Player, BatchEndsBeforeTheFirstMessageOfANewConnection) {
  Player p(play_options(1 << 20));
  p.on_media(video(true, 0));
  p.on_media(video(false, 40));
  p.on_reconnected();
  p.on_media(video(true, 100));
  p.on_media(video(false, 140));
  p.deliver();
  std::vector<Message> batch;
  bool discont = false;
  ASSERT_EQ(p.pull_batch(&batch, 64, 0, &discont, nullptr), PullResult::kMessage);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_FALSE(discont);
  batch.clear();
  ASSERT_EQ(p.pull_batch(&batch, 64, 0, &discont, nullptr), PullResult::kMessage);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_TRUE(discont) << "set for the batch the new connection starts";
  EXPECT_EQ(batch[0].timestamp, 100u);
}

TEST(Player, BatchAsksToResumeReadingOnceBelowHalf) {
  Player p(play_options(1000));
  for (int i = 0; i < 10; i++) p.on_media(video(false, i * 10, 100));
  p.deliver();
  EXPECT_FALSE(p.update_reading());
  std::vector<Message> batch;
  bool resume = false;
  ASSERT_EQ(p.pull_batch(&batch, 4, 0, nullptr, &resume), PullResult::kMessage);
  EXPECT_FALSE(resume) << "600 bytes left";
  ASSERT_EQ(p.pull_batch(&batch, 4, 0, nullptr, &resume), PullResult::kMessage);
  EXPECT_TRUE(resume) << "200 bytes left";
  EXPECT_TRUE(p.update_reading());
}

TEST(Player, EndsAfterTheQueueOrAtOnceWhenFlushing) {
  Player p(play_options(1 << 20));
  p.on_media(video(true, 0));
  p.deliver();
  p.on_session_ended(PullResult::kError);
  Message m;
  EXPECT_EQ(pull(p, &m, -1, nullptr, nullptr), PullResult::kMessage);
  EXPECT_EQ(pull(p, &m, -1, nullptr, nullptr), PullResult::kError);
  Player q(play_options(1 << 20));
  q.on_media(video(true, 0));
  q.deliver();
  q.on_session_ended(PullResult::kFlushing);  // cancelled
  EXPECT_EQ(pull(q, &m, -1, nullptr, nullptr), PullResult::kFlushing);
}

TEST(Player, StreamEndIsTheEndUnlessASeekIsPending) {
  Player p(play_options(1 << 20));
  p.on_stream_ended();
  Message m;
  EXPECT_EQ(pull(p, &m, 0, nullptr, nullptr), PullResult::kEnd);
  Player q(play_options(1 << 20));
  EXPECT_TRUE(q.seek(100));
  q.on_stream_ended();  // the end of the old position
  EXPECT_EQ(pull(q, &m, 0, nullptr, nullptr), PullResult::kTimeout);
}

TEST(Player, InterruptEndsAWaitWithoutALimitOnce) {
  Player p(play_options(1 << 20));
  std::thread t([&] {
    Message m;
    EXPECT_EQ(pull(p, &m, -1, nullptr, nullptr), PullResult::kTimeout);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  p.interrupt();
  t.join();
  Message m;
  EXPECT_EQ(pull(p, &m, 0, nullptr, nullptr), PullResult::kTimeout);
  p.interrupt();  // with a message queued the message comes, and the interruption is spent
  p.on_media(video(true, 0));
  p.deliver();
  EXPECT_EQ(pull(p, &m, 0, nullptr, nullptr), PullResult::kMessage);
  EXPECT_EQ(pull(p, &m, 0, nullptr, nullptr), PullResult::kTimeout);
  p.on_session_ended(PullResult::kError);
  p.interrupt();
  EXPECT_EQ(pull(p, &m, -1, nullptr, nullptr), PullResult::kError) << "the end wins";
}

TEST(Player, FlushingWakesABlockedPull) {
  Player p(play_options(1 << 20));
  std::thread t([&] {
    Message m;
    EXPECT_EQ(pull(p, &m, -1, nullptr, nullptr), PullResult::kFlushing);
  });
  p.set_flushing(true);
  t.join();
}

// ---- ReconnectPolicy -------------------------------------------------------------------------

config::ReconnectOptions reconnect_options(int attempts, uint32_t delay = 1000,
                                           uint32_t max = 30000) {
  config::ReconnectOptions o;
  o.attempts = attempts;
  o.delay_ms = delay;
  o.max_delay_ms = max;
  return o;
}

TEST(ReconnectPolicy, NeverBeforeTheFirstStreamNorWhenOff) {
  ReconnectPolicy off(reconnect_options(0), {});
  off.on_streaming();
  std::string msg = "reset";
  EXPECT_FALSE(off.on_failure(ErrorKind::kDisconnected, &msg, false).reconnect);
  ReconnectPolicy on(reconnect_options(3), {});
  EXPECT_FALSE(on.on_failure(ErrorKind::kConnectionRefused, &msg, false).reconnect)
      << "a first connection that never streamed fails";
  EXPECT_EQ(msg, "reset");
}

TEST(ReconnectPolicy, BackoffDoublesUpToTheBoundAndGivesUp) {
  ReconnectPolicy p(reconnect_options(5, 1000, 5000), {});
  EXPECT_FALSE(p.on_streaming());
  std::vector<uint32_t> delays;
  std::string msg;
  for (int i = 0; i < 5; i++) {
    msg = "server closed the connection";
    auto d = p.on_failure(ErrorKind::kDisconnected, &msg, false);
    ASSERT_TRUE(d.reconnect) << i;
    EXPECT_EQ(p.attempt(), unsigned(i + 1));
    EXPECT_TRUE(p.resuming());
    delays.push_back(d.delay_ms);
  }
  EXPECT_EQ(delays, (std::vector<uint32_t>{1000, 2000, 4000, 5000, 5000}));
  msg = "refused";
  EXPECT_FALSE(p.on_failure(ErrorKind::kConnectionRefused, &msg, false).reconnect);
  EXPECT_EQ(msg, "gave up after 5 reconnection attempts: refused");
}

TEST(ReconnectPolicy, ANewOutageStartsAtTheFirstDelay) {
  ReconnectPolicy p(reconnect_options(-1, 100, 10000), {});
  p.on_streaming();
  std::string msg = "x";
  EXPECT_EQ(p.on_failure(ErrorKind::kDisconnected, &msg, false).delay_ms, 100u);
  EXPECT_EQ(p.on_failure(ErrorKind::kTimeout, &msg, false).delay_ms, 200u);
  EXPECT_TRUE(p.on_streaming());  // back: counted
  EXPECT_EQ(p.reconnects(), 1u);
  auto d = p.on_failure(ErrorKind::kDisconnected, &msg, false);
  EXPECT_EQ(d.delay_ms, 100u);
  EXPECT_EQ(p.attempt(), 1u);
  EXPECT_EQ(d.reason, "x; attempt 1 in 100 ms");
}

TEST(ReconnectPolicy, ConfigurationAndCredentialProblemsAreNotOutages) {
  ReconnectPolicy p(reconnect_options(-1), {});
  p.on_streaming();
  std::string msg;
  EXPECT_FALSE(p.on_failure(ErrorKind::kBadLocation, &msg, false).reconnect);
  EXPECT_FALSE(p.on_failure(ErrorKind::kAuthFailed, &msg, false).reconnect);
  EXPECT_FALSE(p.on_failure(ErrorKind::kDisconnected, &msg, true).reconnect)
      << "a break while closing is the end";
}

TEST(ReconnectPolicy, ServerRequestIsAtOnceAndAttemptOne) {
  ReconnectPolicy p(reconnect_options(0), {});
  auto d = p.on_reconnect_request();
  EXPECT_TRUE(d.reconnect);
  EXPECT_EQ(d.delay_ms, 0u);
  EXPECT_EQ(p.attempt(), 1u);
  EXPECT_EQ(d.reason, "server requested a reconnection; attempt 1 in 0 s");
}

TEST(ReconnectPolicy, AuthenticationRoundsAreBoundedAndResetPerSeries) {
  config::Credentials c{"alice", "secret", config::Authmod::kAuto};
  ReconnectPolicy p(reconnect_options(3), c);
  rtmp::auth::Rejection need = rtmp::auth::parse_rejection(
      "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : ");
  for (int i = 0; i < rtmp::auth::Negotiator::kMaxRounds; i++) {
    auto step = p.on_auth_rejection(need, "app", 42);
    ASSERT_EQ(step.action, rtmp::auth::Step::Action::kReconnect) << i;
    EXPECT_NE(p.auth_query().find("authmod=adobe"), std::string::npos);
  }
  auto step = p.on_auth_rejection(need, "app", 42);
  EXPECT_EQ(step.action, rtmp::auth::Step::Action::kFail);
  EXPECT_EQ(step.message.find("secret"), std::string::npos);
  // A network reconnection answers the server's challenge afresh.
  p.on_streaming();
  std::string msg = "x";
  ASSERT_TRUE(p.on_failure(ErrorKind::kDisconnected, &msg, false).reconnect);
  EXPECT_TRUE(p.auth_query().empty());
  EXPECT_EQ(p.on_auth_rejection(need, "app", 42).action, rtmp::auth::Step::Action::kReconnect);
}

// ---- StatsTracker ----------------------------------------------------------------------------

TEST(StatsTracker, TotalsAcrossConnectionsAndTheRateUpToNow) {
  StatsTracker t(Role::kPublish);
  rtmp::ClientCounters c;
  int64_t now = 10'000'000;
  t.update(&c, now);
  c.bytes_out = 250'000;
  c.messages_out = 10;
  c.out_chunk_size = 4096;
  t.update(&c, now + 1'000'000);
  SessionStats s;
  t.fill(&s, now + 1'000'000);
  EXPECT_EQ(s.bytes_sent, 250'000u);
  EXPECT_DOUBLE_EQ(s.bitrate_bps, 2'000'000.0);  // 250 kB in 1 s
  t.fill(&s, now + 2'000'000);                   // nothing moved for a second: the rate halves
  EXPECT_DOUBLE_EQ(s.bitrate_bps, 1'000'000.0);

  t.connection_ended(c);
  rtmp::ClientCounters next;
  next.bytes_out = 1000;
  t.update(&next, now + 2'500'000);
  t.fill(&s, now + 2'500'000);
  EXPECT_EQ(s.bytes_sent, 251'000u);
  EXPECT_EQ(s.messages_sent, 10u);
  EXPECT_EQ(s.out_chunk_size, 128u);  // the new connection's own setting
  t.fill(&s, now + 60'000'000);
  EXPECT_DOUBLE_EQ(s.bitrate_bps, 0.0) << "a minute without traffic";
}

// A publisher's send rate is what reached the server: 1 MB written at once into a kernel
// buffer, of which the server has 125 kB a second later, is a 1 Mbit/s link, not 8 Mbit/s.
TEST(StatsTracker, TheSendRateCountsWhatTheServerHasNotWhatTheKernelTook) {
  StatsTracker t(Role::kPublish);
  rtmp::ClientCounters c;
  t.update(&c, 0);
  c.bytes_out = 1'000'000;
  t.update(&c, 1'000'000, 875'000);
  SessionStats s;
  t.fill(&s, 1'000'000);
  EXPECT_DOUBLE_EQ(s.bitrate_bps, 8'000'000.0);
  EXPECT_DOUBLE_EQ(s.send_rate_bps, 1'000'000.0);
  t.update(&c, 2'000'000, 750'000);
  t.fill(&s, 2'000'000);
  EXPECT_DOUBLE_EQ(s.send_rate_bps, 1'000'000.0);
  StatsTracker player(Role::kPlay);
  player.update(&c, 0);
  player.fill(&s, 1'000'000);
  EXPECT_DOUBLE_EQ(s.send_rate_bps, 0.0);
}

TEST(StatsTracker, PlayersCountIncomingBytes) {
  StatsTracker t(Role::kPlay);
  rtmp::ClientCounters c;
  t.update(&c, 0);
  c.bytes_in = 125'000;
  c.bytes_out = 999'999;
  t.update(&c, 1'000'000);
  SessionStats s;
  t.fill(&s, 1'000'000);
  EXPECT_DOUBLE_EQ(s.bitrate_bps, 1'000'000.0);
  EXPECT_EQ(s.bytes_received, 125'000u);
}

}  // namespace
}  // namespace rtmpsession
