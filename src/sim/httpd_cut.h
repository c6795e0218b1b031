/* The answer to a request whose client half-closed its side before the body
 * was complete (a body shorter than its Content-Length, or a chunked body
 * without its last chunk), written to the socket by the simulator itself
 * from the completion callback (a small HTTP/1.1 response, Connection:
 * close), because libmicrohttpd (0.9.75 in Debian 12, and 1.0.1) closes the
 * connection as soon as it reads that end of stream, without calling the
 * access handler again, and in the closing state MHD_queue_response refuses
 * any response. */
#ifndef WEBOTA_SIM_HTTPD_CUT_H
#define WEBOTA_SIM_HTTPD_CUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/api.h"

/* The 400 length_mismatch answer for a body cut after `received` bytes
 * (`announced` = Content-Length, or -1 for a chunked body), as the JSON
 * error of docs/http-api.md, into buf. resp->body points into buf. */
void sim_httpd_cut_answer(webota_api_response_t *resp, char *buf, size_t cap, uint64_t received,
                          int64_t announced);

/* Writes resp as a complete HTTP/1.1 response with Connection: close to the
 * socket fd without blocking (the answers are small); false when the socket
 * did not take all of it (e.g. the client closed both directions). */
bool sim_httpd_cut_send(int fd, const webota_api_response_t *resp);

#endif
