# Browser tests: the real page in Debian's headless Chromium, driven by
# playwright-core (npm, no browser download), against the real `webota sim`.
# playwright-core is installed with `npm ci` into the build tree (a fixture),
# never into the source tree.
if(NOT WEBOTA_BROWSER_TESTS)
  return()
endif()

find_program(WEBOTA_NODE node)
find_program(WEBOTA_NPM npm)
find_program(WEBOTA_CHROMIUM NAMES chromium chromium-browser PATHS /usr/bin)
set(browser_dir ${CMAKE_BINARY_DIR}/browser)

if(NOT WEBOTA_NODE OR NOT WEBOTA_NPM OR NOT WEBOTA_CHROMIUM)
  # Registered anyway so that a missing browser fails `make test` loudly
  # instead of silently testing less.
  add_test(NAME browser.page
           COMMAND sh -c "echo 'browser tests need node, npm and chromium (scripts/deps.sh test), or configure with -DWEBOTA_BROWSER_TESTS=OFF' >&2; exit 1")
  return()
endif()

configure_file(${CMAKE_SOURCE_DIR}/tests/browser/package.json ${browser_dir}/package.json COPYONLY)
configure_file(${CMAKE_SOURCE_DIR}/tests/browser/package-lock.json ${browser_dir}/package-lock.json COPYONLY)

add_test(NAME browser.npm_ci
         COMMAND ${WEBOTA_NPM} ci --no-audit --no-fund --loglevel=error
         WORKING_DIRECTORY ${browser_dir})
set_tests_properties(browser.npm_ci PROPERTIES FIXTURES_SETUP browser_deps TIMEOUT 300
                     ENVIRONMENT "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")

add_test(NAME browser.page
         COMMAND ${WEBOTA_NODE} ${CMAKE_SOURCE_DIR}/tests/browser/page.test.js
                 --webota $<TARGET_FILE:webota> --artifacts ${browser_dir}/artifacts
         WORKING_DIRECTORY ${browser_dir})
set_tests_properties(browser.page PROPERTIES FIXTURES_REQUIRED browser_deps TIMEOUT 360
                     ENVIRONMENT "NODE_PATH=${browser_dir}/node_modules;WEBOTA_CHROMIUM=${WEBOTA_CHROMIUM}")
