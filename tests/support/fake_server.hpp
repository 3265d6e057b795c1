// A scripted in-process RTMP server for tests: it accepts TCP connections on 127.0.0.1 and runs a
// test-supplied handler for each one on its own thread. The handler drives the connection with
// blocking helpers built on the sans-I/O protocol core, so a test can produce exactly the server
// behaviour it needs (no answer, a wrong handshake, a rejection, a disconnect in the middle...).
//
// Every blocking helper takes a timeout or ends when the server stops, so a test never hangs on
// the fake server: the destructor stops the listener, shuts every connection down and joins all
// threads, even when a handler is stalled.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rtmp/amf0.hpp"
#include "rtmp/chunk_reader.hpp"
#include "rtmp/chunk_writer.hpp"
#include "rtmp/commands.hpp"
#include "rtmp/message.hpp"
#include "util/bytes.hpp"

namespace fakertmp {

// One accepted connection. All methods except abort() are meant for the handler's thread.
class FakeConnection {
 public:
  using Clock = std::chrono::steady_clock;

  FakeConnection(int fd, const std::atomic<bool>& stopping);
  ~FakeConnection();
  FakeConnection(const FakeConnection&) = delete;
  FakeConnection& operator=(const FakeConnection&) = delete;

  // Plays the server side of the plain handshake (C0/C1 -> S0/S1/S2, then C2). False on a bad
  // version byte, EOF, timeout or server stop. Bytes after C2 go to the chunk reader.
  bool handshake(int timeout_ms = 5000);
  bool handshake_done() const { return handshake_done_; }

  // Reads exactly `n` raw bytes (before or instead of the handshake); nullopt on EOF/timeout.
  std::optional<rtmp::Bytes> read_raw(size_t n, int timeout_ms);
  // Writes all of `data` (blocking, bounded by the server stop). False on error.
  bool send_raw(rtmp::ByteView data);

  // Next message from the client (after handshake()), control messages included; nullopt on EOF,
  // timeout, server stop or a chunk stream error. Every message returned is also appended to
  // received().
  std::optional<rtmp::Message> read_message(int timeout_ms);
  // Reads messages until an AMF0 command named `name`; nullopt on EOF/timeout. Skipped messages
  // stay in received().
  std::optional<rtmp::commands::Command> expect_command(const std::string& name, int timeout_ms);
  // Reads and records messages until the peer closes (or half-closes) the connection, the
  // timeout passes or the server stops. True when the peer closed.
  bool read_until_closed(int timeout_ms);
  // Every message read_message() has returned so far, in order.
  const std::vector<rtmp::Message>& received() const { return received_; }

  // Chunks one message with this connection's writer and sends it.
  bool send_message(const rtmp::Message& m);
  // Sends Set Chunk Size and uses the new size for later messages.
  bool set_chunk_size(uint32_t size);
  // AMF0 command: name, txn, command object, args... on chunk stream 3.
  bool send_command(const std::string& name, double txn, const rtmp::amf0::Value& cmd_object,
                    const std::vector<rtmp::amf0::Value>& args = {}, uint32_t stream_id = 0);
  // onStatus (txn 0, null command object) with an info object {level, code, description}.
  bool send_status(uint32_t stream_id, const std::string& level, const std::string& code,
                   const std::string& description);
  // _result with a null command object followed by `args`.
  bool reply_result(double txn, const std::vector<rtmp::amf0::Value>& args);
  // _error with a null command object and an info object {level "error", code, description}.
  bool reply_error(double txn, const std::string& code, const std::string& description);

  // Standard answers, so tests script only what differs from a well-behaved server. Each returns
  // the client's command it answered, or nullopt when it did not arrive in time.
  // connect -> _result {fmsVer, capabilities} {level status, code NetConnection.Connect.Success}
  std::optional<rtmp::commands::Command> answer_connect(int timeout_ms = 5000);
  // createStream -> _result null, stream_id
  std::optional<rtmp::commands::Command> answer_create_stream(int timeout_ms = 5000,
                                                              uint32_t stream_id = 1);
  // publish -> onStatus NetStream.Publish.Start on stream_id
  std::optional<rtmp::commands::Command> accept_publish(int timeout_ms = 5000,
                                                        uint32_t stream_id = 1);
  // handshake + answer_connect + answer_create_stream + accept_publish.
  bool accept_until_publishing(int timeout_ms = 5000);

  // Playing side. A User Control message (type 4, chunk stream 2): event type, then the 4-byte
  // value (a stream id for the stream events).
  bool send_user_control(uint16_t event, uint32_t value);
  // play -> [StreamIsRecorded (4) stream_id when `recorded`] + StreamBegin (0) stream_id +
  // onStatus NetStream.Play.Start on stream_id. Returns the play command.
  std::optional<rtmp::commands::Command> accept_play(int timeout_ms = 5000, uint32_t stream_id = 1,
                                                     bool recorded = false);
  // handshake + answer_connect + answer_create_stream + accept_play.
  bool accept_until_playing(int timeout_ms = 5000, bool recorded = false);
  // An audio (8), video (9), data (18) or aggregate (22) message on `stream_id`, on the chunk
  // stream usually used for its type (audio 4, video and aggregate 6, data 5).
  bool send_media(uint8_t type, uint32_t timestamp, rtmp::ByteView payload, uint32_t stream_id = 1);

  // Reads and discards raw bytes until the peer closes or the server stops (no timeout).
  void stall_until_closed();
  // Closes the socket (pending unread input makes that a reset). Idempotent.
  void close();
  // From any thread: shuts the socket down so blocked helpers return. Does not close the fd.
  void abort();

  bool peer_closed() const { return peer_closed_; }
  const std::string& error() const { return error_; }
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  enum class Fill { kData, kEof, kTimeout };

  // Waits for `events` on the socket until `deadline` (or the server stops). 1 ready, 0 not.
  int wait(short events, Clock::time_point deadline);
  // Receives what is available into `chunk`.
  Fill receive(Clock::time_point deadline, rtmp::Bytes& chunk);
  // Receives once and routes the bytes: to raw_ before the handshake, to the chunk reader after.
  Fill fill(Clock::time_point deadline);
  void feed_reader(rtmp::ByteView data);
  static Clock::time_point deadline_after(int timeout_ms);
  static int remaining_ms(Clock::time_point deadline);

  mutable std::mutex fd_mutex_;  // guards fd_ against abort() from other threads
  int fd_;
  const std::atomic<bool>& stopping_;
  bool handshake_done_ = false;
  bool peer_closed_ = false;
  bool reader_failed_ = false;
  std::string error_;
  uint64_t bytes_received_ = 0;
  rtmp::Bytes raw_;  // received bytes not yet consumed by the handshake / read_raw()
  rtmp::ChunkReader reader_;
  rtmp::ChunkWriter writer_;
  std::deque<rtmp::Message> ready_;
  std::vector<rtmp::Message> received_;
};

class FakeRtmpServer {
 public:
  using Handler = std::function<void(FakeConnection&)>;

  // Listens on 127.0.0.1 (port chosen by the system) and runs `handler` for each connection on
  // its own thread; the connection is closed when the handler returns. Throws
  // std::runtime_error when it cannot listen. A receive buffer size other than 0 is set on every
  // accepted connection (SO_RCVBUF, which also stops the kernel from growing it): a server that
  // stops reading then holds only that much, and the rest stays with the client.
  explicit FakeRtmpServer(Handler handler, int receive_buffer_bytes = 0);
  ~FakeRtmpServer();
  FakeRtmpServer(const FakeRtmpServer&) = delete;
  FakeRtmpServer& operator=(const FakeRtmpServer&) = delete;

  uint16_t port() const { return port_; }
  // Connections accepted / handlers returned so far.
  int accepted() const;
  int finished() const;
  // Waits until at least `count` handlers have returned. Whatever a handler wrote before
  // returning is visible to the caller once this returns true.
  bool wait_finished(int count, int timeout_ms);
  // Stops accepting, aborts every connection and joins all threads. Idempotent.
  void stop();

 private:
  void accept_loop();
  void run_handler(std::shared_ptr<FakeConnection> connection);

  Handler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
  std::thread accept_thread_;

  mutable std::mutex mutex_;
  std::condition_variable finished_cv_;
  std::vector<std::shared_ptr<FakeConnection>> connections_;
  std::vector<std::thread> threads_;  // touched by the accept thread, then by stop()
  int accepted_ = 0;
  int finished_ = 0;
};

}  // namespace fakertmp

// Convenience names at global scope.
using fakertmp::FakeConnection;
using fakertmp::FakeRtmpServer;
