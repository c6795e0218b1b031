# cmake -DIN=file.gz -DOUT=file.c -P embed.cmake: writes the bytes as a C array.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n    " body "${body}")
file(WRITE ${OUT} "/* generated from web/index.html by web/embed.cmake */\n#include \"webota/page.h\"\n\nconst unsigned char webota_page_gz[] = {\n    ${body}\n};\nconst unsigned long webota_page_gz_len = ${len}UL;\n")
