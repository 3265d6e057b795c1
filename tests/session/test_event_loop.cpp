// The shared event loop: WakeBatcher's bound with times the test chooses (nothing sleeps), then
// EventLoop with real threads (wake-ups reach their client, detach stops them, a client detached
// by another one in the same batch is not run), then sessions sharing one loop thread against
// the fake server (one cancelled while the other goes on).
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "fake_server.hpp"
#include "session/event_loop.hpp"
#include "session/wake_batcher.hpp"
#include "session_test_support.hpp"

namespace rtmpsession {
namespace {

constexpr int64_t kBound = 20'000;

TEST(WakeBatcher, AnIdleLoopIsSignalledAtOnce) {
  WakeBatcher b(kBound);
  int64_t now = 1'000'000;
  EXPECT_TRUE(b.on_wake(false));
  EXPECT_EQ(b.served_by(now), now);
  EXPECT_FALSE(b.on_wake(false)) << "one signal until the loop took the batch";
  EXPECT_FALSE(b.on_wake(true));
}

TEST(WakeBatcher, WhileTickingWakeUpsWaitForTheNextTickAtMostTheBound) {
  WakeBatcher b(kBound);
  int64_t now = 1'000'000;
  ASSERT_TRUE(b.on_wake(false));
  EXPECT_EQ(b.on_batch(now, true), now + kBound);
  // Every wake-up from now until the tick: no signal, served by the tick.
  for (int64_t t = now; t <= now + kBound; t += 1'000) {
    EXPECT_FALSE(b.on_wake(false)) << t;
    EXPECT_LE(b.served_by(t) - t, kBound) << t;
    EXPECT_GE(b.served_by(t), t) << t;
  }
  // The tick finds work: the next one is one bound later again.
  now += kBound;
  EXPECT_EQ(b.on_batch(now, true), now + kBound);
  EXPECT_TRUE(b.ticking());
}

TEST(WakeBatcher, UrgentWakeUpsSignalEvenWhileTicking) {
  WakeBatcher b(kBound);
  int64_t now = 5'000'000;
  b.on_wake(false);
  b.on_batch(now, true);
  EXPECT_TRUE(b.on_wake(true));
  EXPECT_EQ(b.served_by(now + 1), now + 1);
  EXPECT_FALSE(b.on_wake(true)) << "already signalled";
}

TEST(WakeBatcher, ATickWithoutWorkEndsTicking) {
  WakeBatcher b(kBound);
  int64_t now = 1'000'000;
  b.on_wake(false);
  b.on_batch(now, true);
  EXPECT_EQ(b.on_batch(now + kBound, false), 0);
  EXPECT_FALSE(b.ticking());
  EXPECT_TRUE(b.on_wake(false)) << "idle again: the next wake-up signals";
}

TEST(WakeBatcher, ABoundOfZeroSignalsEveryBatch) {
  WakeBatcher b(0);
  for (int i = 0; i < 5; i++) {
    EXPECT_TRUE(b.on_wake(false)) << i;
    EXPECT_EQ(b.on_batch(1'000 * i, true), 0) << i;
  }
}

// A publisher's timed round or a deferred play read, on the fake clock: the first one starts the
// ticking one bound later, the others join that tick, and a wake-up meanwhile waits for it too.
TEST(WakeBatcher, DeferredRunsFallOnTheNextTickAtMostTheBoundAway) {
  sessiontest::FakeClock clock;
  WakeBatcher b(kBound);
  int64_t start = clock.now_us();
  EXPECT_EQ(b.on_defer(start), start + kBound);
  EXPECT_TRUE(b.ticking());
  clock.advance_us(5'000);
  EXPECT_EQ(b.on_defer(clock.now_us()), 0) << "joins the tick already armed";
  EXPECT_FALSE(b.on_wake(false));
  EXPECT_EQ(b.served_by(clock.now_us()), start + kBound);
  clock.advance_us(kBound - 5'000);
  EXPECT_EQ(b.on_batch(clock.now_us(), true), clock.now_us() + kBound);
  clock.advance_us(kBound);
  EXPECT_EQ(b.on_batch(clock.now_us(), false), 0) << "nothing deferred: idle";
  EXPECT_EQ(b.on_defer(clock.now_us()), clock.now_us() + kBound);
}

TEST(WakeBatcher, ADeferredRunWhileSignalledGoesWithTheSignalledBatch) {
  WakeBatcher b(kBound);
  ASSERT_TRUE(b.on_wake(true));
  EXPECT_EQ(b.on_defer(1'000), 0);
}

// Counts wake-ups; optionally detaches another client or itself when run.
class Counter : public LoopClient {
 public:
  explicit Counter(EventLoop& loop) : loop_(loop) {}
  void on_loop_wake() override {
    if (detach_other_) loop_.detach(detach_other_);
    if (detach_self_) loop_.detach(&slot);
    std::lock_guard lock(mutex_);
    count_++;
    changed_.notify_all();
  }
  void wait_for(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard lock(mutex_);
    return count_;
  }
  LoopSlot slot{this};
  LoopSlot* detach_other_ = nullptr;
  bool detach_self_ = false;

 private:
  EventLoop& loop_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

TEST(EventLoop, WakeUpsFromOtherThreadsReachTheirClient) {
  EventLoop loop(kBound);
  loop.start_thread("test-loop");
  Counter a(loop), b(loop);
  loop.attach(&a.slot);
  loop.attach(&b.slot);
  a.wait_for(1);  // attach runs the client once
  b.wait_for(1);
  EXPECT_EQ(loop.clients(), 2u);
  for (int i = 0; i < 100; i++) loop.wake(&a.slot, i % 10 == 0);
  a.wait_for(2);
  loop.wake(&b.slot, false);
  b.wait_for(2);
  // The last client detaches itself from its callback; a later wake-up does nothing.
  b.detach_self_ = true;
  loop.wake(&b.slot, true);
  b.wait_for(3);
  loop.wake(&b.slot, true);
  a.detach_self_ = true;
  loop.wake(&a.slot, true);
  a.wait_for(a.count() + 1);
  EXPECT_EQ(loop.clients(), 0u);
  EXPECT_EQ(b.count(), 3);
}

TEST(EventLoop, AClientDetachedByAnEarlierOneOfTheSameBatchIsNotRun) {
  EventLoop loop(0);
  Counter a(loop), b(loop);
  std::atomic<bool> done{false};
  // Nothing runs the loop yet: both wake-ups wait in one batch, a first.
  loop.attach(&a.slot);
  loop.attach(&b.slot);
  a.detach_other_ = &b.slot;
  loop.run_until([&] { return a.count() >= 1; });
  EXPECT_EQ(a.count(), 1);
  EXPECT_EQ(b.count(), 0);
  loop.wake(&b.slot, true);  // detached: ignored
  a.detach_other_ = nullptr;
  a.detach_self_ = true;
  loop.wake(&a.slot, true);
  loop.run_until([&] { return a.count() >= 2; });
  EXPECT_EQ(b.count(), 0);
  done = true;
}

TEST(LoopPool, AtMostTheConfiguredNumberOfLoops) {
  LoopPool& pool = LoopPool::shared();
  EXPECT_GE(pool.max_loops(), 1u);
  EventLoop& first = pool.pick();
  EXPECT_EQ(&first, &pool.pick()) << "an empty loop is reused";
  EXPECT_EQ(first.batch_bound_us(), LoopPool::kBatchBoundUs);
}

// A session's batch-latency chooses its loop: the loops of one bound are never shared with
// another bound, and each bound has its own limit.
TEST(LoopPool, SessionsShareLoopsOnlyWithTheSameBatchBound) {
  LoopPool& pool = LoopPool::shared();
  EventLoop& slow = pool.pick(250'000);
  EXPECT_EQ(slow.batch_bound_us(), 250'000);
  EventLoop& none = pool.pick(0);
  EXPECT_EQ(none.batch_bound_us(), 0);
  EXPECT_NE(&slow, &none);
  EXPECT_NE(&slow, &pool.pick()) << "the default bound has loops of its own";
  EXPECT_EQ(&slow, &pool.pick(250'000)) << "an empty loop of the same bound is reused";

  // Busy loops: a new one per bound until that bound reaches the limit, then the least busy.
  std::vector<std::pair<EventLoop*, std::unique_ptr<Counter>>> clients;
  std::set<EventLoop*> loops;
  for (size_t i = 0; i < pool.max_loops() + 2; i++) {
    EventLoop& l = pool.pick(300'000);
    EXPECT_EQ(l.batch_bound_us(), 300'000);
    loops.insert(&l);
    auto c = std::make_unique<Counter>(l);
    l.attach(&c->slot);
    c->wait_for(1);
    clients.emplace_back(&l, std::move(c));
  }
  EXPECT_EQ(loops.size(), pool.max_loops());
  for (auto& [l, c] : clients) {  // each detaches itself on its loop's thread
    c->detach_self_ = true;
    l->wake(&c->slot, true);
    c->wait_for(2);
  }
  for (EventLoop* l : loops) EXPECT_EQ(l->clients(), 0u);
}

}  // namespace
}  // namespace rtmpsession

namespace sessiontest {
namespace {

using fakertmp::FakeConnection;
using fakertmp::FakeRtmpServer;
using rtmpsession::EventLoop;
using rtmpsession::Session;

TestConfig config_for(uint16_t port) {
  TestConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  c.application = "app";
  c.stream = "stream";
  c.tc_url = "rtmp://127.0.0.1/app";
  c.timeout_ms = 5000;
  return c;
}

// Two publishing sessions on one loop thread; cancelling one (its server stopped reading, so
// it is blocked in a send and its pusher in a full queue) leaves the other streaming, and each
// detaches without waiting for the network.
TEST(SharedLoop, SessionsShareOneThreadAndStopIndependently) {
  std::atomic<bool> release{false};
  std::atomic<int> received{0};
  FakeRtmpServer stalling(
      [&](FakeConnection& c) {
        if (!c.accept_until_publishing()) return;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      },
      4096);
  FakeRtmpServer reading([&](FakeConnection& c) {
    if (!c.accept_until_publishing()) return;
    while (auto m = c.read_message(5000))
      if (m->type == 9) received++;
  });
  EventLoop loop(20'000);
  loop.start_thread("shared-test");
  Recorder rec_a, rec_b;
  TestConfig small_queue = config_for(stalling.port());
  Session a(small_queue.connection(), &rec_a);
  Session b(config_for(reading.port()).connection(), &rec_b);
  a.start(loop);
  b.start(loop);
  ASSERT_TRUE(a.wait_streaming());
  ASSERT_TRUE(b.wait_streaming());
  EXPECT_EQ(loop.clients(), 2u);
  std::thread pusher([&] {
    while (a.push_media(video_message(64 * 1024))) {
    }
  });
  for (int i = 0; i < 50; i++) ASSERT_TRUE(b.push_media(video_message(1000)));
  a.cancel();
  pusher.join();
  a.wait_detached();
  EXPECT_EQ(loop.clients(), 1u);
  EXPECT_TRUE(b.finish());
  b.wait_detached();
  EXPECT_EQ(received.load(), 50);
  EXPECT_EQ(loop.clients(), 0u);
  release = true;
}

// A played stream that trickles in (read batching: the socket is read at the loop's ticks), then
// comes in a burst (full reads: read as it comes), then trickles again: every message arrives,
// in order and intact, and the end of the stream after them.
TEST(SharedLoop, PlayedStreamTricklingThenBurstingArrivesWhole) {
  constexpr int kTrickle = 40, kBurst = 200;
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.handshake() || !c.answer_connect() || !c.answer_create_stream()) return;
    if (!c.expect_command("play", 3000)) return;
    c.send_status(1, "status", "NetStream.Play.Start", "go");
    uint32_t index = 0;
    auto send = [&](size_t size) {
      rtmp::Message m = video_message(size);
      m.payload[1] = static_cast<uint8_t>(index);
      m.payload.back() = static_cast<uint8_t>(index >> 8);
      m.timestamp = index++;
      m.stream_id = 1;
      c.send_message(m);
    };
    for (int i = 0; i < kTrickle; i++) {
      send(200);
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
    for (int i = 0; i < kBurst; i++) send(30'000);
    for (int i = 0; i < kTrickle; i++) {
      send(200);
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
    c.send_status(1, "status", "NetStream.Play.UnpublishNotify", "end");
    c.expect_command("deleteStream", 5000);
  });
  TestConfig cfg = config_for(server.port());
  cfg.role = rtmpsession::Role::kPlay;
  Running r(cfg);
  uint32_t next = 0;
  for (;;) {
    rtmp::Message m;
    auto res = pull_one(r.session, &m, 10'000'000);
    if (res != rtmpsession::PullResult::kMessage) {
      EXPECT_EQ(res, rtmpsession::PullResult::kEnd);
      break;
    }
    ASSERT_EQ(m.timestamp, next);
    ASSERT_EQ(m.payload[1], static_cast<uint8_t>(next));
    ASSERT_EQ(m.payload.back(), static_cast<uint8_t>(next >> 8));
    next++;
  }
  EXPECT_EQ(next, uint32_t{2 * kTrickle + kBurst});
}

}  // namespace
}  // namespace sessiontest
