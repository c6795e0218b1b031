# cmake -DIN=file.gz -DOUT=file.c [-DSRC=index.html] -P embed.cmake: writes the
# bytes as a C array, and (from SRC) the page's Content-Security-Policy.
#
# The policy allows exactly the page's one inline <script> and one inline
# <style> by their SHA-256 (CSP hash sources, base64), no other script or
# style, no external resource (images only as data: URLs, the empty icon), no framing ('frame-ancestors'), requests to the
# device only: so neither a script injected into the page nor a site framing
# it can act. Hashes, not 'unsafe-inline': an injected inline script would not
# match them.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n    " body "${body}")

function(hex_to_base64 hexin outvar)
  set(abc "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
  string(LENGTH "${hexin}" n)
  set(res "")
  set(i 0)
  while(i LESS n)
    math(EXPR rem "${n} - ${i}")
    if(rem GREATER 6)
      set(rem 6)
    endif()
    string(SUBSTRING "${hexin}" ${i} ${rem} chunk)
    if(rem EQUAL 2)
      set(chunk "${chunk}0000")
    elseif(rem EQUAL 4)
      set(chunk "${chunk}00")
    endif()
    math(EXPR v "0x${chunk}")
    foreach(shift 18 12 6 0)
      math(EXPR k "(${v} >> ${shift}) & 63")
      string(SUBSTRING "${abc}" ${k} 1 c)
      string(APPEND res "${c}")
    endforeach()
    if(rem EQUAL 2)
      string(REGEX REPLACE "..$" "==" res "${res}")
    elseif(rem EQUAL 4)
      string(REGEX REPLACE ".$" "=" res "${res}")
    endif()
    math(EXPR i "${i} + 6")
  endwhile()
  set(${outvar} "${res}" PARENT_SCOPE)
endfunction()

# 'sha256-<base64>' of the text between <tag> and </tag>; exactly one such element.
function(inline_hash src tag outvar)
  string(FIND "${src}" "<${tag}>" open)
  string(FIND "${src}" "<${tag}>" open_last REVERSE)
  string(FIND "${src}" "</${tag}>" close)
  if(open EQUAL -1 OR close EQUAL -1 OR NOT open EQUAL open_last)
    message(FATAL_ERROR "the page must have exactly one inline <${tag}> (its CSP hash covers one)")
  endif()
  string(LENGTH "<${tag}>" tl)
  math(EXPR from "${open} + ${tl}")
  math(EXPR n "${close} - ${from}")
  string(SUBSTRING "${src}" ${from} ${n} text)
  string(SHA256 h "${text}")
  hex_to_base64(${h} b64)
  set(${outvar} "'sha256-${b64}'" PARENT_SCOPE)
endfunction()

set(csp "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
if(SRC)
  file(READ ${SRC} page)
  inline_hash("${page}" script script_hash)
  inline_hash("${page}" style style_hash)
  set(csp "default-src 'none'; script-src ${script_hash}; style-src ${style_hash}; connect-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
endif()

file(WRITE ${OUT} "/* generated from web/index.html by web/embed.cmake */\n#include \"webota/page.h\"\n\nconst unsigned char webota_page_gz[] = {\n    ${body}\n};\nconst unsigned long webota_page_gz_len = ${len}UL;\nconst char webota_page_csp[] = \"${csp}\";\n")
