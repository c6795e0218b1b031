/* The updater's web page, gzipped at build time (web/index.html). */
#ifndef WEBOTA_PAGE_H
#define WEBOTA_PAGE_H

extern const unsigned char webota_page_gz[];
extern const unsigned long webota_page_gz_len;

#endif
