# The embedded web page: gzipped size budget (8 KiB), and the embedded bytes
# are the page's source (web/check_page.cmake).
add_test(NAME page.size
         COMMAND ${CMAKE_COMMAND} -DGZ=${CMAKE_BINARY_DIR}/web/index.html.gz
                 -DSRC=${CMAKE_SOURCE_DIR}/web/index.html -DGZIP=${GZIP_EXECUTABLE} -DMAX=8192
                 -P ${CMAKE_SOURCE_DIR}/web/check_page.cmake)
