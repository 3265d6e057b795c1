#include "rtmp_bus.hpp"

#include "rtmp_errors.hpp"

GST_DEBUG_CATEGORY_STATIC(rtmp_bus_debug);
#define GST_CAT_DEFAULT rtmp_bus_debug

namespace rtmpgst {

namespace {

GstDebugLevel gst_level(rtmp::LogLevel level) {
  switch (level) {
    case rtmp::LogLevel::kError:
      return GST_LEVEL_ERROR;
    case rtmp::LogLevel::kWarning:
      return GST_LEVEL_WARNING;
    case rtmp::LogLevel::kInfo:
      return GST_LEVEL_INFO;
    case rtmp::LogLevel::kDebug:
      return GST_LEVEL_DEBUG;
    case rtmp::LogLevel::kLog:
      return GST_LEVEL_LOG;
    case rtmp::LogLevel::kTrace:
      return GST_LEVEL_TRACE;
  }
  return GST_LEVEL_DEBUG;
}

}  // namespace

void register_debug_categories() {
  GST_DEBUG_CATEGORY_INIT(rtmp_bus_debug, "rtmpstate", 0, "RTMP connection states");
}

bool ElementLogger::enabled(rtmp::LogLevel level) const {
  return gst_debug_category_get_threshold(category_) >= gst_level(level);
}

void ElementLogger::log(rtmp::LogLevel level, std::string_view text) {
  GST_CAT_LEVEL_LOG(category_, gst_level(level), element_, "%.*s", static_cast<int>(text.size()),
                    text.data());
}

void BusListener::on_state(const rtmpsession::StateChange& c) {
  const char* name = rtmpsession::state_name(c.state);
  GST_INFO_OBJECT(element_, "%s: %s -> %s%s%s", url_.c_str(), rtmpsession::state_name(c.previous),
                  name, c.reason.empty() ? "" : ": ", c.reason.c_str());
  GstStructure* s = gst_structure_new(kStateMessageName,                    //
                                      "state", G_TYPE_STRING, name,         //
                                      "previous-state", G_TYPE_STRING,      //
                                      rtmpsession::state_name(c.previous),  //
                                      "url", G_TYPE_STRING, url_.c_str(),   //
                                      "attempt", G_TYPE_UINT, c.attempt,    //
                                      "reason", G_TYPE_STRING, c.reason.c_str(), nullptr);
  gst_element_post_message(element_, gst_message_new_element(GST_OBJECT(element_), s));
}

void BusListener::on_congestion(const rtmpsession::CongestionReport& r) {
  GST_INFO_OBJECT(element_, "%s: %u ms queued, %.0f bit/s, %" G_GUINT64_FORMAT " frames dropped",
                  r.congested ? "congested" : "congestion cleared", r.queued_ms, r.send_rate_bps,
                  r.frames_dropped);
  GstStructure* s = gst_structure_new(kCongestionMessageName,                             //
                                      "congested", G_TYPE_BOOLEAN, r.congested,           //
                                      "queued-ms", G_TYPE_UINT, r.queued_ms,              //
                                      "queued-bytes", G_TYPE_UINT64, r.queued_bytes,      //
                                      "send-rate", G_TYPE_DOUBLE, r.send_rate_bps,        //
                                      "bytes-sent", G_TYPE_UINT64, r.bytes_sent,          //
                                      "bytes-acked", G_TYPE_UINT64, r.bytes_acked,        //
                                      "frames-dropped", G_TYPE_UINT64, r.frames_dropped,  //
                                      nullptr);
  gst_element_post_message(element_, gst_message_new_element(GST_OBJECT(element_), s));
}

void BusListener::on_error(const rtmpsession::SessionError& e) {
  post_session_error(element_, e, role_, url_);
}

}  // namespace rtmpgst
