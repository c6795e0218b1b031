/* Compressed uploads for `webota push`: is the file gzip already (then it is
 * inflated to be checked, and sent as it is), and the image compressed in
 * memory with zlib when the device's status says "gzip": true. */
#ifndef WEBOTA_CLI_PUSH_GZIP_H
#define WEBOTA_CLI_PUSH_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "webota/err.h"

/* True when f starts with the gzip magic (1f 8b); f is rewound. */
bool cli_file_is_gzip(FILE *f);
/* Inflates the gzip file f into out (rewound) with the device's own gzip
 * parser over zlib, so that push can check the image inside before sending
 * the .gz and refuses what the device would, with the same code. limit: the
 * next slot's size (0 = none). Returns OK or the parser's error; *at = the
 * compressed offset of the error. */
webota_err_t cli_gunzip_file(FILE *f, uint32_t limit, FILE *out, uint32_t *at);
/* The whole of f gzip-compressed (zlib, level 9) into a malloc'd buffer;
 * false when it cannot be read or memory runs out. */
bool cli_gzip_file(FILE *f, uint8_t **out, size_t *out_len);

#endif
