# What `cmake --install` puts where (GNUInstallDirs), and so what the .deb holds
# (cmake/package.cmake). docs/operations.md lists the installed layout.
#
# Everything goes under the prefix, except the configuration and the systemd unit:
# for the prefix /usr (the package) they go to /etc and /lib/systemd/system, for any
# other prefix under it (<prefix>/etc, <prefix>/lib/systemd/system). That is decided
# when installing (install_system_files.cmake), since `cmake --install --prefix` may
# change the prefix after configuring.

install(TARGETS mshost_exporter RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS msx_civetweb_ssl msx_civetweb_crypto
        LIBRARY DESTINATION ${MSX_SHIM_INSTALL_DIR}  # exporter/CMakeLists.txt
        # Loaded with dlopen(), never executed.
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# The man page, from --help and packaging/mshost_exporter.h2m, compressed as Debian
# ships man pages.
find_program(HELP2MAN help2man REQUIRED)
find_program(GZIP gzip REQUIRED)
set(MSX_MAN ${CMAKE_BINARY_DIR}/man/mshost_exporter.1)
add_custom_command(
  OUTPUT ${MSX_MAN} ${MSX_MAN}.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
  # In the sanitizer build a leak report at exit would fail the page, not a test.
  COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
          ${HELP2MAN} --no-info --section=1 --version-string=${PROJECT_VERSION}
          --name="Prometheus exporter and alerter for Apache CloudStack management servers"
          --include=${PROJECT_SOURCE_DIR}/packaging/mshost_exporter.h2m
          --output=${MSX_MAN} $<TARGET_FILE:mshost_exporter>
  COMMAND ${GZIP} -9nkf ${MSX_MAN}
  DEPENDS mshost_exporter ${PROJECT_SOURCE_DIR}/packaging/mshost_exporter.h2m
  COMMENT "Generating the man page with help2man")
add_custom_target(msx_man ALL DEPENDS ${MSX_MAN} ${MSX_MAN}.gz)
install(FILES ${MSX_MAN}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES packaging/mshost_exporter.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME mshost_exporter)

# Rules and dashboards are data for Prometheus and Grafana; docs, runbooks and
# examples are documentation.
install(FILES alerts/cloudstack-mshost.rules.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/mshost_exporter/alerts)
install(DIRECTORY dashboards/ DESTINATION ${CMAKE_INSTALL_DATADIR}/mshost_exporter/dashboards)
install(FILES README.md CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES config/mshost_exporter.example.yml config/prometheus.example.yml
              alerts/alertmanager.example.yml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The installed configuration is the example with the password read from
# /etc/mshost_exporter/db.pass (a file only root and the service read) instead of an
# environment variable.
file(READ ${PROJECT_SOURCE_DIR}/config/mshost_exporter.example.yml msx_example)
set(msx_env_line "      password_env: MSHOST_EXPORTER_DB_PASSWORD\n")
set(msx_file_line "      # password_file: /etc/mshost_exporter/db.pass\n")
string(FIND "${msx_example}" "${msx_env_line}" msx_env_at)
string(FIND "${msx_example}" "${msx_file_line}" msx_file_at)
if(msx_env_at EQUAL -1 OR msx_file_at EQUAL -1)
  message(FATAL_ERROR "config/mshost_exporter.example.yml changed its password lines: "
                      "update cmake/install.cmake")
endif()
string(REPLACE "${msx_env_line}" "      # password_env: MSHOST_EXPORTER_DB_PASSWORD\n"
       msx_installed "${msx_example}")
string(REPLACE "${msx_file_line}" "      password_file: /etc/mshost_exporter/db.pass\n"
       msx_installed "${msx_installed}")
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/packaging/mshost_exporter.yml
     CONTENT "${msx_installed}")

install(CODE "
  set(MSX_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
  set(MSX_BINARY_DIR \"${CMAKE_BINARY_DIR}\")
  set(MSX_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(MSX_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/install_system_files.cmake\")
")
