/* The updater's web page, gzipped at build time (web/index.html). */
#ifndef WEBOTA_PAGE_H
#define WEBOTA_PAGE_H

extern const unsigned char webota_page_gz[];
extern const unsigned long webota_page_gz_len;
/* Its Content-Security-Policy: the SHA-256 of its one inline script and style
 * (web/embed.cmake), no framing, requests to the device only. */
extern const char webota_page_csp[];

#endif
