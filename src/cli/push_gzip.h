/* Compressed uploads for `webota push`: is the file gzip already, does the
 * device take gzip (its /api/status says "gzip": true), and the image
 * compressed in memory with zlib when it does. */
#ifndef WEBOTA_CLI_PUSH_GZIP_H
#define WEBOTA_CLI_PUSH_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* True when f starts with the gzip magic (1f 8b); f is rewound. */
bool cli_file_is_gzip(FILE *f);
/* GET base/api/status: true only when the device answers "gzip": true. */
bool cli_device_takes_gzip(const char *base);
/* The whole of f gzip-compressed (zlib, level 9) into a malloc'd buffer;
 * false when it cannot be read or memory runs out. */
bool cli_gzip_file(FILE *f, uint8_t **out, size_t *out_len);

#endif
