/* stub: the lead is writing the HTTP proxy */
#include "proxy/proxy_int.h"

void
http_proxy_accept(uv_stream_t *listener, int status)
{
	(void)listener;
	(void)status;
}
