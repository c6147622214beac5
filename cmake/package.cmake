# The .deb: `cmake --build build --target package`, or `cpack -G DEB` in the build
# folder once built (docs/operations.md, "Install from the .deb"). Its files are
# exactly what cmake/install.cmake installs, for the prefix /usr.

set(MSX_PACKAGE_MAINTAINER
    "mshost_exporter maintainers <maintainers@users.noreply.r-seed-e8337202.example>"
    CACHE STRING "The .deb's Maintainer field")

# The Debian changelog, dated by the last commit so that two builds of one revision
# make the same package.
execute_process(COMMAND git log -1 --format=%cD WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                OUTPUT_VARIABLE MSX_CHANGELOG_DATE OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)
if(NOT MSX_CHANGELOG_DATE)
  set(MSX_CHANGELOG_DATE "Thu, 01 Jan 1970 00:00:00 +0000")
endif()
set(VERSION ${PROJECT_VERSION})
set(MAINTAINER ${MSX_PACKAGE_MAINTAINER})
set(DATE ${MSX_CHANGELOG_DATE})
set(msx_deb_dir ${CMAKE_BINARY_DIR}/packaging/deb)
configure_file(packaging/debian/changelog.in ${msx_deb_dir}/changelog @ONLY)
add_custom_command(
  OUTPUT ${msx_deb_dir}/changelog.gz
  COMMAND ${GZIP} -9nkf ${msx_deb_dir}/changelog
  DEPENDS ${msx_deb_dir}/changelog)
add_custom_target(msx_changelog ALL DEPENDS ${msx_deb_dir}/changelog.gz)
# Installed by every install, not only the package's: they say what the files are.
install(FILES ${msx_deb_dir}/changelog.gz packaging/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES packaging/debian/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME mshost-exporter)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mshost-exporter)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${MSX_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Prometheus exporter and alerter for Apache CloudStack management servers")
# The long description (CPack puts the summary above it): lines of at most 80
# characters, as lintian wants them.
string(JOIN "\n" CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "CloudStack keeps one row per management server in cloud.mshost. When a node"
  "dies badly, its row can say Up for ever. mshost_exporter reads the table on"
  "the database's own clock, probes each node's cluster port, decides per node"
  "whether its row tells the truth, exposes it all as Prometheus metrics and"
  "pushes its own alerts to Alertmanager within seconds."
  "."
  "The package runs it under a hardened systemd unit as the system user"
  "mshost_exporter. Prometheus alert rules and a Grafana dashboard are in"
  "/usr/share/mshost_exporter; the documentation and runbooks in"
  "/usr/share/doc/mshost-exporter.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries' packages come from dpkg-shlibdeps; the maintainer scripts need
# adduser.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# /etc and /lib/systemd/system lie outside the prefix /usr: install into a staging
# root (DESTDIR) with the prefix /usr, so cmake/install_system_files.cmake puts them
# where Debian expects them.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
