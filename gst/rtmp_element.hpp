// What rtmpsink and rtmpsrc share besides the properties: the session on a shared event loop,
// its statistics, and the URI handler.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <optional>

#include "rtmp_bus.hpp"
#include "rtmp_location.hpp"
#include "session/session.hpp"

namespace rtmpgst {

// Owns the session of one element; the session runs on one of the shared loops
// (rtmpsession::LoopPool).
class SessionRunner {
 public:
  SessionRunner();
  ~SessionRunner();
  SessionRunner(const SessionRunner&) = delete;
  SessionRunner& operator=(const SessionRunner&) = delete;

  // Builds the session (not running yet); called from the element's start().
  // The session logs to `category`, the element's debug category.
  void create(GstElement* element, GstDebugCategory* category, config::Connection connection);
  // Attaches the session to a shared loop once; later calls do nothing.
  bool start_session();
  bool session_started() const { return started_; }
  // Cancels the session, waits until its loop let go of it (not for the network) and destroys
  // it, keeping its last stats.
  void stop();
  rtmpsession::Session* session() const { return session_.get(); }
  // The live session's statistics, or the last session's after stop().
  rtmpsession::SessionStats stats() const;

 private:
  std::unique_ptr<BusListener> listener_;
  std::unique_ptr<rtmpsession::Session> session_;
  mutable std::mutex stats_mutex_;  // guards session_ (as seen by stats()) and last_stats_
  rtmpsession::SessionStats last_stats_;
  bool started_ = false;
};

// The C++ part every element instance has; found from the GObject for the shared vfuncs.
struct ElementBase {
  SharedProperties props;
  SessionRunner runner;
  // Made by prepare_connection() on the way to PAUSED, taken by start().
  std::optional<config::Connection> prepared;
};

void attach_element_base(GObject* element, ElementBase* base);
ElementBase* element_base(gpointer element);

// The connection description from the element's settings (config::validate()), kept in
// `prepared`. On failure posts one RESOURCE/SETTINGS error saying what is wrong (never the
// password) and returns false. Called from the elements' change_state() before the base class
// starts them, so that a bad setting gives one ERROR (a failing start() makes the base classes
// post a second, generic one). Options accepted without effect (SWF verification) are logged.
bool prepare_connection(GstElement* element, rtmpsession::Role role);
// For start(): the prepared description (made now if the state change did not make it).
std::optional<config::Connection> take_prepared_connection(GstElement* element,
                                                           rtmpsession::Role role);

// Fills the GstURIHandler interface (rtmp:// URIs go to the `location`).
void init_uri_handler(GstURIHandlerInterface* iface, GstURIType type);

}  // namespace rtmpgst
