include(CheckCXXCompilerFlag)
check_cxx_compiler_flag(-fno-gnu-unique REX_HAVE_NO_GNU_UNIQUE)

# add_results_plugin(<name> SOURCES <files...> [LIBRARIES <targets...>])
#
# Builds <name>.so with only the entry symbol visible. -fno-gnu-unique keeps dlclose meaningful
# (GNU unique symbols pin a library in memory), which hot swapping relies on.
function(add_results_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  elseif(REX_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${REX_PLUGIN_OUTPUT_DIR})
  endif()
  if(REX_HAVE_NO_GNU_UNIQUE)
    target_compile_options(${name} PRIVATE -fno-gnu-unique)
  endif()
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  target_link_libraries(${name} PRIVATE rex_plugin_sdk ${ARG_LIBRARIES})
  if(COMMAND rex_set_warnings)
    rex_set_warnings(${name})
  endif()
endfunction()
