/* Host stand-in (tests only) of the http_parser.h ESP-IDF ships: the method
 * numbers esp_http_server reports in httpd_req_t.method (same values). */
#ifndef IDF_HOST_HTTP_PARSER_H
#define IDF_HOST_HTTP_PARSER_H

enum http_method {
    HTTP_DELETE = 0,
    HTTP_GET = 1,
    HTTP_HEAD = 2,
    HTTP_POST = 3,
    HTTP_PUT = 4,
    HTTP_OPTIONS = 6,
    HTTP_PATCH = 28,
};

#endif
