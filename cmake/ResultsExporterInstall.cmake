# Install rules: `cmake --install <build> --prefix <prefix>` lays out
#   bin/results_exporter                               (installed by core/CMakeLists.txt)
#   lib/results_exporter/plugins/<plugin>.so           the real plugins; the installed binary's
#                                                      default plugin_dir (<exe>/../lib/...)
#   include/results_exporter/plugin_abi.h, plugin_sdk.hpp
#   lib/cmake/results_exporter/                        find_package(results_exporter) for plugins
#                                                      built out of tree
#   share/results_exporter/config/results_exporter.yml
# Included at the end of the top-level CMakeLists.txt, once every plugin target exists.
#
# The paths are fixed rather than GNUInstallDirs': the binary looks for its plugins in
# <exe>/../lib/results_exporter/plugins, whatever the platform's libdir is.
include(CMakePackageConfigHelpers)

set(REX_INSTALL_BINDIR bin)
set(REX_INSTALL_INCLUDEDIR include)
set(REX_INSTALL_PLUGINDIR lib/results_exporter/plugins)
set(REX_INSTALL_CMAKEDIR lib/cmake/results_exporter)

# Plugins: every add_results_plugin() target without an OUTPUT_DIRECTORY (test and example plugins
# have one).
get_property(rex_installable_plugins GLOBAL PROPERTY REX_INSTALLABLE_PLUGINS)
if(rex_installable_plugins)
  install(TARGETS ${rex_installable_plugins} LIBRARY DESTINATION ${REX_INSTALL_PLUGINDIR})
endif()

# The SDK: the pure-C ABI header and the header-only C++ helpers, side by side as plugins include
# them (<results_exporter/plugin_abi.h>, <results_exporter/plugin_sdk.hpp>).
set(REX_ABI_HEADER ${PROJECT_SOURCE_DIR}/core/include/results_exporter/plugin_abi.h)
install(FILES
  ${REX_ABI_HEADER}
  ${PROJECT_SOURCE_DIR}/plugins/sdk/include/results_exporter/plugin_sdk.hpp
  ${PROJECT_SOURCE_DIR}/plugins/sdk/include/results_exporter/sdk_json.hpp
  DESTINATION ${REX_INSTALL_INCLUDEDIR}/results_exporter)

# The CMake package. The ABI version comes from the header itself (re-read when it changes).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${REX_ABI_HEADER})
file(STRINGS ${REX_ABI_HEADER} rex_abi_lines REGEX "^#define REX_ABI_VERSION_(MAJOR|MINOR) ")
foreach(line ${rex_abi_lines})
  if(line MATCHES "^#define REX_ABI_VERSION_(MAJOR|MINOR) ([0-9]+)")
    set(REX_ABI_VERSION_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
  endif()
endforeach()
if(NOT DEFINED REX_ABI_VERSION_MAJOR OR NOT DEFINED REX_ABI_VERSION_MINOR)
  message(FATAL_ERROR "cannot read REX_ABI_VERSION_MAJOR/MINOR from ${REX_ABI_HEADER}")
endif()
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/results_exporterConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/results_exporterConfig.cmake
  INSTALL_DESTINATION ${REX_INSTALL_CMAKEDIR}
  PATH_VARS REX_INSTALL_BINDIR REX_INSTALL_INCLUDEDIR REX_INSTALL_PLUGINDIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/package/results_exporterConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/package/results_exporterConfig.cmake
  ${PROJECT_BINARY_DIR}/package/results_exporterConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/ResultsExporterPlugin.cmake
  DESTINATION ${REX_INSTALL_CMAKEDIR})

install(FILES ${PROJECT_SOURCE_DIR}/config/results_exporter.yml
  DESTINATION share/results_exporter/config)
