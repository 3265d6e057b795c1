// The session against scripted peers: cancellation from every phase, timeouts, address
// fallback, descriptor hygiene over many failed connects, and hostile servers.
#include <arpa/inet.h>
#include <dirent.h>
#include <gio/gio.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "fake_server.hpp"
#include "rtmp/control.hpp"
#include "session/session.hpp"
#include "session_test_support.hpp"

using namespace rtmpsession;
using fakertmp::FakeConnection;
using fakertmp::FakeRtmpServer;
using sessiontest::kPrompt;
using sessiontest::Recorder;
using sessiontest::refused_port;
using sessiontest::Running;
using sessiontest::SteadyClock;
using sessiontest::TestConfig;
using sessiontest::video_message;

namespace {

TestConfig config_for(uint16_t port, uint32_t timeout_ms = 5000, std::string host = "127.0.0.1") {
  TestConfig c;
  c.host = std::move(host);
  c.port = port;
  c.application = "app";
  c.stream = "stream";
  c.tc_url = "rtmp://127.0.0.1/app";
  c.timeout_ms = timeout_ms;
  return c;
}

// A listener whose accept queue is full and never drained: further connects get no answer
// (the kernel drops their SYNs), like a host that does not respond.
class BlackholeListener {
 public:
  BlackholeListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    for (int i = 0; i < 4; i++) {  // fill the queue
      int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
      fillers_.push_back(c);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~BlackholeListener() {
    for (int c : fillers_) close(c);
    close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_;
  std::vector<int> fillers_;
};

size_t open_fds() {
  size_t n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

// This process's end of a TCP connection to `port` on loopback (-1 if there is none).
int socket_connected_to(uint16_t port) {
  DIR* d = opendir("/proc/self/fd");
  int found = -1;
  while (dirent* e = readdir(d)) {
    int fd = atoi(e->d_name);
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    if (fd > 2 && getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0 &&
        peer.sin_family == AF_INET && ntohs(peer.sin_port) == port)
      found = fd;
  }
  closedir(d);
  return found;
}

}  // namespace

// ---- A resolver that never answers (until cancelled), or answers with given addresses ------

struct TestResolver {
  GResolver parent;
};
struct TestResolverClass {
  GResolverClass parent_class;
};
static std::vector<std::string> g_resolver_answer;  // empty: hang until cancelled
G_DEFINE_TYPE(TestResolver, test_resolver, G_TYPE_RESOLVER)

static void on_lookup_cancelled(GCancellable*, gpointer task) {
  g_task_return_new_error(G_TASK(task), G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
}

static void test_lookup_async(GResolver* r, const gchar*, GCancellable* cancellable,
                              GAsyncReadyCallback cb, gpointer data) {
  GTask* task = g_task_new(r, cancellable, cb, data);
  if (!g_resolver_answer.empty()) {
    GList* list = nullptr;
    for (auto& a : g_resolver_answer)
      list = g_list_append(list, g_inet_address_new_from_string(a.c_str()));
    g_task_return_pointer(task, list, reinterpret_cast<GDestroyNotify>(g_resolver_free_addresses));
  } else if (cancellable) {
    g_cancellable_connect(cancellable, G_CALLBACK(on_lookup_cancelled), g_object_ref(task),
                          g_object_unref);
  }
  g_object_unref(task);
}

static GList* test_lookup_finish(GResolver*, GAsyncResult* result, GError** error) {
  return static_cast<GList*>(g_task_propagate_pointer(G_TASK(result), error));
}

static GList* test_lookup_sync(GResolver*, const gchar*, GCancellable*, GError** error) {
  g_set_error(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "sync lookups not used");
  return nullptr;
}

static void test_resolver_class_init(TestResolverClass* klass) {
  GResolverClass* rc = G_RESOLVER_CLASS(klass);
  rc->lookup_by_name = test_lookup_sync;
  rc->lookup_by_name_async = test_lookup_async;
  rc->lookup_by_name_finish = test_lookup_finish;
}
static void test_resolver_init(TestResolver*) {}

class WithTestResolver {
 public:
  explicit WithTestResolver(std::vector<std::string> answer) {
    g_resolver_answer = std::move(answer);
    previous_ = g_resolver_get_default();
    GResolver* r = G_RESOLVER(g_object_new(test_resolver_get_type(), nullptr));
    g_resolver_set_default(r);
    g_object_unref(r);
  }
  ~WithTestResolver() {
    g_resolver_set_default(previous_);
    g_object_unref(previous_);
  }

 private:
  GResolver* previous_;
};

// ---- Cancellation from every phase -----------------------------------------------------------

TEST(SessionCancel, WhileResolving) {
  WithTestResolver hang({});
  Running r(config_for(1935, 0, "never.answers.test"));
  ASSERT_TRUE(r.recorder.wait_state(State::kResolving));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LT(r.cancel_and_join(), kPrompt);
  EXPECT_EQ(r.session.state(), State::kClosed);
}

TEST(SessionCancel, WhileConnectingToAnAddressThatNeverAnswers) {
  BlackholeListener hole;
  Running r(config_for(hole.port(), 0));
  ASSERT_TRUE(r.recorder.wait_state(State::kConnecting));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(r.session.state(), State::kConnecting) << "the connect was expected to hang";
  EXPECT_LT(r.cancel_and_join(), kPrompt);
}

TEST(SessionCancel, MidHandshakeWithASilentServer) {
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection&) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  Running r(config_for(server.port(), 0));
  ASSERT_TRUE(r.recorder.wait_state(State::kHandshaking));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LT(r.cancel_and_join(), kPrompt);
  release = true;
}

TEST(SessionCancel, WhileWaitingForACommandReply) {
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    c.handshake();
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  Running r(config_for(server.port(), 0));
  ASSERT_TRUE(r.recorder.wait_state(State::kConnectingApp));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LT(r.cancel_and_join(), kPrompt);
  release = true;
}

TEST(SessionCancel, WhileBlockedWritingToAPeerThatStoppedReading) {
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    c.accept_until_publishing();
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  TestConfig cfg = config_for(server.port(), 0);
  cfg.queue_bytes = 1 << 20;
  Running r(cfg);
  ASSERT_TRUE(r.recorder.wait_state(State::kPublishing));
  std::atomic<bool> pusher_done{false};
  std::thread pusher([&] {
    while (r.session.push_media(video_message(64 * 1024))) {
    }
    pusher_done = true;
  });
  // Wait until the queue is full and the pusher is blocked on it.
  auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  while (r.session.stats().queued_bytes < cfg.queue_bytes && SteadyClock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_FALSE(pusher_done) << "the peer was expected to block us";
  EXPECT_LT(r.cancel_and_join(), kPrompt);
  pusher.join();  // push_media() returned false at once
  EXPECT_TRUE(pusher_done);
  release = true;
}

// ---- Timeouts and address fallback ----------------------------------------------------------

TEST(SessionTimeout, ConnectToAnAddressThatNeverAnswers) {
  BlackholeListener hole;
  Running r(config_for(hole.port(), 300));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.recorder.error().state, State::kConnecting);
  EXPECT_NE(r.recorder.error().message.find("300 ms"), std::string::npos);
}

TEST(SessionTimeout, SilentServerDuringHandshake) {
  FakeRtmpServer server([&](FakeConnection& c) { c.stall_until_closed(); });
  Running r(config_for(server.port(), 300));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.recorder.error().state, State::kHandshaking);
}

TEST(SessionTimeout, ResolverThatNeverAnswers) {
  WithTestResolver hang({});
  Running r(config_for(1935, 300, "never.answers.test"));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.recorder.error().state, State::kResolving);
}

TEST(SessionConnect, TriesEveryResolvedAddressInTurn) {
  FakeRtmpServer server([&](FakeConnection& c) { c.accept_until_publishing(); });
  // 127.0.0.2 refuses (the server listens on 127.0.0.1 only); the session must move on.
  WithTestResolver two({"127.0.0.2", "127.0.0.1"});
  Running r(config_for(server.port(), 5000, "two.addresses.test"));
  EXPECT_TRUE(r.recorder.wait_state(State::kPublishing));
}

// ---- No descriptor leaks over many failed connects -----------------------------------------

TEST(SessionLeaks, ThousandFailedConnectsLeaveNoDescriptorBehind) {
  uint16_t refused = refused_port();
  BlackholeListener hole;
  size_t before = open_fds();
  for (int i = 0; i < 1000; i++) {
    Recorder rec;
    Session s(config_for(refused, 1000).connection(), &rec);
    s.run();
    ASSERT_EQ(rec.error().kind, ErrorKind::kConnectionRefused) << i;
  }
  for (int i = 0; i < 1000; i++) {
    Recorder rec;
    Session s(config_for(hole.port(), 2).connection(), &rec);
    s.run();
    ASSERT_EQ(rec.error().kind, ErrorKind::kTimeout) << i;
  }
  EXPECT_EQ(open_fds(), before);
}

// ---- Hostile servers: clear errors, bounded memory -------------------------------------------

namespace {

// Publishes, with the server scripted by `after_publish`; returns the error the session ended on.
SessionError hostile(std::function<void(FakeConnection&)> after_publish, bool expect_error = true) {
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_publishing()) return;
    after_publish(c);
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  Running r(config_for(server.port(), 3000));
  EXPECT_TRUE(r.recorder.wait_state(State::kPublishing));
  if (expect_error) {
    EXPECT_TRUE(r.recorder.wait_state(State::kBroken, 10000));
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let it all arrive
    EXPECT_EQ(r.session.state(), State::kPublishing);
  }
  SessionError e = r.recorder.error();
  r.cancel_and_join();
  release = true;
  return e;
}

rtmp::Bytes chunk_header(uint32_t csid, uint32_t length, uint8_t type) {
  rtmp::Bytes b;
  b.push_back(static_cast<uint8_t>(csid < 64 ? csid : 0));
  if (csid >= 64) b.push_back(static_cast<uint8_t>(csid - 64));
  rtmp::put_u24be(b, 0);
  rtmp::put_u24be(b, length);
  b.push_back(type);
  rtmp::put_u32le(b, 1);
  return b;
}

}  // namespace

TEST(SessionHostile, ClaimedSixteenMegabyteMessage) {
  SessionError e = hostile([](FakeConnection& c) { c.send_raw(chunk_header(5, 0xFFFFFF, 9)); });
  EXPECT_EQ(e.kind, ErrorKind::kProtocol);
  EXPECT_NE(e.message.find("malformed"), std::string::npos) << e.message;
}

TEST(SessionHostile, HugeChunkSizeIsHonouredWithoutHugeAllocations) {
  SessionError e = hostile(
      [](FakeConnection& c) {
        c.send_message(rtmp::control::set_chunk_size(0x7FFFFFFF));
        c.send_message(
            rtmp::control::user_control(rtmp::control::UserControlEvent::kPingRequest, 7));
      },
      false);
  EXPECT_EQ(e.kind, ErrorKind::kNone);
}

TEST(SessionHostile, ThousandsOfChunkStreams) {
  SessionError e = hostile([](FakeConnection& c) {
    rtmp::Bytes b;
    for (uint32_t cs = 64; cs < 64 + 5000; cs++) {
      rtmp::Bytes h = chunk_header(cs, 1000, 9);
      b.insert(b.end(), h.begin(), h.end());
      b.push_back(0);  // one byte of each message, never completed
    }
    c.send_raw(b);
  });
  EXPECT_EQ(e.kind, ErrorKind::kProtocol);
  EXPECT_NE(e.message.find("chunk stream"), std::string::npos) << e.message;
}

TEST(SessionHostile, EndlessControlMessagesAreAnsweredNotHoarded) {
  SessionError e = hostile(
      [](FakeConnection& c) {
        for (int i = 0; i < 20000; i++)
          c.send_message(
              rtmp::control::user_control(rtmp::control::UserControlEvent::kPingRequest, i));
      },
      false);
  EXPECT_EQ(e.kind, ErrorKind::kNone);
}

TEST(SessionHostile, GarbageAfterTheHandshake) {
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    c.handshake();
    rtmp::Bytes junk(4096);
    for (size_t i = 0; i < junk.size(); i++) junk[i] = static_cast<uint8_t>(i * 37 + 11);
    c.send_raw(junk);
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  Running r(config_for(server.port(), 3000));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kProtocol);
  release = true;
}

TEST(SessionHostile, WrongHandshakeVersion) {
  FakeRtmpServer server([&](FakeConnection& c) {
    rtmp::Bytes reply(1537, 0);
    reply[0] = 6;  // RTMPE
    c.send_raw(reply);
    c.stall_until_closed();
  });
  Running r(config_for(server.port(), 3000));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kHandshake);
  EXPECT_NE(r.recorder.error().message.find("version"), std::string::npos);
}

// ---- Reconnect --------------------------------------------------------------------------------

namespace {

rtmp::Message av(uint8_t type, rtmp::Bytes payload, uint32_t ts) {
  rtmp::Message m;
  m.type = type;
  m.chunk_stream = type == 8 ? rtmp::csid::kAudio : rtmp::csid::kVideo;
  m.timestamp = ts;
  m.payload = std::move(payload);
  return m;
}

rtmp::Message metadata() {
  rtmp::Message m;
  m.type = 18;
  m.chunk_stream = rtmp::csid::kData;
  for (const char* s : {"@setDataFrame", "onMetaData"}) {
    m.payload.push_back(0x02);
    rtmp::put_u16be(m.payload, static_cast<uint16_t>(strlen(s)));
    m.payload.insert(m.payload.end(), s, s + strlen(s));
  }
  return m;
}

// Headers, then frame i at 40 ms steps: a keyframe every 10 frames, audio after each frame.
void push_stream(Session& s, std::atomic<bool>& stop) {
  s.push_media(metadata());
  s.push_media(av(9, {0x17, 0, 0xAA}, 0));  // AVC sequence header
  s.push_media(av(8, {0xAF, 0, 0xBB}, 0));  // AAC sequence header
  for (uint32_t i = 0; !stop; i++) {
    uint8_t frame = i % 10 == 0 ? 0x17 : 0x27;
    if (!s.push_media(av(9, {frame, 1, static_cast<uint8_t>(i)}, i * 40))) return;
    if (!s.push_media(av(8, {0xAF, 1, static_cast<uint8_t>(i)}, i * 40))) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::vector<rtmp::Message> media_of(const std::vector<rtmp::Message>& log) {
  std::vector<rtmp::Message> out;
  for (const auto& m : log)
    if (m.type == 8 || m.type == 9 || m.type == 18) out.push_back(m);
  return out;
}

TestConfig reconnecting_config(uint16_t port, int attempts) {
  TestConfig c = config_for(port, 3000);
  c.reconnect_attempts = attempts;
  c.reconnect_delay_ms = 50;
  c.reconnect_max_delay_ms = 200;
  return c;
}

}  // namespace

TEST(SessionReconnect, PublisherResumesWithHeadersAtAKeyframe) {
  std::mutex mutex;
  std::vector<std::vector<rtmp::Message>> logs;
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    int index;
    {
      std::lock_guard lock(mutex);
      index = static_cast<int>(logs.size());
      logs.emplace_back();
    }
    if (!c.accept_until_publishing()) return;
    for (int n = 0; n < (index == 0 ? 25 : 60); n++)
      if (!c.read_message(3000)) break;
    {
      std::lock_guard lock(mutex);
      logs[index] = c.received();
    }
    if (index == 0) {
      c.abort();  // drop the first connection mid-stream
      return;
    }
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  Running r(reconnecting_config(server.port(), 3));
  std::atomic<bool> stop{false};
  std::thread pusher([&] { push_stream(r.session, stop); });
  ASSERT_TRUE(server.wait_finished(1, 10000));
  ASSERT_TRUE(r.recorder.wait_state(State::kReconnecting));
  auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  while (r.session.stats().reconnects < 1 && SteadyClock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(r.session.stats().reconnects, 1u);
  EXPECT_EQ(r.session.state(), State::kPublishing);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the second log fill
  stop = true;
  release = true;
  r.cancel_and_join();
  pusher.join();
  std::lock_guard lock(mutex);
  ASSERT_EQ(logs.size(), 2u);
  auto second = media_of(logs[1]);
  ASSERT_GE(second.size(), 5u);
  EXPECT_TRUE(rtmp::is_metadata(second[0]));
  EXPECT_TRUE(rtmp::is_video_sequence_header(second[1]));
  EXPECT_TRUE(rtmp::is_audio_sequence_header(second[2]));
  EXPECT_TRUE(rtmp::is_video_keyframe(second[3]) && !rtmp::is_video_sequence_header(second[3]))
      << "media must resume at a keyframe";
  // Timestamps only go forward across the reconnection.
  auto first = media_of(logs[0]);
  ASSERT_FALSE(first.empty());
  EXPECT_GE(second[3].timestamp, first.back().timestamp);
}

TEST(SessionReconnect, GivesUpAfterTheConfiguredAttempts) {
  std::atomic<int> connections{0};
  FakeRtmpServer server([&](FakeConnection& c) {
    if (connections++ == 0 && c.accept_until_publishing()) c.abort();
    // every later connection is closed before the handshake
  });
  Running r(reconnecting_config(server.port(), 2));
  r.join();
  SessionError e = r.recorder.error();
  EXPECT_EQ(e.kind, ErrorKind::kDisconnected);
  EXPECT_NE(e.message.find("gave up after 2 reconnection attempts"), std::string::npos)
      << e.message;
  EXPECT_EQ(connections.load(), 3);
}

TEST(SessionReconnect, OffByDefaultAFailureIsFinal) {
  FakeRtmpServer server([&](FakeConnection& c) {
    if (c.accept_until_publishing()) c.abort();
  });
  Running r(config_for(server.port(), 3000));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kDisconnected);
  EXPECT_EQ(r.session.stats().reconnects, 0u);
}

TEST(SessionReconnect, ReconnectRequestMovesToTheGivenUrlAtTheNextKeyframe) {
  std::atomic<bool> release{false};
  std::vector<rtmp::Message> log_b;
  std::string app_b;
  FakeRtmpServer b([&](FakeConnection& c) {
    if (!c.handshake()) return;
    auto connect = c.answer_connect();
    if (connect) app_b = connect->command_object.get_string("app").value_or("");
    if (!c.answer_create_stream() || !c.accept_publish()) return;
    for (int n = 0; n < 20; n++)
      if (!c.read_message(3000)) break;
    log_b = c.received();
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  FakeRtmpServer a([&](FakeConnection& c) {
    if (!c.accept_until_publishing()) return;
    for (int n = 0; n < 12; n++) c.read_message(3000);
    rtmp::amf0::Value info = rtmp::amf0::Value::Object();
    info.set("level", rtmp::amf0::Value::String("status"))
        .set("code", rtmp::amf0::Value::String("NetConnection.Connect.ReconnectRequest"))
        .set("tcUrl",
             rtmp::amf0::Value::String("rtmp://127.0.0.1:" + std::to_string(b.port()) + "/moved"));
    c.send_command("onStatus", 0, rtmp::amf0::Value::Null(), {info});
    c.read_until_closed(5000);
  });
  Running r(config_for(a.port(), 3000));  // reconnect-attempts 0: a request is still obeyed
  std::atomic<bool> stop{false};
  std::thread pusher([&] { push_stream(r.session, stop); });
  auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  while (r.session.stats().reconnects < 1 && SteadyClock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  release = true;
  r.cancel_and_join();
  pusher.join();
  b.stop();
  EXPECT_EQ(app_b, "moved");
  auto media = media_of(log_b);
  ASSERT_GE(media.size(), 4u);
  EXPECT_TRUE(rtmp::is_metadata(media[0]));
  EXPECT_TRUE(rtmp::is_video_keyframe(media[3]) && !rtmp::is_video_sequence_header(media[3]));
}

TEST(SessionReconnect, PlayerReconnectsAndMarksTheFirstMessageAfter) {
  std::atomic<int> connections{0};
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    int index = connections++;
    if (!c.handshake() || !c.answer_connect() || !c.answer_create_stream()) return;
    if (!c.expect_command("play", 3000)) return;
    c.send_status(1, "status", "NetStream.Play.Start", "go");
    for (uint8_t i = 0; i < 3; i++) {
      rtmp::Message m = av(9, {0x17, 1, static_cast<uint8_t>(index * 10 + i)}, i * 40);
      m.stream_id = 1;
      c.send_message(m);
    }
    if (index == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      c.abort();
      return;
    }
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  TestConfig cfg = reconnecting_config(server.port(), 3);
  cfg.role = Role::kPlay;
  Running r(cfg);
  std::vector<std::pair<uint8_t, bool>> got;  // (frame tag, discont)
  while (got.size() < 6) {
    rtmp::Message m;
    bool discont = false;
    auto res = sessiontest::pull_one(r.session, &m, 5000 * 1000, &discont);
    ASSERT_EQ(res, PullResult::kMessage);
    got.emplace_back(m.payload[2], discont);
  }
  release = true;
  std::vector<std::pair<uint8_t, bool>> expected = {{0, false}, {1, false},  {2, false},
                                                    {10, true}, {11, false}, {12, false}};
  EXPECT_EQ(got, expected);
  EXPECT_EQ(r.session.stats().reconnects, 1u);
}

// ---- Sustained publishing ---------------------------------------------------------------------

// Under a latency bound the kernel may keep only a little unsent (TCP_NOTSENT_LOWAT), so that a
// backlog waits in the queue where the bound sees it; without one it keeps the kernel's default.
// peak-kbps set before connecting caps the new socket's rate. Regression: both options were set
// on a connected socket only when they changed, so a bound set from the start never reached the
// socket and a slow link hid megabytes of backlog in the kernel.
TEST(SessionPublish, SocketOptionsForTheLatencyBoundAndThePeakRateFromTheStart) {
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_publishing()) return;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  for (uint32_t bound : {1000u, 0u}) {
    TestConfig cfg = config_for(server.port());
    cfg.max_latency_ms = bound;
    cfg.peak_kbps = 800;
    Running r(cfg);
    ASSERT_TRUE(r.session.wait_streaming());
    int fd = socket_connected_to(server.port());
    ASSERT_GE(fd, 0);
    int lowat = -1;
    socklen_t len = sizeof lowat;
    ASSERT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, &len), 0);
    EXPECT_EQ(lowat, bound ? 16 * 1024 : 0) << "bound " << bound;
    unsigned rate = 0;
    len = sizeof rate;
    ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, &len), 0);
    EXPECT_EQ(rate, 800u * 125) << "bound " << bound;
  }
  release = true;
}

// The counters and the send rate follow what is written while publishing, also to a server
// that sends nothing back (nginx acknowledges every 5 MB only). Regression: they were taken
// from the connection only when a message came in, so stats and the congestion reports showed
// the byte count of the start and a send rate falling towards zero.
TEST(SessionPublish, StatsFollowTheBytesWrittenWhileTheServerIsSilent) {
  constexpr uint64_t kBytes = 16 * 64 * 1024;
  std::atomic<uint64_t> received{0};
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_publishing()) return;
    while (received < kBytes)
      if (auto m = c.read_message(5000); m && m->type == 9) received += m->payload.size();
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  Running r(config_for(server.port()));
  ASSERT_TRUE(r.session.wait_streaming());
  for (int i = 0; i < 16; i++) ASSERT_TRUE(r.session.push_media(video_message(64 * 1024)));
  auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  while (received < kBytes && SteadyClock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(received.load(), kBytes);
  SessionStats s = r.session.stats();
  EXPECT_GE(s.bytes_sent, kBytes);
  EXPECT_EQ(s.media_messages_sent, 16u);
  EXPECT_GT(s.bitrate_bps, 0.0);
  release = true;
}

// Regression: a burst far over the queue bound, with the server acknowledging as it reads (the
// replies interleave with the writes), must all go out and let EOS finish; an earlier version
// stranded queued media when a reply flushed the output.
TEST(SessionPublish, BurstWithServerAcknowledgementsCompletesAndFinishes) {
  std::atomic<uint64_t> received{0};
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_publishing()) return;
    uint64_t next_ack = 1 << 20;
    while (auto m = c.read_message(5000)) {
      if (m->type == 9) received += m->payload.size();
      if (c.bytes_received() >= next_ack) {
        c.send_message(rtmp::control::acknowledgement(static_cast<uint32_t>(c.bytes_received())));
        next_ack += 1 << 20;
      }
    }
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  for (uint32_t chunk : {128u, 4096u}) {
    received = 0;
    TestConfig cfg = config_for(server.port(), 5000);
    cfg.chunk_size = chunk;
    Running r(cfg);
    constexpr int kMessages = 384;  // 24 MiB of 64 KiB messages, six times the queue bound
    for (int i = 0; i < kMessages; i++)
      ASSERT_TRUE(r.session.push_media(video_message(64 * 1024))) << i;
    auto finished = std::async(std::launch::async, [&] { return r.session.finish(); });
    if (finished.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      r.session.cancel();  // releases finish()
      FAIL() << "EOS never completed with chunk size " << chunk << ": media stranded in the queue";
    }
    EXPECT_TRUE(finished.get()) << "chunk " << chunk;
    r.join();
    EXPECT_EQ(r.session.state(), State::kClosed);
    EXPECT_EQ(r.session.stats().media_messages_sent, uint64_t{kMessages});
    auto deadline = SteadyClock::now() + std::chrono::seconds(10);
    while (received < uint64_t{kMessages} * 64 * 1024 && SteadyClock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(received.load(), uint64_t{kMessages} * 64 * 1024) << "chunk " << chunk;
  }
  release = true;
}

// Media pushed faster than real time is drained by the session's burst timer instead of one
// wake-up per message (Session::pace_drains()): every message must still arrive, in order and
// intact, without finish() (which wakes the loop) being what sends them; and a message pushed
// after the burst, into an idle session, must go out on its own.
TEST(SessionPublish, FastSmallMessagesArriveInOrderWithoutAWakeUpEach) {
  constexpr int kMessages = 3000;
  std::mutex mutex;
  std::vector<rtmp::Message> got;
  std::atomic<bool> release{false};
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.accept_until_publishing()) return;
    while (auto m = c.read_message(5000)) {
      if (m->type != 9) continue;
      std::lock_guard lock(mutex);
      got.push_back(std::move(*m));
    }
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  auto received = [&] {
    std::lock_guard lock(mutex);
    return got.size();
  };
  auto wait_for_count = [&](size_t n) {
    auto deadline = SteadyClock::now() + std::chrono::seconds(20);
    while (received() < n && SteadyClock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return received() >= n;
  };
  for (uint32_t chunk : {128u, 4096u}) {
    {
      std::lock_guard lock(mutex);
      got.clear();
    }
    TestConfig cfg = config_for(server.port(), 5000);
    cfg.chunk_size = chunk;
    Running r(cfg);
    ASSERT_TRUE(r.session.wait_streaming());
    for (int i = 0; i < kMessages; i++) {
      rtmp::Message m = video_message(1 + static_cast<size_t>(i * 7) % 9000);
      m.payload[0] = static_cast<uint8_t>(i);
      m.payload.back() = static_cast<uint8_t>(i >> 8);
      m.timestamp = static_cast<uint32_t>(i);
      ASSERT_TRUE(r.session.push_media(std::move(m))) << i;
    }
    ASSERT_TRUE(wait_for_count(kMessages)) << "chunk " << chunk << ": " << received();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the burst is over
    ASSERT_TRUE(r.session.push_media(video_message(10)));
    ASSERT_TRUE(wait_for_count(kMessages + 1)) << "a message into an idle session was not sent";
    {
      std::lock_guard lock(mutex);
      for (int i = 0; i < kMessages; i++) {
        const auto& p = got[static_cast<size_t>(i)].payload;
        ASSERT_EQ(p.size(), 1 + static_cast<size_t>(i * 7) % 9000) << i;
        EXPECT_EQ(p.back(), static_cast<uint8_t>(i >> 8)) << i;
        if (p.size() > 1) {
          EXPECT_EQ(p[0], static_cast<uint8_t>(i)) << i;
        }
        EXPECT_EQ(got[static_cast<size_t>(i)].timestamp, static_cast<uint32_t>(i));
      }
    }
    EXPECT_TRUE(r.session.finish());
    r.join();
  }
  release = true;
}
