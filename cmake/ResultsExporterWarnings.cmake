# rex_set_warnings(target): the project's warning set, errors where REX_WERROR is on (CI).
function(rex_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Woverloaded-virtual)
  if(REX_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
