# cmake -DGZ=index.html.gz -DSRC=index.html -DGZIP=gzip -DMAX=8192 -P check_page.cmake
# The page must fit the device's budget gzipped, and the embedded bytes must be
# exactly the gzip of web/index.html.
file(SIZE ${GZ} size)
message(STATUS "web page: ${size} bytes gzipped (budget ${MAX})")
if(size GREATER MAX)
  message(FATAL_ERROR "web page is ${size} bytes gzipped, over the ${MAX}-byte budget")
endif()
execute_process(COMMAND ${GZIP} -dc ${GZ} OUTPUT_VARIABLE unpacked RESULT_VARIABLE rc)
file(READ ${SRC} source)
if(NOT rc EQUAL 0 OR NOT unpacked STREQUAL source)
  message(FATAL_ERROR "the embedded page does not unpack to ${SRC}")
endif()
foreach(ext "http://" "https://" "//cdn" "<link " "@import")
  string(FIND "${source}" "${ext}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "the page refers to an external resource ('${ext}'): the SoftAP has no internet")
  endif()
endforeach()
