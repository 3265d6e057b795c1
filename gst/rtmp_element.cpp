#include "rtmp_element.hpp"

namespace rtmpgst {

SessionRunner::SessionRunner() {
  g_rec_mutex_init(&task_lock_);
}

SessionRunner::~SessionRunner() {
  stop();
  g_rec_mutex_clear(&task_lock_);
}

void SessionRunner::create(GstElement* element, rtmpsession::Role role,
                           rtmpsession::SessionConfig config) {
  stop();
  listener_ = std::make_unique<BusListener>(element, role, config.safe_url);
  auto session = std::make_unique<rtmpsession::Session>(std::move(config), listener_.get());
  {
    std::lock_guard lock(stats_mutex_);
    session_ = std::move(session);
  }
  task_ = gst_task_new(&SessionRunner::task_func, this, nullptr);
  gchar* name = g_strdup_printf("%s-session", GST_OBJECT_NAME(element));
  gst_object_set_name(GST_OBJECT(task_), name);
  g_free(name);
  gst_task_set_lock(task_, &task_lock_);
  task_started_ = false;
}

void SessionRunner::task_func(gpointer data) {
  auto* self = static_cast<SessionRunner*>(data);
  self->session_->run();
  // Stop, not pause: a pause here could override the stop() of a concurrent state change and
  // leave gst_task_join() waiting forever. Stopping twice is harmless.
  gst_task_stop(self->task_);
}

bool SessionRunner::start_task() {
  if (task_started_ || !task_) return task_started_;
  task_started_ = true;
  return gst_task_start(task_);
}

void SessionRunner::stop() {
  if (session_) session_->cancel();
  if (task_) {
    gst_task_stop(task_);
    gst_task_join(task_);
    gst_object_unref(task_);
    task_ = nullptr;
  }
  std::unique_ptr<rtmpsession::Session> session;
  {
    std::lock_guard lock(stats_mutex_);
    if (session_) last_stats_ = session_->stats();
    session = std::move(session_);
  }
  session.reset();
  listener_.reset();
  task_started_ = false;
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
  gchar* uri = g_strdup(base->location.to_uri(false).c_str());
  GST_OBJECT_UNLOCK(handler);
  return uri;
}

gboolean set_uri(GstURIHandler* handler, const gchar* uri, GError** error) {
  ElementBase* base = element_base(handler);
  GST_OBJECT_LOCK(handler);
  gboolean ok = base->location.set_uri(uri, error);
  GST_OBJECT_UNLOCK(handler);
  return ok;
}

}  // namespace

void attach_element_base(GObject* element, ElementBase* base) {
  g_object_set_qdata(element, base_quark(), base);
}

ElementBase* element_base(gpointer element) {
  return static_cast<ElementBase*>(g_object_get_qdata(G_OBJECT(element), base_quark()));
}

bool make_config_or_error(GstElement* element, rtmpsession::Role role,
                          rtmpsession::SessionConfig* config) {
  ElementBase* base = element_base(element);
  std::string error;
  GST_OBJECT_LOCK(element);
  bool ok = make_session_config(base->location, role, config, &error);
  if (!ok) error = base->location.to_uri(false) + ": " + error;
  GST_OBJECT_UNLOCK(element);
  if (!ok)
    GST_ELEMENT_ERROR(element, RESOURCE, SETTINGS, ("Invalid RTMP location: %s", error.c_str()),
                      (nullptr));
  return ok;
}

void init_uri_handler(GstURIHandlerInterface* iface, GstURIType type) {
  iface->get_type = type == GST_URI_SINK ? sink_type : src_type;
  iface->get_protocols = protocols;
  iface->get_uri = get_uri;
  iface->set_uri = set_uri;
}

}  // namespace rtmpgst
