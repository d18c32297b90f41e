// libcurl for Swift: curl_easy_setopt/getinfo are variadic, so one typed wrapper per argument kind.
#ifndef ORDERPAY_CCURL_SHIM_H
#define ORDERPAY_CCURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*op_curl_write_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode op_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode op_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode op_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode op_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode op_curl_setopt_write(CURL *h, CURLoption o, op_curl_write_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode op_curl_setopt_progress(CURL *h, curl_xferinfo_callback v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }
static inline CURLcode op_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode op_curl_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode op_curl_setopt_sockopt(CURL *h, curl_sockopt_callback v) { return curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, v); }
static inline CURLcode op_curl_setopt_closesocket(CURL *h, curl_closesocket_callback v) { return curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, v); }
#endif
