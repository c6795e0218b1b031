# The repository stands alone: no file points to documents outside it, and the
# links to sections of docs/formats.md (the project's format reference) resolve.
add_test(NAME docs.standalone
         COMMAND ${CMAKE_SOURCE_DIR}/tests/docs/check_standalone.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(docs.standalone PROPERTIES TIMEOUT 60)
