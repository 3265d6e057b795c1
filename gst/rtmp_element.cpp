#include "rtmp_element.hpp"

namespace rtmpgst {

SessionRunner::SessionRunner() = default;

SessionRunner::~SessionRunner() {
  stop();
}

void SessionRunner::create(GstElement* element, GstDebugCategory* category,
                           config::Connection connection) {
  stop();
  listener_ =
      std::make_unique<BusListener>(element, category, connection.role(), connection.safe_url);
  auto session = std::make_unique<rtmpsession::Session>(std::move(connection), listener_.get());
  std::lock_guard lock(stats_mutex_);
  session_ = std::move(session);
  started_ = false;
}

bool SessionRunner::start_session() {
  if (started_ || !session_) return started_;
  started_ = true;
  session_->start(rtmpsession::LoopPool::shared().pick(session_->batch_bound_us()));
  return true;
}

void SessionRunner::stop() {
  if (session_) {
    session_->cancel();
    session_->wait_detached();
  }
  std::unique_ptr<rtmpsession::Session> session;
  {
    std::lock_guard lock(stats_mutex_);
    if (session_) last_stats_ = session_->stats();
    session = std::move(session_);
  }
  session.reset();
  listener_.reset();
  started_ = false;
}

rtmpsession::SessionStats SessionRunner::stats() const {
  std::lock_guard lock(stats_mutex_);
  return session_ ? session_->stats() : last_stats_;
}

namespace {

GQuark base_quark() {
  static GQuark q = g_quark_from_static_string("rtmp-element-base");
  return q;
}

GstURIType sink_type(GType) {
  return GST_URI_SINK;
}
GstURIType src_type(GType) {
  return GST_URI_SRC;
}
const gchar* const* protocols(GType) {
  return uri_protocols();
}

gchar* get_uri(GstURIHandler* handler) {
  ElementBase* base = element_base(handler);
  GST_OBJECT_LOCK(handler);
  gchar* uri = g_strdup(base->props.settings.uri(false).c_str());
  GST_OBJECT_UNLOCK(handler);
  return uri;
}

gboolean handler_set_uri(GstURIHandler* handler, const gchar* uri, GError** error) {
  return rtmpgst::set_uri(G_OBJECT(handler), element_base(handler)->props, uri, error);
}

}  // namespace

void attach_element_base(GObject* element, ElementBase* base) {
  g_object_set_qdata(element, base_quark(), base);
}

ElementBase* element_base(gpointer element) {
  return static_cast<ElementBase*>(g_object_get_qdata(G_OBJECT(element), base_quark()));
}

bool prepare_connection(GstElement* element, rtmpsession::Role role) {
  ElementBase* base = element_base(element);
  std::string error;
  GST_OBJECT_LOCK(element);
  config::Settings settings = base->props.settings;
  GST_OBJECT_UNLOCK(element);
  std::optional<config::Connection> c = config::validate(settings, role, &error);
  if (!c) {
    // A location that did not parse quotes itself; anything else names the location it is for.
    std::string text = settings.location_error.empty()
                           ? "Invalid RTMP settings for " + settings.uri(false) + ": " + error
                           : "Invalid RTMP location " + settings.location_error;
    GST_ELEMENT_ERROR(element, RESOURCE, SETTINGS, ("%s", text.c_str()), (nullptr));
    return false;
  }
  for (const std::string& note : settings.options.notes)
    GST_WARNING_OBJECT(element, "location option %s", note.c_str());
  base->prepared = std::move(c);
  return true;
}

std::optional<config::Connection> take_prepared_connection(GstElement* element,
                                                           rtmpsession::Role role) {
  ElementBase* base = element_base(element);
  if (!base->prepared && !prepare_connection(element, role)) return std::nullopt;
  std::optional<config::Connection> c = std::move(base->prepared);
  base->prepared.reset();
  return c;
}

void init_uri_handler(GstURIHandlerInterface* iface, GstURIType type) {
  iface->get_type = type == GST_URI_SINK ? sink_type : src_type;
  iface->get_protocols = protocols;
  iface->get_uri = get_uri;
  iface->set_uri = handler_set_uri;
}

}  // namespace rtmpgst
