# Fails unless the file SRC appears verbatim in DOC (a ```cpp block).
file(READ "${SRC}" src)
file(READ "${DOC}" doc)
string(FIND "${doc}" "```cpp\n${src}```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${DOC} does not show ${SRC} verbatim in a ```cpp block; paste the file's current text")
endif()
