#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_RTMP_SRC (gst_rtmp_src_get_type())
G_DECLARE_FINAL_TYPE(GstRtmpSrc, gst_rtmp_src, GST, RTMP_SRC, GstPushSrc)

G_END_DECLS
