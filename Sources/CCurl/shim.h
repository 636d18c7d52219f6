#ifndef TALLY_CCURL_SHIM_H
#define TALLY_CCURL_SHIM_H

// Typed wrappers for libcurl's variadic functions and its macros that Swift cannot import.
// Swift cannot call C variadic functions, and `curl_easy_setopt` decides the type of its
// third argument from the option: each wrapper fixes that type so a Swift caller cannot pass
// the wrong one by accident.

#include <curl/curl.h>

static inline CURLcode tally_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode tally_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// For string options (libcurl copies them), `struct curl_slist *` and `CURLOPT_PRIVATE`.
static inline CURLcode tally_curl_easy_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// For `CURLOPT_WRITEFUNCTION` and `CURLOPT_HEADERFUNCTION`.
static inline CURLcode tally_curl_easy_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/// For `CURLOPT_READFUNCTION`.
static inline CURLcode tally_curl_easy_setopt_read_callback(CURL *handle, curl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

/// For `CURLOPT_SEEKFUNCTION`.
static inline CURLcode tally_curl_easy_setopt_seek_callback(CURL *handle, curl_seek_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, callback);
}

/// For `CURLOPT_XFERINFOFUNCTION`.
static inline CURLcode tally_curl_easy_setopt_xferinfo_callback(CURL *handle, curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode tally_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode tally_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// For `CURLINFO_PRIVATE`.
static inline CURLcode tally_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode tally_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

/// The `CURLMsg.data.result` member of a `CURLMSG_DONE` message (a union, awkward from Swift).
static inline CURLcode tally_curl_msg_result(const CURLMsg *message) {
    return message->data.result;
}

static const size_t tally_curl_writefunc_pause = CURL_WRITEFUNC_PAUSE;
static const int tally_curlpause_cont = CURLPAUSE_CONT;
static const int tally_curlpause_recv = CURLPAUSE_RECV;
static const size_t tally_curl_readfunc_pause = CURL_READFUNC_PAUSE;
static const size_t tally_curl_readfunc_abort = CURL_READFUNC_ABORT;
static const int tally_curl_seekfunc_ok = CURL_SEEKFUNC_OK;
static const int tally_curl_seekfunc_cantseek = CURL_SEEKFUNC_CANTSEEK;
static const long tally_curl_global_all = CURL_GLOBAL_ALL;
static const long tally_curlpipe_multiplex = CURLPIPE_MULTIPLEX;
static const long tally_curl_http_version_2tls = CURL_HTTP_VERSION_2TLS;

#endif
