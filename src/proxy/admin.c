/* stub: replaced by the admin API */
#include "proxy/proxy_int.h"

void
admin_accept(uv_stream_t *listener, int status)
{
	(void)listener;
	(void)status;
}
