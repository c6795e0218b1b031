# The embedded web page: gzipped size budget (8 KiB), and the embedded bytes
# are the page's source (web/check_page.cmake).
add_test(NAME page.size
         COMMAND ${CMAKE_COMMAND} -DGZ=${CMAKE_BINARY_DIR}/web/index.html.gz
                 -DSRC=${CMAKE_SOURCE_DIR}/web/index.html -DGZIP=${GZIP_EXECUTABLE} -DMAX=8704
                 -P ${CMAKE_SOURCE_DIR}/web/check_page.cmake)

# The page's SHA-256 / HMAC / PBKDF2 (its login needs them: no WebCrypto on
# plain http) against published vectors and Node's crypto module.
find_program(WEBOTA_NODE_JS node)
if(WEBOTA_NODE_JS)
  add_test(NAME page.crypto_js
           COMMAND ${WEBOTA_NODE_JS} ${CMAKE_SOURCE_DIR}/tests/browser/crypto.test.js
                   ${CMAKE_SOURCE_DIR}/web/index.html)
else()
  add_test(NAME page.crypto_js
           COMMAND sh -c "echo 'page.crypto_js needs node (scripts/deps.sh test)' >&2; exit 1")
endif()
