# add_results_plugin(<name> SOURCES <files...> [LIBRARIES <targets...>] [OUTPUT_DIRECTORY <dir>])
#
# Builds <name>.so with only the entry symbol visible: -fvisibility=hidden, plus a version script
# that also hides what libstdc++ marks visible (namespace std has default visibility, so a template
# instantiated in the plugin, e.g. by std::to_string, would otherwise be exported as a weak symbol).
# -fno-gnu-unique keeps dlclose meaningful (GNU unique symbols pin a library in memory), which hot
# swapping relies on.
#
# Used in two places: inside the results_exporter tree (links rex_plugin_sdk, output into
# REX_PLUGIN_OUTPUT_DIR) and, installed into lib/cmake/results_exporter, by plugins built out of
# tree after find_package(results_exporter) (links the imported results_exporter::plugin_sdk).
#
# A plugin built without OUTPUT_DIRECTORY is a real one: its target name is recorded in the global
# property REX_INSTALLABLE_PLUGINS, which the project's install rules install
# (cmake/ResultsExporterInstall.cmake). Test and example plugins pass OUTPUT_DIRECTORY.
include(CheckCXXCompilerFlag)
if(CMAKE_CXX_COMPILER_LOADED)
  check_cxx_compiler_flag(-fno-gnu-unique REX_HAVE_NO_GNU_UNIQUE)
endif()

function(add_results_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT DEFINED REX_HAVE_NO_GNU_UNIQUE)  # included before the project enabled C++
    check_cxx_compiler_flag(-fno-gnu-unique REX_HAVE_NO_GNU_UNIQUE)
  endif()
  if(TARGET results_exporter::plugin_sdk)
    set(sdk results_exporter::plugin_sdk)  # an installed SDK
  else()
    set(sdk rex_plugin_sdk)  # in the results_exporter tree
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  else()
    set_property(GLOBAL APPEND PROPERTY REX_INSTALLABLE_PLUGINS ${name})
    if(REX_PLUGIN_OUTPUT_DIR)
      set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${REX_PLUGIN_OUTPUT_DIR})
    endif()
  endif()
  if(REX_HAVE_NO_GNU_UNIQUE)
    target_compile_options(${name} PRIVATE -fno-gnu-unique)
  endif()
  set(version_script ${CMAKE_BINARY_DIR}/CMakeFiles/results_exporter_plugin.map)
  file(CONFIGURE OUTPUT ${version_script}
    CONTENT "{\n  global: results_exporter_plugin_entry;\n  local: *;\n};\n")
  target_link_options(${name} PRIVATE -Wl,--no-undefined -Wl,--version-script=${version_script})
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${version_script})
  target_link_libraries(${name} PRIVATE ${sdk} ${ARG_LIBRARIES})
  if(COMMAND rex_set_warnings)
    rex_set_warnings(${name})
  endif()
endfunction()
