/* stub: replaced by the SOCKS5 server */
#include "proxy/proxy_int.h"

void
socks5_server_accept(uv_stream_t *listener, int status)
{
	(void)listener;
	(void)status;
}
